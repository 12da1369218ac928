"""The real corpora in `../shared/data`: tests that read them skip when they are absent, except in CI.

Under `CI` (set by most CI services) or `NBNLP_REQUIRE_DATA=1` (set by .ci/run) a missing corpus
fails the test instead, so a CI run cannot pass by silently skipping the real-data checks.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_required() -> bool:
    return os.environ.get("NBNLP_REQUIRE_DATA") == "1" or os.environ.get("CI", "").lower() not in ("", "0", "false")


def need_data(path: Path) -> Path:
    """`path` if it exists; else skip (or fail, in CI) with where the data was looked for."""
    if not path.exists():
        reason = f"real data not available: {path}"
        if data_required():
            pytest.fail(f"{reason} (CI / NBNLP_REQUIRE_DATA=1 require it)", pytrace=False)
        pytest.skip(reason)
    return path
