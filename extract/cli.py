"""Command line: `python -m extract PATH|URL... --format json|csv [-o FILE]`.

Files and folders (searched recursively; hidden files are skipped) are extracted. A bad file —
unreadable, hostile, or of a type the product does not read — is reported on stderr with the
reason and skipped; the others are still processed, and the exit code is 1 when any failed.
An http(s) URL is fetched (under the address policy of `extract.fetch`; a refused or failed
URL is reported like a bad file) and its main text extracted; nothing is stored. Re-checking
stored URL vendors for changes is `python -m extract.watch`.
An output file (`-o`) that cannot be written is reported before any file is read (exit code 2).
"""
from __future__ import annotations

import argparse
import functools
import itertools
import json
import sys
from pathlib import Path

from .ingest import collect_paths, extract_files
from .score import Rubric
from .url_ingest import extract_url, is_url

__all__ = ["main", "collect_paths"]  # collect_paths lives in extract.ingest; kept here too


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m extract", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH",
                    help="policy files or folders, or http(s) URLs of policy pages")
    ap.add_argument("--format", choices=("json", "csv"), default="json")
    ap.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    ap.add_argument("--required-age", type=int, default=16,
                    help="children's age the jurisdiction requires (default 16, GDPR)")
    return ap


def _extractor():
    from .pipeline import Extractor  # the model loads on the first file, not here

    return Extractor()


def _check_writable(path: Path) -> str | None:
    """Why `path` cannot be written, or None. Probes for real (a permission check alone is
    wrong for root and read-only file systems); an existing file is opened for appending, so
    it is not truncated, and a probe file is removed again."""
    try:
        if path.exists():
            with open(path, "ab"):
                pass
        else:
            with open(path, "xb"):
                pass
            path.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _write_output(path: Path, text: str) -> str | None:
    """Write the results; the reason it failed (disk full, removed folder...) or None."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.output and (why := _check_writable(Path(args.output))):
        # Before the batch: finding out after minutes of extraction would lose the results.
        print(f"error: cannot write the output file {args.output}: {why}", file=sys.stderr)
        return 2
    urls = [a for a in args.paths if is_url(a)]
    files, problems = collect_paths([a for a in args.paths if not is_url(a)])
    extractor = functools.cache(_extractor)  # one model for the files and the URLs
    for msg in problems:
        print(f"error: {msg}", file=sys.stderr)
    results = []
    for out in itertools.chain(extract_files(files, extractor),  # one bad file never ends
                               (extract_url(u, extractor) for u in urls)):  # the batch
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
        if why := _write_output(Path(args.output), text):
            print(f"error: cannot write the output file {args.output}: {why}; "
                  f"{len(results)} result(s) not saved", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    print(f"{len(results)} processed, {len(problems)} failed", file=sys.stderr)
    return 1 if problems else 0
