"""Process plumbing for local services: pid files, port checks, detached start, graceful stop."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> psutil.Process | None:
    """The process listening on a local TCP port, if it can be seen."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return None
            try:
                return psutil.Process(conn.pid)
            except psutil.NoSuchProcess:
                return None
    return None


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def live_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in pid_file if that process is alive and its command line contains marker.

    A pid file left by a crashed run (dead pid, or a pid reused by an unrelated process) is
    stale: it is removed and None is returned.
    """
    pid = read_pid(pid_file)
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        alive = proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
        cmdline = " ".join(proc.cmdline()) if alive else ""
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        alive, cmdline = False, ""
    if alive and marker in cmdline:
        return pid
    logger.info("removing stale pid file %s (pid %s)", pid_file, pid)
    pid_file.unlink(missing_ok=True)
    return None


def alive(pid: int) -> bool:
    """True while pid runs (a zombie has exited). Unlike live_pid, no command-line check: a
    process just spawned may not show its final command line yet (the JVM launcher can still
    be starting), so readiness waits watch the pid they spawned with this."""
    try:
        proc = psutil.Process(pid)
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def spawn(
    argv: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start argv detached in its own session, output appended to log_file; returns its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def terminate(pid: int, *, timeout: float = 30.0, sig: int = signal.SIGTERM) -> None:
    """Signal (SIGTERM) the process group led by pid, wait, then SIGKILL whatever is left."""
    try:
        proc = psutil.Process(pid)
        family = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        for p in family:
            _signal(p, sig)
    _, alive = psutil.wait_procs(family, timeout=timeout)
    for p in alive:
        logger.warning("pid %s ignored signal %s for %.0fs; killing it", p.pid, sig, timeout)
        _signal(p, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)


def _signal(proc: psutil.Process, sig: int) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        proc.send_signal(sig)


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.5) -> bool:
    """Poll a zero-argument callable until it returns True or timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception as e:
            logger.debug("readiness probe failed: %s", e)
        time.sleep(interval)
    return False


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log yet)"


def die_with_parent() -> list[str]:
    """A command prefix that makes the child get SIGTERM if its parent dies (no preexec_fn)."""
    import shutil
    import sys

    setpriv = shutil.which("setpriv")
    if setpriv and sys.platform.startswith("linux"):
        return [setpriv, "--pdeathsig", "TERM", "--"]
    return []
