"""Prometheus metrics of one router app, in its own registry (no process-global state)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from serving.upstream import READY, Upstream

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RouterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "shopstream_http_requests", "HTTP requests answered by the router",
            ("route", "method", "status"), registry=self.registry,
        )
        self.latency = Histogram(
            "shopstream_http_request_duration_seconds", "Router request latency",
            ("route", "method"), buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.model_version = Gauge(
            "shopstream_model_version", "Registered version served per model (0 = none)",
            ("role", "name"), registry=self.registry,
        )
        self.model_ready = Gauge(
            "shopstream_model_ready", "1 when the model's scoring server is behind the router",
            ("role",), registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def render(self, upstreams: Mapping[str, Upstream]) -> bytes:
        for role, up in upstreams.items():
            version = up.version
            self.model_version.labels(role, up.name).set(
                float(version) if version and version.isdigit() else 0.0
            )
            self.model_ready.labels(role).set(1.0 if up.state == READY else 0.0)
        return generate_latest(self.registry)
