"""Shared fixtures. Unit tests need nothing running; integration fixtures live beside them."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from shopstream.settings import Settings

_SAMPLE = Path("shared") / "data" / "retailrocket-sample"
# ../shared beside the repo; a git worktree one level deeper (wt/<name>) finds the same folder
# further up, so the nearest ancestor that holds it wins.
SHARED_DATA = next(
    (p / _SAMPLE for p in Path(__file__).resolve().parents[1:] if (p / _SAMPLE).is_dir()),
    Path(__file__).resolve().parents[2] / _SAMPLE,
)


def unique(prefix: str) -> str:
    """A name no other test (or earlier run) uses: topics, buckets, experiments."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The effective settings of this run (local stack unless SHOPSTREAM_* say otherwise)."""
    return Settings()


@pytest.fixture(scope="session")
def real_sample_dir() -> Path:
    """Real Retail Rocket rows shipped beside the repo (../shared/data/retailrocket-sample)."""
    if not SHARED_DATA.exists():
        pytest.skip(f"real sample data not found at {SHARED_DATA}")
    return SHARED_DATA


def port_is_free(port: int) -> bool:
    """Whether a listener could bind 127.0.0.1:port now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
