"""Where the real Retail Rocket samples are: ../shared/data/retailrocket-sample beside the
repository, or further up (a git worktree, a clone inside a scratch folder)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "shared/data/retailrocket-sample"


def sample_dir() -> Path:
    """The first ../shared/data/retailrocket-sample up from the repository; the one beside it
    when none exists (callers say that it is missing)."""
    for parent in ROOT.parents:
        if (parent / SAMPLE).is_dir():
            return parent / SAMPLE
    return ROOT.parent / SAMPLE
