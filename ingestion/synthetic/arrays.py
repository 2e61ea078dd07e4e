"""Small vectorised helpers over ragged segments (a session's events, a visitor's sessions)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def segment_starts(lengths: IntArray) -> IntArray:
    """Offset of each segment's first element in the flattened array."""
    ends = np.cumsum(lengths, dtype=np.int64)
    return ends - lengths


def segment_ids(lengths: IntArray) -> IntArray:
    """For each flattened element, the index of the segment it belongs to."""
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def position_in_segment(lengths: IntArray) -> IntArray:
    """For each flattened element, its 0-based position inside its segment."""
    total = int(lengths.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(segment_starts(lengths), lengths)


def last_true_index(flags: BoolArray) -> IntArray:
    """For each position, the index of the latest position at or before it where flags is true.

    Positions before the first true flag get 0; callers make sure position 0 of every segment
    is flagged.
    """
    marks = np.where(flags, np.arange(len(flags), dtype=np.int64), 0)
    return np.maximum.accumulate(marks) if len(marks) else marks


def reflect(values: IntArray, sizes: IntArray) -> IntArray:
    """Fold arbitrary integers into [0, size) by reflecting at both ends (a bounded walk)."""
    period = 2 * sizes
    folded = np.mod(values, period)
    return np.where(folded < sizes, folded, period - 1 - folded)


def bounded_zipf(rng: np.random.Generator, a: float, cap: int, size: int) -> IntArray:
    """Zipf(a) draws (>= 1) capped at cap: heavy-tailed counts where most are 1."""
    return np.minimum(rng.zipf(a, size=size), cap).astype(np.int64)


def sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))
