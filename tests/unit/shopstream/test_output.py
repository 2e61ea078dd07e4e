"""--json output is one standard JSON object: NaN and infinities become null."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from shopstream.output import emit_json

pytestmark = pytest.mark.unit


def test_non_finite_numbers_become_null(capsys: pytest.CaptureFixture[str]) -> None:
    emit_json({"metrics": {"silhouette": math.nan, "k": 1, "ari": np.float64(1.0)},
               "sizes": [2041, 43465], "bounds": (-math.inf, 0.5)})
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    parsed = json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in output"))
    assert parsed == {"metrics": {"silhouette": None, "k": 1, "ari": 1.0},
                      "sizes": [2041, 43465], "bounds": [None, 0.5]}
