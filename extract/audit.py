"""A blind re-annotation of ToS;DR clauses: what each clause itself states, by our definitions.

ToS;DR labels name a reviewer's *case* for a quote, not what the quote states: the case "You can
request access and deletion" labels a sentence that only mentions deletion with both
`rights.access` and `rights.erasure`; "retrieve an archive of your data" labels a plain "copy"
(our `rights.access`) as portability; a true "we will not sell your e-mail address" quoted under
another case, or under none, counts as a false positive. Scored against those labels, a perfect
clause classifier cannot reach F1 0.85 on several facts.

So every (clause, fact) pair the extractor could judge or the labels name — each ToS;DR clause
that passes the fact's pattern gate or carries the fact's label (`audit_items`) — was judged
again by annotators who saw only the clause and the fact's definition (`GUIDE`): not the ToS;DR
label, not the model's output. The verdicts ship in `data/eval/tosdr_audit.jsonl` (clause ids
and verdicts, no ToS;DR text; derived from ToS;DR, CC BY-SA). `python -m extract.learn --report`
scores the held-out predictions against both. The audit covers the gates of extractor-3; the 13
pairs the gates of extractor-5 added were judged with the same guide by the developer who
widened the gates (who saw neither the ToS;DR label nor the model's output). A clause a later
gate admits that was never audited counts as "does not state" and is reported (`unaudited`).
Clauses neither gated nor labelled were not audited: a true statement among them is a recall
miss the audit cannot see.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

__all__ = ["AUDIT_FILE", "AUDITED_FACTS", "GUIDE", "clause_id", "audit_items", "load_audit"]

AUDIT_FILE = Path(__file__).resolve().parents[1] / "data" / "eval" / "tosdr_audit.jsonl"
# The facts ToS;DR labels with >= 20 examples (the bar); security is too coarse a label.
AUDITED_FACTS = ("children.min_age", "retention.level", "rights.access", "rights.erasure",
                 "sharing.no_sale", "rights.opt_out_marketing", "transfers.international",
                 "rights.portability", "rights.complaint")
GUIDE = """The clause must itself state the fact; a bare heading or a negated statement does not.
Judge other languages by meaning. A clause is true for a fact when it says that ...
children.min_age: the service names a concrete minimum age below which users may not use it, it is
  not directed at them, or it does not knowingly collect their data.
retention.level: how long personal data is kept, or when it is deleted (a duration or a principle:
  "as long as necessary", "kept after you close your account", "may remain in backups"); a
  response deadline is not retention.
rights.access: users may obtain access to, or a copy of, their personal data.
rights.erasure: users may have their personal data deleted, including deleting their account.
rights.portability: users may receive their data in a portable form (an export, download, file,
  archive) or have it transferred to another provider; a plain "copy" is not enough.
rights.complaint: users may complain to a regulator, a grievance officer or an independent
  dispute body; "contact us with concerns" is not enough.
sharing.no_sale: the service does not sell (rent, trade) personal data, possibly "without
  consent"; an unconditional promise never to share personal data with anyone also counts.
rights.opt_out_marketing: users may opt out of marketing or non-essential communications; opting
  out of targeted advertising or cookies is not enough.
transfers.international: personal data may be transferred to, stored or processed in another
  country."""


def clause_id(service: str, text: str) -> str:
    """Stable id of a ToS;DR clause: the same quote of the same service is one clause."""
    return hashlib.sha1(f"{service}\n{text}".encode()).hexdigest()[:12]


def audit_items(rows: Sequence[Mapping], gated: Mapping[int, Iterable[str]],
                labelled: Mapping[int, Iterable[str]],
                facts: Sequence[str] = AUDITED_FACTS) -> list[dict]:
    """The (clause, fact) pairs to annotate: gated or labelled for the fact, one per clause id."""
    out: dict[tuple[str, str], dict] = {}
    for f in facts:
        for i, r in enumerate(rows):
            if f in gated.get(i, ()) or f in labelled.get(i, ()):
                cid = clause_id(r["service"], r["text"])
                out.setdefault((cid, f), {"id": cid, "fact": f, "text": r["text"]})
    return list(out.values())


def load_audit(path: Path = AUDIT_FILE) -> dict[tuple[str, str], bool]:
    """Verdicts keyed by (clause id, fact); empty when the file is absent."""
    if not path.is_file():
        return {}
    verdicts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            verdicts[(o["id"], o["fact"])] = bool(o["states"])
    return verdicts
