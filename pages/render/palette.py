"""Colours, marks and names shared by every renderer."""
from __future__ import annotations

from extract.terms import AREA_TITLES

__all__ = ["STATED", "PARTIAL", "NOT_STATED", "CELL_COLOURS", "CELL_TEXT_COLOURS",
           "CELL_MEANING", "REVIEW_MARK", "REVIEWED_MARK", "BAR_COLOUR", "AREA_MARKER",
           "AREA_TITLES", "REVIEW_STATUS_ICONS", "status_label"]

# Okabe–Ito colours: distinguishable with every common colour-vision deficiency; every cell
# also carries its value as text, so colour is never the only signal.
STATED, PARTIAL, NOT_STATED = 2, 1, 0
CELL_COLOURS = {NOT_STATED: "#E4E4E4", PARTIAL: "#56B4E9", STATED: "#0072B2"}
CELL_TEXT_COLOURS = {NOT_STATED: "#333333", PARTIAL: "#111111", STATED: "#FFFFFF"}
CELL_MEANING = {
    STATED: "Stated: the policy says it (yes, a concrete retention period, or a minimum age at "
            "or above the one your jurisdiction requires)",
    PARTIAL: "Partly: only a retention principle (\"as long as necessary\"), or a minimum age "
             "below the one your jurisdiction requires",
    NOT_STATED: "Not stated (— when many vendors are shown): the policy does not say it; "
                "it scores nothing",
}
REVIEW_MARK = "⚠"
REVIEWED_MARK = "✔"  # the value is a reviewer's override
BAR_COLOUR = "#0072B2"
AREA_MARKER = "#E69F00"  # radar fill: Okabe–Ito orange, distinct from the cell blues


REVIEW_STATUS_ICONS = {"not reviewed": "○", "in review": "◐", "approved": "●",
                       "approved with conditions": "◑", "rejected": "✕"}


def status_label(status: str) -> str:
    return f"{REVIEW_STATUS_ICONS.get(status, '')} {status}".strip()
