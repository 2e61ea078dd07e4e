"""events.csv on disk: exact format, byte determinism, never overwriting real data, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ingestion.errors import GeneratorOutputError
from ingestion.synthetic import sidecar_path, write_events_csv
from ingestion.synthetic.cli import register_generate
from shopstream.errors import ShopstreamError

pytestmark = pytest.mark.unit

N = 20_000
ROW = re.compile(r"^\d{13},\d+,(view|addtocart),\d+,$|^\d{13},\d+,transaction,\d+,\d+$")
REAL_HEAD = "timestamp,visitorid,event,itemid,transactionid\n1433221332117,257597,view,355908,\n"


def test_exact_csv_format(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    result = write_events_csv(path, N, 1)
    lines = path.read_text(encoding="ascii").splitlines()
    assert lines[0] == "timestamp,visitorid,event,itemid,transactionid"
    assert len(lines) == N + 1 == result.events + 1
    bad = [line for line in lines[1:] if not ROW.match(line)]
    assert bad == []
    assert sum(",transaction," in line for line in lines) == result.transactions > 0


def test_result_figures_match_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    result = write_events_csv(path, N, 2)
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    assert result.visitors == len({r[1] for r in rows})
    assert result.items == len({r[3] for r in rows})
    assert result.views + result.addtocarts + result.transactions == N
    assert result.transaction_ids == len({r[4] for r in rows if r[4]})
    meta = json.loads(sidecar_path(path).read_text())
    assert meta["seed"] == 2 and meta["events"] == N and meta["sha256"] == result.sha256


def test_same_seed_byte_identical_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_events_csv(a, N, 7)
    write_events_csv(b, N, 7)
    write_events_csv(c, N, 8)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("force", [False, True])
def test_never_overwrites_a_real_file(tmp_path: Path, force: bool) -> None:
    path = tmp_path / "events.csv"
    path.write_text(REAL_HEAD)
    with pytest.raises(GeneratorOutputError, match="not written by `shopstream generate`"):
        write_events_csv(path, N, 1, force=force)
    assert path.read_text() == REAL_HEAD
    assert not sidecar_path(path).exists()


def test_never_overwrites_a_generated_file_the_user_replaced(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events_csv(path, 1_000, 1)
    path.write_text(REAL_HEAD)  # sidecar left behind, content is now the user's
    with pytest.raises(GeneratorOutputError):
        write_events_csv(path, 1_000, 1, force=True)
    assert path.read_text() == REAL_HEAD


def test_generated_file_needs_force_to_change(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    first = write_events_csv(path, 1_000, 1)
    with pytest.raises(GeneratorOutputError, match="--force"):
        write_events_csv(path, 2_000, 1)
    assert write_events_csv(path, 2_000, 1, force=True).events == 2_000
    assert path.read_text().count("\n") == 2_001
    assert first.sha256 != json.loads(sidecar_path(path).read_text())["sha256"]


def test_same_request_reuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    first = write_events_csv(path, 1_000, 3)
    mtime = path.stat().st_mtime_ns
    again = write_events_csv(path, 1_000, 3)
    assert again.reused and not first.reused
    assert path.stat().st_mtime_ns == mtime
    assert (again.events, again.visitors, again.sha256) == (1_000, first.visitors, first.sha256)


def test_refuses_a_folder_as_target(tmp_path: Path) -> None:
    with pytest.raises(GeneratorOutputError, match="is a folder"):
        write_events_csv(tmp_path, 100, 1, force=True)
    assert list(tmp_path.iterdir()) == []


def test_error_is_a_shopstream_error() -> None:
    assert issubclass(GeneratorOutputError, ShopstreamError)


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    register_generate(app)
    return app


def test_cli_json_prints_one_object(tmp_path: Path) -> None:
    out = tmp_path / "raw" / "events.csv"
    res = CliRunner().invoke(
        _app(), ["generate", "--events", "3000", "--seed", "5", "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    expected = {
        "path",
        "events",
        "visitors",
        "items",
        "views",
        "addtocarts",
        "transactions",
        "transaction_ids",
        "seconds",
    }
    assert expected <= payload.keys()
    assert payload["events"] == 3000 and payload["path"] == str(out)
    assert out.read_text().count("\n") == 3001


def test_cli_refuses_real_file(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    out.write_text(REAL_HEAD)
    res = CliRunner().invoke(_app(), ["generate", "--events", "100", "--out", str(out), "--force"])
    assert res.exit_code != 0
    assert isinstance(res.exception, GeneratorOutputError)
    assert out.read_text() == REAL_HEAD
