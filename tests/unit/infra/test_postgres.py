"""Where the cluster profile's PostgreSQL keeps its data when it has to drop root."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.postgres import PostgresService, reachable_by
from shopstream.settings import Settings

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root drops to another user")


def _nobody() -> str:
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user")
    return "nobody"


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder under the system temp directory that anyone may enter (pytest's own
    tmp_path sits below a 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="shopstream-test-pg-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_private_parent_folder_is_out_of_reach(open_tmp: Path) -> None:
    tmp_path = open_tmp
    user = _nobody()
    inner = tmp_path / "private" / "project"
    inner.mkdir(parents=True)
    (tmp_path / "private").chmod(0o755)
    tmp_path.chmod(0o755)
    assert reachable_by(inner, user)
    (tmp_path / "private").chmod(0o700)
    assert not reachable_by(inner, user)


@needs_root
def test_pgdata_moves_out_of_a_folder_postgres_cannot_enter(open_tmp: Path) -> None:
    tmp_path = open_tmp
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    service = PostgresService(Settings(data_dir=private / "data", profile="cluster"))
    assert not service.pgdata.is_relative_to(private)
    assert service.pgdata.name == "pgdata"
    private.chmod(0o755)
    assert service.pgdata == service.home / "pgdata"
