"""Zero-downtime promotion under load, and a killed scoring server: 503 then recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import httpx
import psutil
import pytest

from infra.process import port_open, port_owner
from serving.sample_models import move_alias, register_sample
from shopstream.settings import Settings

POWER = {"visitorid_to_identify": "power", "num_views": 120, "num_addtocart": 7,
         "distinct_items_interacted": 45}
SEGMENT = {"visitorid_to_identify": "s", "total_events": 60, "total_views": 45,
           "total_addtocart": 6, "total_transactions": 3, "view_ratio": 0.75,
           "addtocart_ratio": 0.10, "transaction_ratio": 0.0667}


async def _load(url: str, stop: asyncio.Event, results: list[tuple[int, float, Any]]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                r = await client.post(f"{url}/predict-transaction", json=POWER)
                results.append((r.status_code, time.perf_counter() - t0,
                                r.json().get("model_version")))
            except httpx.HTTPError as e:
                results.append((0, time.perf_counter() - t0, repr(e)))


async def _promote_under_load(router: Any, settings: Settings, new_version: str,
                              results: list[tuple[int, float, Any]]) -> None:
    stop = asyncio.Event()
    workers = [asyncio.create_task(_load(router.url, stop, results)) for _ in range(8)]
    await asyncio.sleep(2)
    name = router.names["transaction_predictor"]
    await asyncio.to_thread(move_alias, settings, name, new_version)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        recent = results[-50:]
        if len(recent) == 50 and all(v == new_version for _, _, v in recent):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*workers)


def test_promotion_under_load_loses_no_request(router: Any, live_stack: Settings) -> None:
    name = router.names["transaction_predictor"]
    old = router.health()["models"]["transaction_predictor"]
    new_version = register_sample(live_stack, "transaction_predictor", name, alias=None,
                                  high=0.8, low=0.2)
    results: list[tuple[int, float, Any]] = []
    asyncio.run(_promote_under_load(router, live_stack, new_version, results))
    statuses = {s for s, _, _ in results}
    versions = [v for _, _, v in results]
    assert statuses == {200}, [r for r in results if r[0] != 200][:5]
    assert max(lat for _, lat, _ in results) < 1.0
    assert old["version"] in versions and versions[-1] == new_version
    health = router.health()["models"]["transaction_predictor"]
    assert health["version"] == new_version and health["url"] != old["url"]
    power = httpx.post(f"{router.url}/predict-transaction", json=POWER, timeout=5).json()
    assert power["probability"] == pytest.approx(0.8)  # the new version's leaves
    old_port = int(old["url"].rsplit(":", 1)[1])
    deadline = time.monotonic() + 30
    while port_open("127.0.0.1", old_port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not port_open("127.0.0.1", old_port), "old scoring server still running"


def test_killed_scoring_server_gives_503_then_recovers(router: Any) -> None:
    info = router.health()["models"]["user_segmentation"]
    port = int(info["url"].rsplit(":", 1)[1])
    owner = port_owner(port)
    assert owner is not None
    os.killpg(os.getpgid(owner.pid), signal.SIGKILL)
    psutil.wait_procs([owner], timeout=10)
    seen_503 = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = httpx.post(f"{router.url}/segment-user", json=SEGMENT, timeout=5)
        if r.status_code == 503:
            seen_503 = r.json()
            break
        time.sleep(0.1)
    assert seen_503 is not None and seen_503["model"] == "user_segmentation"
    assert "user_segmentation" in seen_503["detail"]
    degraded = router.health()
    assert degraded["status"] == "degraded"
    assert "user_segmentation" not in degraded["models_loaded"]
    healthy = router.wait_ok(timeout=180)
    assert any("died" in w for w in healthy["warnings"])
    ok = httpx.post(f"{router.url}/segment-user", json=SEGMENT, timeout=5)
    assert ok.status_code == 200 and ok.json()["segment"] == "buyers"
