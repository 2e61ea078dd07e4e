"""Sum a per-process measure over a process and all its descendants (psutil)."""

from __future__ import annotations

from collections.abc import Callable

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
