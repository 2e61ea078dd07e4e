"""The scoring host in-process: MLflow's scoring app per model on its own port, load/unload
through the control app, heavy imports kept out. (The real host process, its restart and the
zero-downtime switch run in tests/integration/serving.)"""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from serving.config import ServingConfig
from serving.main import config_from_json, config_to_json
from serving.scoring_host import BLOCK_ENV, Host, block_heavy_imports, control_app
from shopstream.contracts import INVOCATIONS_KEY

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

ROW = {"num_views": 120, "num_addtocart": 7, "distinct_items_interacted": 45}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from serving.sample_models import predictor_dir

    return predictor_dir(tmp_path_factory.mktemp("models") / "predictor", high=0.7)


@pytest.fixture
async def host() -> AsyncIterator[tuple[Host, httpx.AsyncClient]]:
    h = Host("127.0.0.1")
    transport = httpx.ASGITransport(app=control_app(h))
    async with httpx.AsyncClient(transport=transport, base_url="http://control") as client:
        yield h, client
    await h.close()


async def test_load_serves_mlflow_scoring_app_then_unload_frees_the_port(
        host: tuple[Host, httpx.AsyncClient], predictor: Path) -> None:
    h, control = host
    port = free_port()
    loaded = await control.post("/models", json={"uri": str(predictor), "role": "tp",
                                                 "port": port})
    assert loaded.status_code == 200, loaded.text
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scoring:
        assert (await scoring.get("/ping")).status_code == 200
        answer = await scoring.post("/invocations", json={INVOCATIONS_KEY: [ROW, ROW]})
        assert answer.status_code == 200
        preds = answer.json()["predictions"]
        assert [p["probability"] for p in preds] == pytest.approx([0.7, 0.7])
    listed = (await control.get("/models")).json()
    assert listed[str(port)]["role"] == "tp"
    assert (await control.delete(f"/models/{port}")).status_code == 200
    assert not port_open(port) and h.served == {}
    assert (await control.delete(f"/models/{port}")).status_code == 404


async def test_a_model_that_cannot_load_is_a_500_with_the_reason(
        host: tuple[Host, httpx.AsyncClient], tmp_path: Path) -> None:
    _, control = host
    port = free_port()
    r = await control.post("/models", json={"uri": str(tmp_path), "role": "x", "port": port})
    assert r.status_code == 500
    assert "MLmodel" in r.json()["error"] or "model" in r.json()["error"].lower()
    assert not port_open(port)


async def test_a_taken_port_is_refused(host: tuple[Host, httpx.AsyncClient],
                                       predictor: Path) -> None:
    _, control = host
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = await control.post("/models", json={"uri": str(predictor), "port": port})
    assert r.status_code == 500 and "in use" in r.json()["error"]


def test_heavy_imports_are_blocked_as_if_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "shopstream_not_a_real_module_for_the_test"
    monkeypatch.delitem(sys.modules, name, raising=False)
    blocked = block_heavy_imports({BLOCK_ENV: f"{name}, sys"})
    try:
        assert blocked == [name]  # sys is already imported: left alone
        with pytest.raises(ImportError):
            __import__(name)
    finally:
        sys.modules.pop(name, None)


def test_serve_spec_round_trips_the_config(tmp_path: Path) -> None:
    config = ServingConfig(model_names={"recommender": "r"}, scoring_base_port=7100,
                           scoring_layout="per-model", log_dir=tmp_path)
    assert config_from_json(config_to_json(config)) == config


def test_hosted_model_stop_after_host_exit_is_quiet(tmp_path: Path) -> None:
    import subprocess

    from serving.hosts import HostedModel, HostProcess
    from serving.registry import ProductionVersion

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    owner = HostProcess("all", proc, tmp_path / "log", tmp_path / "ctl",  # type: ignore[arg-type]
                        control_url="http://127.0.0.1:9")
    model: Any = HostedModel("tp", ProductionVersion("tp", "1"), "127.0.0.1", 9, owner)
    assert not model.alive()
    model.stop()  # nothing to unload: no error


def test_cached_version_is_loaded_from_disk_and_old_ones_pruned(tmp_path: Path) -> None:
    import os

    from serving.scoring_host import cache_key, fetch, prune

    key = cache_key("team/recommender", "7", "run1")
    assert key == "team_recommender/v7-run1"
    done = tmp_path / key
    (done / "artifacts").mkdir(parents=True)
    (done / ".complete").write_text("artifacts")
    path, remove = fetch("models:/team/recommender/7", tmp_path, key)  # no download: cached
    assert (path, remove) == (str(done / "artifacts"), None)
    for v in range(1, 6):
        old = tmp_path / "team_recommender" / f"v{v}-r"
        old.mkdir()
        (old / ".complete").write_text(".")
        os.utime(old, (v, v))
    prune(tmp_path / "team_recommender", keep=3)
    left = sorted(p.name for p in (tmp_path / "team_recommender").iterdir())
    assert left == ["v4-r", "v5-r", "v7-run1"]


def test_adopted_child_reports_its_exit_like_popen() -> None:
    import subprocess

    from serving.hosts import Adopted, adopt_host, host_spec

    # A Popen whose handle is dropped stands for a child started before an exec.
    pid = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"]).pid
    child = Adopted(pid)
    assert child.wait(timeout=30) == 3 and child.poll() == 3
    spec = host_spec(adopt_host({"key": "all", "pid": pid, "log_file": "/x.log",
                                 "control_file": "/x.json"}))
    assert spec == {"key": "all", "pid": pid, "log_file": "/x.log", "control_file": "/x.json"}
