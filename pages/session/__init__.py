"""Streamlit-side helpers for the pages: per-process caches and per-session state.

store     the store, its change counter, cached records, the extraction model
rubric    the reviewer's rubric in session state
identity  sign-in, roles, who is acting
"""
