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


class FakeTracking(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, Any]]] = {}
    seen: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.seen.append({"path": [url.path], **query})
        status, body = self.answers.get(query["name"][0], (404, {"error_code":
                                                                   "RESOURCE_DOES_NOT_EXIST"}))
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
                            "broken": (500, {"error_code": "INTERNAL_ERROR"})}
    FakeTracking.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_alias_version_and_tags_over_rest(tracking: str) -> None:
    mv = RegistryReader(tracking, "production").production("recommender")
    assert mv is not None
    assert (mv.version, mv.run_id) == ("7", "abc")
    assert mv.tags == {"map_at_10": "0.2", "batches": "1-9"}
    assert FakeTracking.seen[-1] == {"path": ["/api/2.0/mlflow/registered-models/alias"],
                                     "name": ["recommender"], "alias": ["production"]}


def test_missing_model_or_alias_is_none(tracking: str) -> None:
    assert RegistryReader(tracking, "production").production("nothing-here") is None


def test_server_error_is_reported_not_taken_for_no_model(tracking: str) -> None:
    with pytest.raises(RegistryUnavailableError, match="answered 500"):
        RegistryReader(tracking, "production").production("broken")


def test_unreachable_tracking_server_says_so() -> None:
    with pytest.raises(RegistryUnavailableError, match="tracking server up"):
        RegistryReader("http://127.0.0.1:9", "production", timeout_s=2).production("x")
