"""The cluster profile's PostgreSQL: MLflow's backend store (and its basic-auth user store).

Debian's server binaries (initdb, postgres) run from PATH or /usr/lib/postgresql/<ver>/bin. The
cluster is initialised once into <data_dir>/cluster/services/postgres/pgdata, listens on
127.0.0.1 only (TCP, no Unix socket) and asks for the password from Settings. PostgreSQL refuses
to run as root: as root it runs as the `postgres` user (or `nobody`), which then owns its folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from infra.errors import StackError, ToolMissingError
from infra.services import Launch, Service
from shopstream.settings import LOCAL_HOST, Settings

logger = logging.getLogger(__name__)

PG_USER = "shopstream"
DATABASES = ("mlflow", "mlflow_auth")  # tracking + registry store; basic-auth users
INSTALL_HINT = (
    "Install the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql`; `make setup` "
    "does it when run as root), or set SHOPSTREAM_POSTGRES_BIN_DIR to the folder holding initdb "
    "and postgres."
)


def postgres_bin_dir(settings: Settings) -> Path:
    """The folder with initdb and postgres: the setting, PATH, else the newest Debian version."""
    candidates: list[Path] = []
    if settings.postgres_bin_dir is not None:
        candidates.append(settings.postgres_bin_dir)
    else:
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
        debian = Path("/usr/lib/postgresql").glob("*/bin")
        candidates += sorted(debian, key=lambda p: _version(p.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    where = settings.postgres_bin_dir or "PATH or /usr/lib/postgresql/*/bin"
    msg = f"PostgreSQL's initdb and postgres were not found in {where}. {INSTALL_HINT}"
    raise ToolMissingError(msg)


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def run_as_prefix() -> tuple[list[str], str | None]:
    """(command prefix, user) that drops root for initdb/postgres; ([], None) when not root."""
    if os.geteuid() != 0:
        return [], None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        msg = "PostgreSQL cannot run as root and `setpriv` (util-linux) is missing to drop it"
        raise ToolMissingError(msg)
    user = "postgres"
    try:
        pwd.getpwnam(user)
    except KeyError:
        user = "nobody"
    return [setpriv, f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}",
            "--clear-groups", "--"], user


class PostgresService(Service):
    name = "postgres"
    marker = "postgres"
    stage = 1
    stop_signal = signal.SIGINT  # "fast" shutdown: SIGTERM would wait for MLflow's connections

    @property
    def port(self) -> int:
        return self.settings.cluster_ports.postgres

    @property
    def address(self) -> str:
        return f"postgresql://{PG_USER}@{LOCAL_HOST}:{self.port}"

    @property
    def external(self) -> bool:
        return False

    @property
    def pgdata(self) -> Path:
        """<home>/pgdata; as root, when the user PostgreSQL runs as cannot reach <home> (a
        project cloned under a private folder), a folder of its own in the temp directory."""
        _, user = run_as_prefix()
        if user is None or reachable_by(self.home, user):
            return self.home / "pgdata"
        digest = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"shopstream-postgres-{digest}" / "pgdata"

    def check(self) -> None:
        postgres_bin_dir(self.settings)
        run_as_prefix()

    def prepare(self) -> None:
        bin_dir = postgres_bin_dir(self.settings)
        prefix, user = run_as_prefix()
        self.home.mkdir(parents=True, exist_ok=True)
        base = self.pgdata.parent
        base.mkdir(parents=True, exist_ok=True)
        if (self.pgdata / "PG_VERSION").exists():
            return
        if base != self.home:
            logger.info("PostgreSQL's user cannot reach %s; its data goes to %s", self.home, base)
        pwfile = base / "initdb.pw"
        pwfile.write_text(self.settings.postgres_password.get_secret_value() + "\n")
        pwfile.chmod(0o600)
        if user is not None:  # initdb (as that user) writes pgdata here and reads the file
            _chown(base, user)
            _chown(pwfile, user)
        argv = [*prefix, str(bin_dir / "initdb"), "-D", str(self.pgdata), "-U", PG_USER,
                "-E", "UTF8", "--auth-host=scram-sha-256", "--auth-local=peer",
                f"--pwfile={pwfile}", "--no-instructions"]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, check=False,
                                    timeout=300)
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            msg = (f"initdb failed (exit {result.returncode}); its output:\n"
                   f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
            raise StackError(msg)
        logger.info("initialised PostgreSQL in %s", self.pgdata)

    def launch(self) -> Launch:
        prefix, _ = run_as_prefix()
        argv = [*prefix, str(postgres_bin_dir(self.settings) / "postgres"), "-D",
                str(self.pgdata), "-p", str(self.port), "-c", f"listen_addresses={LOCAL_HOST}",
                "-c", "unix_socket_directories=", "-c", "shared_buffers=64MB",
                "-c", "max_connections=100"]
        return Launch(argv)

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg2

        return psycopg2.connect(host=LOCAL_HOST, port=self.port, user=PG_USER, dbname=dbname,
                                password=self.settings.postgres_password.get_secret_value(),
                                connect_timeout=3)

    def ready(self) -> bool:
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            return bool(cur.fetchone())

    def after_start(self) -> None:
        """Create MLflow's databases when missing."""
        with contextlib.closing(self.connect()) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT datname FROM pg_database")
                existing = {row[0] for row in cur.fetchall()}
                for name in DATABASES:
                    if name not in existing:
                        cur.execute(f'CREATE DATABASE "{name}"')
                        logger.info("created PostgreSQL database %s", name)

    def database_uri(self, dbname: str) -> str:
        """A SQLAlchemy URI without the password (libpq reads PGPASSWORD from the env)."""
        return f"postgresql+psycopg2://{PG_USER}@{LOCAL_HOST}:{self.port}/{dbname}"


def reachable_by(folder: Path, user: str) -> bool:
    """Whether `user` may enter every folder above `folder` (the execute bit that applies)."""
    entry = pwd.getpwnam(user)
    for parent in folder.resolve().parents:
        if not parent.exists():  # created later, by root, with the usual 0755
            continue
        st = parent.stat()
        if st.st_uid == entry.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid == entry.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _chown(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
