"""Sum a per-process measure over a process and all its descendants (psutil)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil


def tree_total(pid: int, measure: Callable[[psutil.Process], float]) -> float:
    """measure(p) summed over pid and its descendants; processes that exit meanwhile count 0."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            total += measure(proc)
        except psutil.NoSuchProcess:
            continue
    return total


def tree_rss(pid: int) -> float:
    """Resident bytes of the tree."""
    return tree_total(pid, lambda p: p.memory_info().rss)


def tree_cpu_s(pid: int) -> float:
    """User+system CPU seconds used so far by the tree."""
    return tree_total(pid, lambda p: p.cpu_times().user + p.cpu_times().system)


def _label(proc: psutil.Process) -> str:
    args = proc.cmdline()
    for marker in ("serving.scoring_host", "serving.main", "uvicorn", "mlflow"):
        if any(marker in a for a in args):
            return {"serving.main": "router", "serving.scoring_host": "scoring host",
                    "uvicorn": "uvicorn scoring server",
                    "mlflow": "mlflow models serve (parent)"}[marker]
    return " ".join(a.rsplit("/", 1)[-1] for a in args[:3])


def tree_memory(pid: int) -> dict[str, Any]:
    """RSS (and PSS: shared pages split between the processes that map them) of the tree, MB,
    in all and per process."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {"rss_mb": 0.0, "pss_mb": None, "processes": []}
    rows = []
    for proc in procs:
        try:
            info = proc.memory_full_info()
            rows.append({"pid": proc.pid, "what": _label(proc),
                         "rss_mb": round(info.rss / 1e6, 1),
                         "pss_mb": round(getattr(info, "pss", 0) / 1e6, 1)})
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return {"rss_mb": round(sum(r["rss_mb"] for r in rows), 1),
            "pss_mb": round(sum(r["pss_mb"] for r in rows), 1), "processes": rows}


@dataclass(frozen=True)
class WatchedRun:
    """A finished command: its exit code, stdout, wall seconds, and the tree's peak RSS bytes
    and CPU seconds (sampled every 0.5 s: the last reading is within 0.5 s of the exit)."""

    returncode: int
    stdout: str
    seconds: float
    peak_rss: float
    cpu_s: float

    def last_json_line(self) -> str | None:
        lines = [ln for ln in self.stdout.splitlines() if ln.startswith("{")]
        return lines[-1] if lines else None


def run_watched(cmd: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path) -> WatchedRun:
    """Run cmd (stderr to `log`) and sample its process tree's memory and CPU until it exits."""
    started = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                                stderr=err, text=True)
        peak = cpu = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            cpu = max(cpu, tree_cpu_s(proc.pid))
            time.sleep(0.5)
    out = proc.stdout.read() if proc.stdout else ""
    return WatchedRun(proc.returncode, out, time.perf_counter() - started, peak, cpu)
