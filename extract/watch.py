"""Re-check every vendor added by URL: `python -m extract.watch [--db FILE]` (for cron).

One line per vendor on stdout — `unchanged`, `changed` (with the facts gained, lost and changed;
a new version is stored) or `failed` (with the reason; nothing stored) — then a summary on
stderr. The exit code is 0 when every page was checked, 1 when any check failed, 2 when the
database cannot be opened. Fetching follows the same address policy as the app
(`PRIVACY_FETCH_ALLOW_HOSTS`); the model loads only when a page changed.

    # m h dom mon dow  command
    17 6 * * *  cd /srv/privacy && .venv/bin/python -m extract.watch >> watch.log 2>&1
"""
from __future__ import annotations

import argparse
import sys

from .errors import ExtractError
from .model import RecheckResult

__all__ = ["main", "result_line"]


def result_line(r: RecheckResult) -> str:
    """`changed  Acme  https://…  +2 gained, -1 lost, 0 changed` (tab-separated)."""
    if r.status == "changed":
        detail = (f"+{r.count('gained')} gained, -{r.count('lost')} lost, "
                  f"{r.count('changed')} changed")
    elif r.status == "failed":
        detail = r.message
    else:
        detail = ""
    return "\t".join(x for x in (r.status, r.vendor, r.url, detail) if x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.watch",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--db", metavar="FILE", help="the database (default: $PRIVACY_DB or "
                                                 "data/privacy.db)")
    args = ap.parse_args(argv)
    from .sources import Sources
    from .store import Store
    from .url_ingest import recheck

    try:
        store = Store(args.db)
        watched = Sources(store).all()
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = []

    def extractor():  # loaded on the first changed page only
        if not model:
            from .pipeline import Extractor
            model.append(Extractor())
        return model[0]

    failed = 0
    for src in watched:
        try:
            r = recheck(store, src.vendor_id, extractor)
        except ExtractError as exc:  # e.g. the vendor was deleted meanwhile
            r = RecheckResult(src.vendor_id, src.vendor, src.url, "failed", str(exc))
        failed += r.status == "failed"
        print(result_line(r), flush=True)
    print(f"{len(watched)} checked, {failed} failed" if watched
          else "no vendors were added by URL; nothing to check", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
