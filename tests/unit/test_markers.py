"""`pytest -m "not integration"` selects exactly the unit suite, and `-m integration` exactly
the integration suite (markers follow the folders)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shopstream.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit


def _collected(marker: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "--collect-only", "-q", "-m", marker,
         "-p", "no:cacheprovider"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}


def test_markers_split_the_suite_by_folder() -> None:
    unit, integration = _collected("not integration"), _collected("integration")
    assert unit and all(path.startswith("tests/unit/") for path in unit)
    assert integration and all(path.startswith("tests/integration/") for path in integration)
    every_unit_file = {str(p.relative_to(PROJECT_ROOT))
                       for p in (PROJECT_ROOT / "tests" / "unit").rglob("test_*.py")}
    assert unit == every_unit_file
