"""Shared fixtures. Tests that need the raw public data in ../shared skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NAS_HARNESS_SHARED", REPO.parent / "shared")) / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "PROVENANCE.md").exists():
        pytest.skip(f"raw public data not found at {SHARED_DATA}")
    return SHARED_DATA
