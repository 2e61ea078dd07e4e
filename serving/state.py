"""What one router app holds: its upstreams, supervisors' events, metrics. Built per app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from serving.metrics import RouterMetrics
from serving.upstream import Upstream
from shopstream.settings import Settings

EventSource = Callable[[], list[str]]


@dataclass
class RouterState:
    settings: Settings
    upstreams: Mapping[str, Upstream]
    metrics: RouterMetrics = field(default_factory=RouterMetrics)
    events: EventSource = field(default=lambda: [])
    extra: dict[str, Any] = field(default_factory=dict)
    hot_answers: int = 0  # requests serving.hot_routes answered without FastAPI

    def upstream(self, role: str) -> Upstream:
        return self.upstreams[role]
