"""Send pacing as target times: fastest (none), fixed rate, event-time replay, random jitter.

A `Pacer` turns a block of events into a non-decreasing array of target send times (seconds
since the first send); the producer sends every event whose time has come in one go and sleeps
until the next one, so pacing costs nothing per event when it is off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shopstream.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Pacer:
    rate: float | None = None
    replay_speed: float | None = None
    jitter: tuple[float, float] | None = None
    seed: int | None = None
    _sent: int = 0
    _first_ts: int | None = None
    _offset: float = 0.0
    _last: float = 0.0
    _rng: np.random.Generator | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.rate is not None and self.replay_speed is not None:
            msg = "--rate and --replay-speed exclude each other; pass one of them"
            raise ConfigError(msg)
        if self.rate is not None and self.rate <= 0:
            msg = f"--rate must be positive, got {self.rate}"
            raise ConfigError(msg)
        if self.replay_speed is not None and self.replay_speed <= 0:
            msg = f"--replay-speed must be positive, got {self.replay_speed}"
            raise ConfigError(msg)
        if self.jitter is not None:
            low, high = self.jitter
            if not 0 <= low <= high:
                msg = f"--jitter MIN,MAX needs 0 <= MIN <= MAX, got {low},{high}"
                raise ConfigError(msg)

    @property
    def active(self) -> bool:
        return any(x is not None for x in (self.rate, self.replay_speed, self.jitter))

    def targets(self, timestamps_ms: np.ndarray) -> np.ndarray | None:
        """Target send times for the next ``len(timestamps_ms)`` events, or None (no pacing)."""
        import numpy as np

        n = len(timestamps_ms)
        if not self.active or n == 0:
            self._sent += n
            return None
        base = np.zeros(n, dtype=np.float64)
        if self.rate is not None:
            base = (self._sent + np.arange(n, dtype=np.float64)) / self.rate
        elif self.replay_speed is not None:
            if self._first_ts is None:
                self._first_ts = int(timestamps_ms[0])
            base = (timestamps_ms.astype(np.float64) - self._first_ts) / 1000.0 / self.replay_speed
        if self.jitter is not None:
            if self._rng is None:
                self._rng = np.random.default_rng(self.seed)
            gaps = self._rng.uniform(self.jitter[0], self.jitter[1], n)
            # the gap comes before each send except the very first one
            if self._sent == 0:
                gaps[0] = 0.0
            steps = np.cumsum(gaps) + self._offset
            self._offset = float(steps[-1])
            base = base + steps
        self._sent += n
        out = np.maximum.accumulate(np.maximum(base, self._last))
        self._last = float(out[-1])
        return out


def parse_jitter(text: str | None) -> tuple[float, float] | None:
    """``"0.01,0.05"`` → (0.01, 0.05); a single number means (0, that)."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        numbers = [float(p) for p in parts]
    except ValueError as e:
        msg = f"--jitter expects MIN_S,MAX_S such as 0.001,0.01, got {text!r}"
        raise ConfigError(msg) from e
    if len(numbers) == 1:
        return (0.0, numbers[0])
    if len(numbers) != 2:
        msg = f"--jitter expects MIN_S,MAX_S such as 0.001,0.01, got {text!r}"
        raise ConfigError(msg)
    return (numbers[0], numbers[1])
