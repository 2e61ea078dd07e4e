"""The router reads the production alias over the tracking server's REST API (no mlflow)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from serving.registry import RegistryReader, RegistryUnavailableError

pytestmark = pytest.mark.unit

VERSION = {"name": "recommender", "version": "7", "run_id": "abc",
           "tags": [{"key": "map_at_10", "value": "0.2"}, {"key": "batches", "value": "1-9"}]}


RUN_METRICS = [{"key": "hr_at_10", "value": 0.09, "step": 0},
               {"key": "popularity_hr_at_10", "value": 0.02, "step": 0}]


class FakeTracking(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, Any]]] = {}
    seen: ClassVar[list[dict[str, list[str]]]] = []
    auths: ClassVar[list[str]] = []  # the Authorization header of each request

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.seen.append({"path": [url.path], **query})
        self.auths.append(self.headers.get("Authorization", ""))
        key = query["run_id"][0] if url.path.endswith("/runs/get") else query["name"][0]
        status, body = self.answers.get(key, (404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tracking() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTracking)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTracking.answers = {"recommender": (200, {"model_version": VERSION}),
                            "broken": (500, {"error_code": "INTERNAL_ERROR"}),
                            "abc": (200, {"run": {"data": {"metrics": RUN_METRICS}}})}
    FakeTracking.seen = []
    FakeTracking.auths = []
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_alias_version_and_tags_over_rest(tracking: str) -> None:
    mv = RegistryReader(tracking, "production").production("recommender")
    assert mv is not None
    assert (mv.version, mv.run_id) == ("7", "abc")
    assert mv.tags == {"map_at_10": "0.2", "batches": "1-9"}
    assert FakeTracking.seen[0] == {"path": ["/api/2.0/mlflow/registered-models/alias"],
                                    "name": ["recommender"], "alias": ["production"]}


def test_run_metrics_beside_tags_read_once_per_run(tracking: str) -> None:
    """Versions carry no metric tags: /models shows the training run's metrics (plus any
    numeric tag of a hand-registered version), and a finished run is asked for only once."""
    reader = RegistryReader(tracking, "production")
    mv = reader.production("recommender")
    assert mv is not None
    assert mv.run_metrics == {"hr_at_10": 0.09, "popularity_hr_at_10": 0.02}
    assert mv.describe()["metrics"] == {"hr_at_10": 0.09, "popularity_hr_at_10": 0.02,
                                        "map_at_10": 0.2}
    assert reader.production("recommender") == mv
    runs_asked = [s for s in FakeTracking.seen if s["path"] == ["/api/2.0/mlflow/runs/get"]]
    assert runs_asked == [{"path": ["/api/2.0/mlflow/runs/get"], "run_id": ["abc"]}]


def test_unreadable_run_leaves_metrics_empty_and_is_asked_again(tracking: str) -> None:
    FakeTracking.answers["abc"] = (404, {"error_code": "RESOURCE_DOES_NOT_EXIST"})
    reader = RegistryReader(tracking, "production")
    first, second = reader.production("recommender"), reader.production("recommender")
    assert first is not None and first.run_metrics == {} and first == second
    assert len([s for s in FakeTracking.seen if s["path"] == ["/api/2.0/mlflow/runs/get"]]) == 2


def test_missing_model_or_alias_is_none(tracking: str) -> None:
    assert RegistryReader(tracking, "production").production("nothing-here") is None


def test_server_error_is_reported_not_taken_for_no_model(tracking: str) -> None:
    with pytest.raises(RegistryUnavailableError, match="answered 500"):
        RegistryReader(tracking, "production").production("broken")


def test_unreachable_tracking_server_says_so() -> None:
    with pytest.raises(RegistryUnavailableError, match="tracking server up"):
        RegistryReader("http://127.0.0.1:9", "production", timeout_s=2).production("x")


def test_credentials_go_with_every_request_as_basic_auth(tracking: str) -> None:
    import base64

    reader = RegistryReader(tracking, "production", credentials=("ci-user", "pw-123456789"))
    assert reader.production("recommender") is not None
    expected = "Basic " + base64.b64encode(b"ci-user:pw-123456789").decode()
    assert FakeTracking.auths == [expected, expected]  # the alias, then the run's metrics
    FakeTracking.auths = []
    RegistryReader(tracking, "production").production("recommender")
    assert FakeTracking.auths == ["", ""]
