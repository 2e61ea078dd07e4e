"""`shopstream stack up|down|status`: start, stop and report the local services."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from infra.errors import PortTakenError, StackError, StartupTimeoutError
from infra.process import alive, live_pid, port_open, port_owner, spawn, tail, terminate
from infra.services import SERVICE_NAMES, SERVICE_TYPES, Service
from shopstream.settings import LOCAL_HOST, Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceStatus:
    running: bool
    pid: int | None
    address: str
    external: bool = False
    log_file: str | None = None


def resolve(settings: Settings, names: Iterable[str] | None = None) -> list[Service]:
    chosen = list(names or SERVICE_NAMES)
    unknown = [n for n in chosen if n not in SERVICE_TYPES]
    if unknown:
        msg = f"unknown service(s) {unknown}; choose from {list(SERVICE_NAMES)}"
        raise StackError(msg)
    # Start order matters: MLflow stores artifacts in S3.
    return [SERVICE_TYPES[n](settings) for n in SERVICE_NAMES if n in chosen]


def service_status(service: Service) -> ServiceStatus:
    if service.external:
        return ServiceStatus(running=_probe(service), pid=None, address=service.address,
                             external=True)
    pid = live_pid(service.pid_file, service.marker)
    return ServiceStatus(
        running=pid is not None and _probe(service),
        pid=pid,
        address=service.address,
        log_file=str(service.log_file),
    )


def _probe(service: Service) -> bool:
    try:
        return service.ready()
    except Exception as e:
        logger.debug("%s not answering: %s", service.name, e)
        return False


def start(service: Service) -> ServiceStatus:
    """Start one service and wait until it answers; a no-op when it already runs."""
    if service.external:
        logger.info("%s is external (%s); not starting it", service.name, service.address)
        return service_status(service)
    service.home.mkdir(parents=True, exist_ok=True)
    pid = live_pid(service.pid_file, service.marker)
    if pid is None:
        _check_port_free(service)
        service.prepare()
        launch = service.launch()
        pid = spawn(launch.argv, log_file=service.log_file, pid_file=service.pid_file,
                    env=launch.env)
        logger.info("started %s (pid %s), log %s", service.name, pid, service.log_file)
    _wait_ready(service, pid)
    service.after_start()
    return service_status(service)


def _wait_ready(service: Service, pid: int) -> None:
    timeout = service.settings.startup_timeout_s
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            detail = "it exited"
            break
        if _probe(service):
            return
        time.sleep(0.5)
    else:
        detail = f"it did not answer within {timeout:.0f}s"
    msg = (
        f"{service.name} failed to start: {detail}. See its log: {service.log_file}\n"
        f"last lines:\n{tail(service.log_file)}"
    )
    raise StartupTimeoutError(msg)


def _check_port_free(service: Service) -> None:
    if not port_open(LOCAL_HOST, service.port):
        return
    owner = port_owner(service.port)
    who = f"pid {owner.pid} ({owner.name()})" if owner else "another process"
    msg = (
        f"port {service.port} needed by {service.name} is taken by {who}. Stop that process, "
        f"or set SHOPSTREAM_{service.name.upper()}_PORT to a free port."
    )
    raise PortTakenError(msg)


def stop(service: Service) -> ServiceStatus:
    if not service.external:
        pid = live_pid(service.pid_file, service.marker)
        if pid is not None:
            logger.info("stopping %s (pid %s)", service.name, pid)
            terminate(pid)
        service.pid_file.unlink(missing_ok=True)
    return service_status(service)


def up(settings: Settings, names: Iterable[str] | None = None) -> dict[str, ServiceStatus]:
    return {s.name: start(s) for s in resolve(settings, names)}


def down(settings: Settings, names: Iterable[str] | None = None) -> dict[str, ServiceStatus]:
    if not names:
        stop_background(settings)
    services = resolve(settings, names)
    return {s.name: stop(s) for s in reversed(services)}


def stop_background(settings: Settings) -> list[str]:
    """Stop processes the demo left running beside the stack (the API router, …)."""
    stopped = []
    for pid_file in sorted(settings.services_dir.glob("*/*.pid")):
        name = pid_file.stem
        if name in SERVICE_TYPES:
            continue
        pid = live_pid(pid_file, "shopstream")
        if pid is not None:
            logger.info("stopping %s (pid %s)", name, pid)
            terminate(pid)
            stopped.append(name)
        pid_file.unlink(missing_ok=True)
    return stopped


def status(settings: Settings, names: Iterable[str] | None = None) -> dict[str, ServiceStatus]:
    return {s.name: service_status(s) for s in resolve(settings, names)}


def as_json(statuses: dict[str, ServiceStatus]) -> dict[str, dict[str, object]]:
    return {name: asdict(st) for name, st in statuses.items()}
