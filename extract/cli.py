"""Command line: `python -m extract PATH... --format json|csv [-o FILE]`.

Files and folders (searched recursively; hidden files are skipped) are extracted. A bad file —
unreadable, hostile, or of a type the product does not read — is reported on stderr with the
reason and skipped; the others are still processed, and the exit code is 1 when any failed.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .errors import ExtractError
from .read import SUPPORTED_SUFFIXES
from .score import Rubric

__all__ = ["main", "collect_paths"]

log = logging.getLogger(__name__)


def collect_paths(args: list[str]) -> tuple[list[Path], list[str]]:
    """Expand folders into the supported files they hold; return (files, problems)."""
    files, problems = [], []
    for a in args:
        p = Path(a)
        if p.is_dir():
            # Every visible file, supported or not: an .exe or .png someone dropped among the
            # policies is reported by the reader ("not a supported type"), never silently ignored.
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not any(f.suffix.lower() in SUPPORTED_SUFFIXES for f in found):
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
                ex = extractor(path)
            except ExtractError as exc:
                problems.append(str(path))
                print(f"error: {path}: {exc}", file=sys.stderr)
                continue
            except Exception as exc:  # noqa: BLE001 - one odd file must not end the batch
                log.debug("extraction of %s failed", path, exc_info=True)
                problems.append(str(path))
                print(f"error: {path}: could not be processed because of an unexpected error "
                      f"({type(exc).__name__}); the other files are unaffected", file=sys.stderr)
                continue
            for w in ex.document.warnings:
                print(f"warning: {path}: {w}", file=sys.stderr)
            results.append(ex)
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
