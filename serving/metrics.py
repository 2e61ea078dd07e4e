"""Prometheus metrics of one router app, in its own registry (no process-global state)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

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

    def watch(self, upstreams: Mapping[str, Upstream]) -> None:
        """Export the upstreams' batch counters (read at scrape time, nothing per request)."""
        self.registry.register(UpstreamCollector(upstreams))

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


class UpstreamCollector(Collector):
    """shopstream_upstream_batches_total / _rows_total per role: rows / batches is how many
    router requests each /invocations call carried."""

    def __init__(self, upstreams: Mapping[str, Upstream]) -> None:
        self.upstreams = upstreams

    def collect(self) -> Iterator[CounterMetricFamily]:
        batches = CounterMetricFamily("shopstream_upstream_batches",
                                      "/invocations calls sent to the scoring servers",
                                      labels=["role"])
        rows = CounterMetricFamily("shopstream_upstream_rows",
                                   "Rows (router requests) sent in those calls", labels=["role"])
        for role, up in self.upstreams.items():
            batches.add_metric([role], up.batches_sent)
            rows.add_metric([role], up.rows_sent)
        yield batches
        yield rows
