"""Stack lifecycle without the real services: stale pid files, taken ports, external endpoints."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra import stack
from infra.errors import PortTakenError, StackError, StartupTimeoutError
from infra.process import live_pid
from infra.services import Launch, Service
from shopstream.settings import Settings


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]


class SleeperService(Service):
    """A stand-in process (a Python sleep loop that opens a port) to exercise the lifecycle."""

    name = "sleeper"
    marker = "shopstream-sleeper-marker"

    def __init__(self, settings: Settings, port: int, *, serve: bool = True) -> None:
        super().__init__(settings)
        self._port = port
        self._serve = serve
        self.started = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._port}"

    @property
    def external(self) -> bool:
        return False

    def launch(self) -> Launch:
        self.started += 1
        body = (
            "import socket,time\n"
            f"s=socket.socket();s.bind(('127.0.0.1',{self._port}));s.listen()\n"
            if self._serve else "import time\n"
        )
        code = body + "time.sleep(600)\n"
        return Launch([sys.executable, "-c", code, self.marker])

    def ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self._port), timeout=0.2):
            return True


@pytest.fixture
def sleeper(tmp_settings: Settings, free_port: int) -> Iterator[SleeperService]:
    service = SleeperService(tmp_settings, free_port)
    yield service
    stack.stop(service)


def test_start_waits_until_ready_and_is_idempotent(sleeper: SleeperService) -> None:
    first = stack.start(sleeper)
    assert first.running and first.pid is not None
    again = stack.start(sleeper)
    assert again.pid == first.pid
    assert sleeper.started == 1


def test_stop_leaves_no_process(sleeper: SleeperService) -> None:
    pid = stack.start(sleeper).pid
    assert pid is not None
    after = stack.stop(sleeper)
    assert not after.running and after.pid is None
    assert not sleeper.pid_file.exists()
    import psutil

    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_stale_pid_file_does_not_block_start(sleeper: SleeperService) -> None:
    sleeper.home.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    sleeper.pid_file.write_text(f"{dead.pid}\n")
    assert live_pid(sleeper.pid_file, sleeper.marker) is None
    status = stack.start(sleeper)
    assert status.running and status.pid != dead.pid


def test_pid_reused_by_unrelated_process_is_stale(sleeper: SleeperService) -> None:
    sleeper.home.mkdir(parents=True, exist_ok=True)
    import os

    sleeper.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not our service
    assert live_pid(sleeper.pid_file, sleeper.marker) is None
    assert not sleeper.pid_file.exists()


def test_port_taken_by_someone_else_is_a_clear_error(sleeper: SleeperService) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", sleeper.port))
        s.listen()
        with pytest.raises(PortTakenError, match=f"port {sleeper.port}.*SLEEPER_PORT"):
            stack.start(sleeper)
    assert sleeper.started == 0


def test_service_that_never_answers_times_out_naming_its_log(
    tmp_settings: Settings, free_port: int
) -> None:
    quick = tmp_settings.model_copy(update={"startup_timeout_s": 1.5})
    mute = SleeperService(quick, free_port, serve=False)
    try:
        with pytest.raises(StartupTimeoutError, match=r"sleeper\.log"):
            stack.start(mute)
    finally:
        stack.stop(mute)


def test_external_endpoints_start_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers="127.0.0.1:1",
        s3_endpoint_url="http://127.0.0.1:1",
        mlflow_tracking_uri="http://127.0.0.1:1",
        _env_file=None,  # type: ignore[call-arg]
    )
    launched: list[str] = []
    monkeypatch.setattr("infra.stack.spawn", lambda argv, **_: launched.append(argv[0]) or 0)
    statuses = stack.up(settings)
    assert launched == []
    assert all(st.external and st.pid is None for st in statuses.values())
    assert statuses["kafka"].address == "127.0.0.1:1"
    assert not any(st.running for st in statuses.values())
    assert not (tmp_path / "services").exists()


def test_readiness_wait_watches_the_spawned_pid_not_its_command_line(
        tmp_path: Path) -> None:
    """A just-spawned process whose command line does not (yet) show the service's marker is
    starting, not stale: `alive` follows the pid itself, and says when it has exited."""
    from infra.process import alive, spawn

    pid_file = tmp_path / "svc.pid"
    pid = spawn([sys.executable, "-c", "import time; time.sleep(30)"],
                log_file=tmp_path / "svc.log", pid_file=pid_file)
    try:
        assert alive(pid)
        assert live_pid(pid_file, "a-marker-it-lacks") is None  # the marker check would drop it
        assert alive(pid)
    finally:
        subprocess.run(["kill", str(pid)], check=False)
    import psutil

    psutil.Process(pid).wait(timeout=10)
    assert not alive(pid)


def test_cluster_profile_without_postgres_fails_before_starting_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.errors import ToolMissingError

    settings = Settings(data_dir=tmp_path, profile="cluster", postgres_bin_dir=tmp_path / "none",
                        _env_file=None)  # type: ignore[call-arg]
    launched: list[str] = []
    monkeypatch.setattr("infra.stack.spawn", lambda argv, **_: launched.append(argv[0]) or 0)
    with pytest.raises(ToolMissingError, match="apt-get install postgresql"):
        stack.up(settings)
    assert launched == []


def test_cluster_profile_lists_every_node_in_start_order(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, profile="cluster",
                        _env_file=None)  # type: ignore[call-arg]
    names = [s.name for s in stack.resolve(settings)]
    assert names == ["kafka-1", "kafka-2", "kafka-3", "s3", "postgres", "spark-master",
                     "spark-worker-1", "spark-worker-2", "mlflow"]
    assert [s.name for s in stack.resolve(settings, ["spark"])] == \
        ["spark-master", "spark-worker-1", "spark-worker-2"]
    assert [s.name for s in stack.resolve(settings, ["kafka-2"])] == ["kafka-2"]
    with pytest.raises(StackError, match="unknown service"):
        stack.resolve(settings.model_copy(update={"profile": "local"}), ["spark"])
