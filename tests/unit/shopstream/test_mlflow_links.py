"""Every MLflow link opens the training runs (workflowType=machine_learning), never GenAI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from shopstream.mlflow_links import (
    experiment_link,
    experiment_url,
    model_url,
    model_version_url,
    run_url,
    ui_url,
)
from shopstream.settings import Settings

pytestmark = pytest.mark.unit
ML = "?workflowType=machine_learning"


def test_each_page_is_a_hash_route_with_the_machine_learning_view() -> None:
    base = "http://127.0.0.1:5000/"
    assert experiment_url(base, "3") == f"http://127.0.0.1:5000/#/experiments/3/runs{ML}"
    assert run_url(base, "3", "ab12") == f"http://127.0.0.1:5000/#/experiments/3/runs/ab12{ML}"
    assert model_url(base, "recommender") == f"http://127.0.0.1:5000/#/models/recommender{ML}"
    assert model_version_url(base, "rec", "4") == \
        f"http://127.0.0.1:5000/#/models/rec/versions/4{ML}"


def test_parts_are_quoted() -> None:
    assert ui_url("http://h", "models", "a b/c") == f"http://h/#/models/a%20b%2Fc{ML}"


class _Tracking(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        name = parse_qs(url.query).get("experiment_name", [""])[0]
        known = url.path.endswith("/experiments/get-by-name") and name == "shopstream"
        body = json.dumps({"experiment": {"experiment_id": "7", "name": name}} if known
                          else {"error_code": "RESOURCE_DOES_NOT_EXIST"}).encode()
        self.send_response(200 if known else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tracking() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tracking)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_experiment_link_asks_the_server_for_the_id(tracking: str) -> None:
    known = Settings(mlflow_tracking_uri=tracking, experiment_name="shopstream")
    assert experiment_link(known) == f"{tracking}/#/experiments/7/runs{ML}"
    unknown = Settings(mlflow_tracking_uri=tracking, experiment_name="nope")
    assert experiment_link(unknown) == f"{tracking}/#/experiments{ML}"


def test_experiment_link_without_a_server_is_the_experiments_list() -> None:
    down = Settings(mlflow_tracking_uri="http://127.0.0.1:9", experiment_name="shopstream")
    assert experiment_link(down, timeout_s=1.0) == f"http://127.0.0.1:9/#/experiments{ML}"
