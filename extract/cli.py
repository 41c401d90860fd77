"""Command line: `python -m extract PATH|URL... --format json|csv [-o FILE]`.

Files and folders (searched recursively; hidden files are skipped) are extracted. A bad file —
unreadable, hostile, or of a type the product does not read — is reported on stderr with the
reason and skipped; the others are still processed, and the exit code is 1 when any failed.
An http(s) URL is fetched (under the address policy of `extract.fetch`; a refused or failed
URL is reported like a bad file) and its main text extracted; nothing is stored. Re-checking
stored URL vendors for changes is `python -m extract.watch`.
An output file (`-o`) that cannot be written is reported before any file is read (exit code 2).

`--cluster local:N` extracts the files on a local Dask cluster of N worker processes,
`--cluster tcp://HOST:PORT` on a running one (`extract.cluster`; the extra
`requirements-scale.txt`); URLs are still fetched here. `--store` also stores each result
(`Store.add`: a file already stored is reported and left as it is) in `$PRIVACY_DB` or `--db`.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from .cluster import ClusterError  # no Dask import: extract.cluster imports it on demand
from .errors import ExtractError
from .ingest import Outcome, collect_paths, extract_files
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
    ap.add_argument("--cluster", metavar="local:N|tcp://HOST:PORT", type=_cluster_spec,
                    help="extract the files on a Dask cluster: N local worker processes, or "
                         "a running scheduler (needs requirements-scale.txt)")
    ap.add_argument("--store", action="store_true",
                    help="also store each result in the store ($PRIVACY_DB, or --db)")
    ap.add_argument("--db", metavar="FILE", help="the store for --store (default $PRIVACY_DB)")
    return ap


def _cluster_spec(text: str):
    from .cluster import parse_cluster  # Dask itself is only imported when the batch runs

    try:
        return parse_cluster(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


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


def _open_store(args):
    """The store `--store` writes to, or None; `StoreError` when it cannot be opened."""
    if not args.store:
        return None
    from .store import Store

    return Store(args.db)


def _stored(store, out: Outcome) -> Outcome:
    """An extracted file, stored (`Store.add`: the same bytes stored before are "duplicate")."""
    try:
        added = store.add(out.extraction)
    except ExtractError as exc:  # StoreError: locked, damaged, disk full; the batch goes on
        return replace(out, status="error", message=f"{exc} Nothing was stored.")
    if not added.created:
        return replace(out, status="duplicate", message="already stored (same file); nothing "
                                                        "changed", vendor=added.vendor)
    return replace(out, status="added", vendor_id=added.vendor_id, vendor=added.vendor)


def _file_outcomes(args, files, extractor, stack: contextlib.ExitStack):
    """The files' outcomes in input order: in this process, or on the cluster."""
    if not args.cluster:
        return extract_files(files, extractor)
    from .cluster import connect, extract_on_cluster

    client = stack.enter_context(connect(args.cluster))
    # A local cluster shares this file system (paths); a remote one is sent the bytes.
    return extract_on_cluster(client, files, extractor(), send_bytes=not args.cluster.local)


def _url_outcomes(urls, extractor, store):
    from .url_ingest import ingest_url

    for u in urls:  # stored with the URL recorded, so `python -m extract.watch` re-checks it
        yield ingest_url(u, None, store, extractor) if store else extract_url(u, extractor)


def _run(args, files, urls, store, stack) -> Iterator[Outcome]:
    extractor = functools.cache(_extractor)  # one model for the files and the URLs
    for out in itertools.chain(_file_outcomes(args, files, extractor, stack),
                               _url_outcomes(urls, extractor, store)):
        if store is not None and out.status == "extracted":
            out = _stored(store, out)
        yield out


def _preflight(args) -> str | None:
    """Why the batch cannot start (output file, store, Dask), before any file is read:
    finding out after minutes of extraction would lose the results."""
    if args.output and (why := _check_writable(Path(args.output))):
        return f"cannot write the output file {args.output}: {why}"
    if args.cluster:
        from .cluster import ClusterError, require_dask

        try:
            require_dask()
        except ClusterError as exc:
            return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if why := _preflight(args):
        print(f"error: {why}", file=sys.stderr)
        return 2
    try:
        store = _open_store(args)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    urls = [a for a in args.paths if is_url(a)]
    files, problems = collect_paths([a for a in args.paths if not is_url(a)])
    for msg in problems:
        print(f"error: {msg}", file=sys.stderr)
    results, counts = [], collections.Counter()
    with contextlib.ExitStack() as stack:
        try:
            for out in _run(args, files, urls, store, stack):  # one bad file never ends
                counts[out.status] += 1                          # the batch
                if out.status == "error":
                    problems.append(out.filename)
                    print(f"error: {out.filename}: {out.message}", file=sys.stderr)
                    continue
                if out.status == "duplicate":
                    print(f"note: {out.filename}: {out.message}", file=sys.stderr)
                for w in out.warnings:
                    print(f"warning: {out.filename}: {w}", file=sys.stderr)
                results.append(out.extraction)
        except ClusterError as exc:  # e.g. the scheduler cannot be reached
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if (code := _emit(args, results)) is not None:
        return code
    if store is not None:
        print(f"{counts['added']} stored, {counts['duplicate']} already stored",
              file=sys.stderr)
    print(f"{len(results)} processed, {len(problems)} failed", file=sys.stderr)
    return 1 if problems else 0


def _emit(args, results) -> int | None:
    """Write the results to `-o` or stdout; 2 when the output file fails, else None."""
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
    return None
