"""Sum a per-process measure over a process and all its descendants (psutil)."""

from __future__ import annotations

from collections.abc import Callable
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
