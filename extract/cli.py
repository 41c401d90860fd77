"""Command line: `python -m extract PATH... --format json|csv [-o FILE]`.

Files and folders (searched recursively for supported types) are extracted; a bad file is
reported on stderr and skipped, and the exit code is 1 when any file failed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import ExtractError
from .score import Rubric

__all__ = ["main", "collect_paths"]

SUFFIXES = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".docx")


def collect_paths(args: list[str]) -> tuple[list[Path], list[str]]:
    """Expand folders into the supported files they hold; return (files, problems)."""
    files, problems = [], []
    for a in args:
        p = Path(a)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                           and not f.name.startswith("."))
            if not found:
                problems.append(f"{a}: no policy files (PDF, TXT, MD, HTML, DOCX) in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            problems.append(f"{a}: no such file or folder")
    return files, problems


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m extract", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH", help="policy files or folders")
    ap.add_argument("--format", choices=("json", "csv"), default="json")
    ap.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    ap.add_argument("--required-age", type=int, default=16,
                    help="children's age the jurisdiction requires (default 16, GDPR)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    files, problems = collect_paths(args.paths)
    for msg in problems:
        print(f"error: {msg}", file=sys.stderr)
    results = []
    if files:
        from .pipeline import Extractor
        extractor = Extractor()
        for path in files:
            try:
                results.append(extractor(path))
            except ExtractError as exc:
                problems.append(str(path))
                print(f"error: {path}: {exc}", file=sys.stderr)
    rubric = Rubric(required_age=args.required_age)
    from .export import to_csv, to_json_obj
    if args.format == "json":
        text = json.dumps([to_json_obj(r, rubric) for r in results], indent=2,
                          ensure_ascii=False) + "\n"
    else:
        text = to_csv(results, rubric)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"{len(results)} processed, {len(problems)} failed", file=sys.stderr)
    return 1 if problems else 0
