"""A scoring host: one process serving several models, each through MLflow's own scoring app.

    python -m serving.scoring_host --control-file PATH [--parent-pid PID]

Each loaded model gets `mlflow.pyfunc.scoring_server.init(model)` — the very app `mlflow models
serve` runs, with its /ping, /health, /version and /invocations — on its own port, under its
own uvicorn server in this process's event loop. What is gone is the idle `mlflow models serve`
parent (~300 MB each) and a second copy of mlflow, pandas and numpy per model.

A small control app on an ephemeral port (written to --control-file once it listens) loads and
unloads models; the router's supervisors drive it (serving/hosts.py):

    GET    /ping                        200 once the host can load models
    GET    /models                      {port: {"uri", "role", "load_s"}}
    POST   /models {"uri", "role", "port"}   download + load + serve; 200 when it listens
    DELETE /models/{port}               stop serving that port and drop the model

This module is the scoring process's entry point: keep its imports light, and keep Spark,
scikit-learn, SciPy and PyArrow out (see block_heavy_imports).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("serving.scoring_host")

# Imported by mlflow and pandas only when present, and never needed to score a pyfunc over
# JSON: pyspark + py4j (mlflow.types.schema), scipy (mlflow.models.utils), pyarrow
# (pandas.compat), sklearn. Hiding them saves ~55 MB per scoring process.
BLOCKED_IMPORTS = ("pyspark", "py4j", "scipy", "sklearn", "pyarrow")
BLOCK_ENV = "SHOPSTREAM_SCORING_BLOCK_IMPORTS"  # comma-separated override; "" blocks nothing


def block_heavy_imports(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """Make `import X` raise ImportError for the listed packages, as if not installed."""
    raw = environ.get(BLOCK_ENV)
    names = BLOCKED_IMPORTS if raw is None else tuple(n.strip() for n in raw.split(","))
    blocked = []
    for name in filter(None, names):
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
            blocked.append(name)
    return blocked


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@dataclass
class Served:
    """One model being served on one port."""

    uri: str
    role: str
    port: int
    server: Any
    task: asyncio.Task[None]
    load_s: float
    local_copy: str | None = None  # a downloaded copy, removed when the model is dropped

    def describe(self) -> dict[str, Any]:
        return {"uri": self.uri, "role": self.role, "load_s": round(self.load_s, 3)}


def fetch(uri: str, cache: Path | None = None, key: str = "") -> tuple[str, str | None]:
    """(local path, temp folder to remove when the model is dropped) of the model's artifacts:
    what `mlflow models serve` downloads before it starts uvicorn. With a cache folder and a
    key (name/version-run: a registered version never changes), a version downloaded once is
    loaded from disk after a restart or the next `shopstream serve`."""
    from mlflow.artifacts import download_artifacts

    if os.path.isdir(uri):
        return uri, None
    if cache is None or not key:
        dst = tempfile.mkdtemp(prefix="shopstream-model-")
        return str(download_artifacts(artifact_uri=uri, dst_path=dst)), dst
    target = cache / key
    done = target / ".complete"  # holds the model folder's path inside target
    if done.exists():
        return str(target / done.read_text()), None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=target.parent))
    try:
        local = Path(download_artifacts(artifact_uri=uri, dst_path=str(tmp)))
        (tmp / ".complete").write_text(str(local.relative_to(tmp)))
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prune(target.parent, keep=3)
    return str(target / done.read_text()), None


def prune(folder: Path, keep: int) -> None:
    """Keep the newest `keep` cached versions of one model (older ones are not served again
    unless the alias moves back, and then they are downloaded again)."""
    done = sorted((p for p in folder.iterdir() if (p / ".complete").exists()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in done[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def cache_key(name: str, version: str, run_id: str | None) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"{safe}/v{version}-{run_id or 'norun'}"


def load_app(local_path: str) -> Any:
    """MLflow's scoring app over the pyfunc at local_path (as mlflow.pyfunc.scoring_server.app),
    its timeout middleware in pure ASGI (serving.scoring_app)."""
    from mlflow.pyfunc import scoring_server

    from serving.scoring_app import scoring_app

    model = scoring_server.load_model_with_mlflow_config(local_path)
    return scoring_app(model)


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _server(app: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """Several run in one loop: signals are the host's business, not each server's."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(app, http="httptools", lifespan="off", access_log=False,
                            log_level="warning", timeout_keep_alive=75,
                            timeout_graceful_shutdown=5)
    return Server(config)


class Host:
    def __init__(self, host: str, cache: Path | None = None) -> None:
        self.host = host
        self.cache = cache
        self.served: dict[int, Served] = {}
        self._lock = asyncio.Lock()

    async def load(self, uri: str, role: str, port: int, key: str = "") -> Served:
        if port in self.served:
            msg = f"port {port} already serves {self.served[port].uri}"
            raise ValueError(msg)
        started = time.monotonic()
        sock = bind(self.host, port)  # fail fast when the port is taken
        copy = None
        try:
            # downloads run side by side
            local, copy = await asyncio.to_thread(fetch, uri, self.cache, key)
            async with self._lock:  # one load at a time: each ends with a full GC (settle_gc)
                app = await asyncio.to_thread(load_app, local)
            server = _server(app)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
        except BaseException:
            sock.close()
            if copy:
                shutil.rmtree(copy, ignore_errors=True)
            raise
        if task.done():
            sock.close()
            msg = f"uvicorn for {uri} on :{port} exited at start"
            raise RuntimeError(msg)
        served = Served(uri, role, port, server, task, time.monotonic() - started, copy)
        self.served[port] = served
        logger.info("serving %s (%s) on :%d after %.2fs; host RSS %.0f MB", uri, role, port,
                    served.load_s, rss_mb())
        return served

    async def unload(self, port: int) -> bool:
        served = self.served.pop(port, None)
        if served is None:
            return False
        served.server.should_exit = True
        with contextlib.suppress(Exception):
            await served.task
        if served.local_copy:
            shutil.rmtree(served.local_copy, ignore_errors=True)
        del served
        # The pyfuncs froze the GC after loading (settle_gc): let the dropped model's cycles go.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        logger.info("stopped :%d; host RSS %.0f MB", port, rss_mb())
        return True

    async def close(self) -> None:
        for port in list(self.served):
            await self.unload(port)


def _json(status: int, payload: Any) -> Any:
    from starlette.responses import Response

    return Response(json.dumps(payload), status_code=status, media_type="application/json")


def control_app(host: Host) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    async def ping(request: Request) -> Any:
        return _json(200, {"pid": os.getpid(), "rss_mb": round(rss_mb(), 1)})

    async def models(request: Request) -> Any:
        if request.method == "GET":
            return _json(200, {str(p): s.describe() for p, s in host.served.items()})
        body = await request.json()
        try:
            served = await host.load(str(body["uri"]), str(body.get("role", "")),
                                     int(body["port"]), str(body.get("cache_key", "")))
        except Exception as e:
            logger.exception("loading %s failed", body.get("uri"))
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            return _json(500, {"error": detail})
        return _json(200, {"port": served.port, **served.describe()})

    async def unload(request: Request) -> Any:
        found = await host.unload(int(request.path_params["port"]))
        return _json(200 if found else 404, {"stopped": found})

    return Starlette(routes=[
        Route("/ping", ping), Route("/models", models, methods=["GET", "POST"]),
        Route("/models/{port:int}", unload, methods=["DELETE"]),
    ])


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if parent and os.getppid() != parent:
            logger.warning("parent %d is gone; stopping", parent)
            stop.set()
        await asyncio.sleep(1.0)


async def main_async(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    host = Host(args.host, args.cache_dir)
    import mlflow.pyfunc.scoring_server  # noqa: F401  (warm: the first load then costs I/O only)

    from shopstream.gc_tuning import settle_for_serving

    settle_for_serving()
    control = _server(control_app(host))
    sock = bind(args.host, 0)
    task = asyncio.create_task(control.serve(sockets=[sock]))
    while not control.started:
        await asyncio.sleep(0.01)
    tmp = Path(f"{args.control_file}.tmp")
    tmp.write_text(json.dumps({"port": sock.getsockname()[1], "pid": os.getpid()}))
    tmp.replace(args.control_file)
    logger.info("scoring host %d ready (control :%d, RSS %.0f MB)", os.getpid(),
                sock.getsockname()[1], rss_mb())
    watcher = asyncio.create_task(_watch_parent(args.parent_pid, stop))
    await stop.wait()
    await host.close()
    control.should_exit = True
    await task
    watcher.cancel()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--control-file", required=True, type=Path)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--parent-pid", type=int, default=0)
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="keep downloaded model versions here (loaded from disk next time)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    blocked = block_heavy_imports()
    logger.info("not importing %s in this scoring process", ", ".join(blocked) or "-")
    try:
        import uvloop
    except ImportError:
        asyncio.run(main_async(args))
    else:
        uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
