"""`python -m extract.bench`: the benchmark (see `extract.lab.bench` for what it measures).

An entry point only; the benchmark is lab code and lives in `extract/lab/bench/`.
"""
from __future__ import annotations

import sys

from extract.lab.bench import facts_signature, main

__all__ = ["main", "facts_signature"]

if __name__ == "__main__":
    sys.exit(main())
