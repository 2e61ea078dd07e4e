"""A registered pyfunc carries its own code: it loads and serves after the training package moved.

The model is saved from a scratch copy of the training package under another name; the copy is
then deleted and ``pipelines`` itself is shadowed by a package that refuses to import. Loading
with ``mlflow.pyfunc.load_model`` and serving with ``mlflow models serve`` must still work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from shopstream.contracts import INVOCATIONS_KEY, PROBABILITY, WILL_TRANSACT
from shopstream.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
ROWS = {INVOCATIONS_KEY: [{"num_views": 3, "num_addtocart": 0, "distinct_items_interacted": 1},
                          {"num_views": 3, "num_addtocart": 2, "distinct_items_interacted": 1}]}


def _moved_package(scratch: Path) -> str:
    """A copy of the training package named trainpkg_<hex>, its own imports rewritten."""
    name = f"trainpkg_{uuid.uuid4().hex[:8]}"
    shutil.copytree(PROJECT_ROOT / "pipelines", scratch / name,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in (scratch / name).rglob("*.py"):
        path.write_text(path.read_text().replace("pipelines.", f"{name}."))
    return name


def _shadow(folder: Path) -> Path:
    """A `pipelines` package that fails on import, first on PYTHONPATH."""
    (folder / "pipelines").mkdir(parents=True)
    (folder / "pipelines" / "__init__.py").write_text(
        "raise ImportError('the training package moved')\n")
    return folder


def _python(code: str, pythonpath: list[Path], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_version_loads_and_serves_without_the_training_package(tmp_path: Path) -> None:
    scratch, shadow, model = tmp_path / "scratch", _shadow(tmp_path / "shadow"), tmp_path / "m"
    scratch.mkdir()
    name = _moved_package(scratch)
    _python(f"from {name}.models.transaction_predictor.pyfunc import save_transaction_pyfunc\n"
            f"save_transaction_pyfunc({str(model)!r})", [shadow, scratch], tmp_path)
    shutil.rmtree(scratch)
    assert not list((model / "code").rglob("*.pkl")), "nothing is pickled"

    out = _python(
        "import json, pandas as pd, mlflow.pyfunc\n"
        f"m = mlflow.pyfunc.load_model({str(model)!r})\n"
        f"rows = pd.DataFrame.from_records({ROWS[INVOCATIONS_KEY]!r})\n"
        "print(json.dumps([a.model_dump() for a in m.predict(rows)]))", [shadow], tmp_path)
    answers = json.loads(out.strip().splitlines()[-1])
    assert [a[WILL_TRANSACT] for a in answers] == [False, True]

    served = _serve(model, shadow, tmp_path)
    predictions = served["predictions"]
    assert [p[PROBABILITY] for p in predictions] == [0.1, 0.9]


def _serve(model: Path, shadow: Path, cwd: Path) -> dict[str, object]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(shadow),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.Popen(
        [str(bin_dir / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, (proc.stderr.read() if proc.stderr else "")[-3000:]
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/invocations", json=ROWS,
                                      timeout=5)
                assert response.status_code == 200, response.text
                return dict(response.json())
            except httpx.TransportError:
                time.sleep(0.5)
        pytest.fail("mlflow models serve did not answer within 120 s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
