"""Command line: `python -m extract PATH... --format json|csv [-o FILE]`.

Files and folders (searched recursively; hidden files are skipped) are extracted. A bad file —
unreadable, hostile, or of a type the product does not read — is reported on stderr with the
reason and skipped; the others are still processed, and the exit code is 1 when any failed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .ingest import collect_paths, extract_files
from .score import Rubric

__all__ = ["main", "collect_paths"]  # collect_paths lives in extract.ingest; kept here too


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m extract", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH", help="policy files or folders")
    ap.add_argument("--format", choices=("json", "csv"), default="json")
    ap.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    ap.add_argument("--required-age", type=int, default=16,
                    help="children's age the jurisdiction requires (default 16, GDPR)")
    return ap


def _extractor():
    from .pipeline import Extractor  # the model loads on the first file, not here

    return Extractor()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    files, problems = collect_paths(args.paths)
    for msg in problems:
        print(f"error: {msg}", file=sys.stderr)
    results = []
    for out in extract_files(files, _extractor):  # one bad file never ends the batch
        if out.status == "error":
            problems.append(out.filename)
            print(f"error: {out.filename}: {out.message}", file=sys.stderr)
            continue
        for w in out.warnings:
            print(f"warning: {out.filename}: {w}", file=sys.stderr)
        results.append(out.extraction)
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
