"""`shopstream stack up|down|status`: start, stop and report the services of a profile.

The local profile runs one Kafka node, S3 and MLflow; the cluster profile (docs/cluster.md) runs
3 Kafka nodes, S3, PostgreSQL, MLflow with basic auth and a Spark standalone master + 2 workers.
Services start in stages: a stage's processes are launched together (the Kafka quorum answers
only once a majority runs), then each is waited for until it answers.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from infra.cluster import profile_services
from infra.errors import PortTakenError, StackError, StartupTimeoutError
from infra.process import alive, live_pid, port_open, port_owner, spawn, tail, terminate
from infra.services import Service
from shopstream.settings import LOCAL_HOST, Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceStatus:
    running: bool
    pid: int | None
    address: str
    external: bool = False
    log_file: str | None = None
    health: str = "stopped"  # "ok" (answers), "not answering" (runs, no answer), "stopped"


def resolve(settings: Settings, names: Iterable[str] | None = None) -> list[Service]:
    """The profile's services named (by name, like kafka-2, or group, like kafka or spark), in
    start order: MLflow stores artifacts in S3 (and, on the cluster, its runs in PostgreSQL)."""
    services = profile_services(settings)
    chosen = list(names or [])
    known = sorted({s.name for s in services} | {s.group for s in services})
    unknown = [n for n in chosen if n not in known]
    if unknown:
        msg = (f"unknown service(s) {unknown} in the {settings.profile} profile; "
               f"choose from {known}")
        raise StackError(msg)
    if not chosen:
        return services
    return [s for s in services if s.name in chosen or s.group in chosen]


def service_status(service: Service) -> ServiceStatus:
    if service.external:
        answers = _probe(service)
        return ServiceStatus(running=answers, pid=None, address=service.address,
                             external=True, health="ok" if answers else "not answering")
    pid = live_pid(service.pid_file, service.marker)
    answers = pid is not None and _probe(service)
    health = "ok" if answers else "not answering" if pid is not None else "stopped"
    return ServiceStatus(
        running=answers,
        pid=pid,
        address=service.address,
        log_file=str(service.log_file),
        health=health,
    )


def _probe(service: Service) -> bool:
    try:
        return service.ready()
    except Exception as e:
        logger.debug("%s not answering: %s", service.name, e)
        return False


def start(service: Service) -> ServiceStatus:
    """Start one service and wait until it answers; a no-op when it already runs."""
    return start_together([service])[service.name]


def start_together(services: list[Service]) -> dict[str, ServiceStatus]:
    """Launch every service that is not running, then wait for each until it answers."""
    pids: dict[str, int] = {}
    for service in services:
        if service.external:
            logger.info("%s is external (%s); not starting it", service.name, service.address)
            continue
        service.home.mkdir(parents=True, exist_ok=True)
        pid = live_pid(service.pid_file, service.marker)
        if pid is None:
            _check_port_free(service)
            service.prepare()
            launch = service.launch()
            pid = spawn(launch.argv, log_file=service.log_file, pid_file=service.pid_file,
                        env=launch.env)
            logger.info("started %s (pid %s), log %s", service.name, pid, service.log_file)
        pids[service.name] = pid
    for service in services:
        if service.name in pids:
            _wait_ready(service, pids[service.name])
    for service in services:
        if service.name in pids:
            service.after_start()
    return {s.name: service_status(s) for s in services}


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
    setting = ("SHOPSTREAM_CLUSTER_BASE_PORT to the start of a free block of 60 ports"
               if service.settings.cluster else
               f"SHOPSTREAM_{service.name.upper()}_PORT to a free port")
    msg = (
        f"port {service.port} needed by {service.name} is taken by {who}. Stop that process, "
        f"or set {setting}."
    )
    raise PortTakenError(msg)


def stop(service: Service) -> ServiceStatus:
    if not service.external:
        pid = live_pid(service.pid_file, service.marker)
        if pid is not None:
            logger.info("stopping %s (pid %s)", service.name, pid)
            terminate(pid, sig=service.stop_signal)
        service.pid_file.unlink(missing_ok=True)
    return service_status(service)


def up(settings: Settings, names: Iterable[str] | None = None) -> dict[str, ServiceStatus]:
    services = resolve(settings, names)
    for service in services:
        if not service.external:
            service.check()
    statuses: dict[str, ServiceStatus] = {}
    for _, stage in itertools.groupby(services, key=lambda s: s.stage):
        statuses |= start_together(list(stage))
    return statuses


def down(settings: Settings, names: Iterable[str] | None = None) -> dict[str, ServiceStatus]:
    if not names:
        stop_background(settings)
    statuses: dict[str, ServiceStatus] = {}
    stages = itertools.groupby(reversed(resolve(settings, names)), key=lambda s: s.stage)
    for _, stage in stages:
        statuses |= stop_together(list(stage))
    return statuses


def stop_together(services: list[Service]) -> dict[str, ServiceStatus]:
    """Stop a stage's services at once: a Kafka node left alone after its peers went waits for
    a quorum to shut down in order, and would be killed only after the timeout."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        stopped = list(pool.map(stop, services))
    return {s.name: st for s, st in zip(services, stopped, strict=True)}


def stop_background(settings: Settings) -> list[str]:
    """Stop processes the demo left running beside the stack (the API router, …)."""
    stopped = []
    services = {s.name for s in profile_services(settings)}
    for pid_file in sorted(settings.services_dir.glob("*/*.pid")):
        name = pid_file.stem
        if name in services:
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
