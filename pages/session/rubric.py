"""The reviewer's rubric (jurisdiction, custom age, area weights), kept in session state."""
from __future__ import annotations

import streamlit as st

from extract.score import DEFAULT_WEIGHTS, JURISDICTIONS, Rubric
from extract.taxonomy import SCORED_AREAS

__all__ = ["CUSTOM_AGE", "JURISDICTION_OPTIONS", "DEFAULT_JURISDICTION", "WEIGHT_KEYS",
           "RUBRIC_DEFAULTS", "init_rubric_state", "reset_rubric", "required_age",
           "current_rubric", "jurisdiction_label"]

CUSTOM_AGE = "Custom age"
JURISDICTION_OPTIONS = [*JURISDICTIONS, CUSTOM_AGE]
DEFAULT_JURISDICTION = next(iter(JURISDICTIONS))
WEIGHT_KEYS = {a: f"w_{a}" for a in SCORED_AREAS}
RUBRIC_DEFAULTS: dict[str, object] = {
    "jurisdiction": DEFAULT_JURISDICTION,
    "custom_age": JURISDICTIONS[DEFAULT_JURISDICTION],
    **{WEIGHT_KEYS[a]: int(DEFAULT_WEIGHTS[a]) for a in SCORED_AREAS},
}


def init_rubric_state() -> None:
    """Give the rubric keys their defaults and keep them across page switches.

    The rubric widgets live on the Scorecard page only; Streamlit drops a widget's value when
    its page is left. Re-assigning each key at the start of every run (app.py calls this before
    any page) keeps the reviewer's choice for all pages.
    """
    for key, default in RUBRIC_DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)


def reset_rubric() -> None:
    """on_click callback: back to the default jurisdiction and weights."""
    for key, default in RUBRIC_DEFAULTS.items():
        st.session_state[key] = default


def required_age() -> int:
    j = st.session_state.get("jurisdiction", DEFAULT_JURISDICTION)
    if j in JURISDICTIONS:
        return JURISDICTIONS[j]
    return int(st.session_state.get("custom_age", RUBRIC_DEFAULTS["custom_age"]))


def current_rubric() -> Rubric:
    """The reviewer's rubric from session state (defaults when the Scorecard was never opened)."""
    weights = {a: float(st.session_state.get(WEIGHT_KEYS[a], RUBRIC_DEFAULTS[WEIGHT_KEYS[a]]))
               for a in SCORED_AREAS}
    return Rubric(required_age=required_age(), weights=weights)


def jurisdiction_label() -> str:
    j = st.session_state.get("jurisdiction", DEFAULT_JURISDICTION)
    return j if j in JURISDICTIONS else f"Custom (age {required_age()})"
