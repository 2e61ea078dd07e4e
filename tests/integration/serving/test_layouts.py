"""The other scoring layouts: one scoring host per model, and one `mlflow models serve` each."""

from __future__ import annotations

from typing import Any

import httpx
import psutil
import pytest

POWER = {"visitorid_to_identify": "power", "num_views": 120, "num_addtocart": 7,
         "distinct_items_interacted": 45}


@pytest.mark.parametrize(("layout", "marker", "count"), [
    ("per-model", "serving.scoring_host", 3),
    ("mlflow-serve", "mlflow.pyfunc.scoring_server.app:app", 3),
])
def test_layout_serves_every_model_ready(router_factory: Any, layout: str, marker: str,
                                         count: int,
                                         sample_models: tuple[dict[str, str], Any]) -> None:
    names, versions = sample_models
    router = router_factory(names, versions, extra=("--scoring-layout", layout))
    assert router.summary["status"] == "ok", router.summary
    assert httpx.get(f"{router.url}/ready", timeout=5).status_code == 200
    r = httpx.post(f"{router.url}/predict-transaction", json=POWER, timeout=10)
    assert r.status_code == 200 and 0.0 <= r.json()["probability"] <= 1.0
    pids = {m["pid"] for m in router.summary["models"].values()}
    assert len(pids) == 3  # one process per model in both layouts
    children = psutil.Process(router.proc.pid).children(recursive=True)
    assert sum(any(marker in a for a in c.cmdline()) for c in children) == count
