"""Headless Chromium opens the MLflow UI on a pipelines-style run and screenshots it.

Needs Debian's chromium (`apt-get install -y chromium`) and the playwright Python package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopstream.settings import Settings
from tests.conftest import unique

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_mlflow_ui_shows_the_run_and_its_metrics(live_stack: Settings, tmp_path: Path) -> None:
    import mlflow
    from playwright.sync_api import sync_playwright

    mlflow.set_tracking_uri(live_stack.tracking_uri)
    experiment = mlflow.set_experiment(unique("test-ui"))
    run_name = unique("recommender-ui")
    with mlflow.start_run(run_name=run_name, tags={"recipe": "shopstream"}) as run:
        mlflow.log_metrics({"hr_at_10": 0.123, "popularity_hr_at_10": 0.05})
    url = (f"{live_stack.tracking_uri}/#/experiments/{experiment.experiment_id}"
           f"/runs/{run.info.run_id}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url, wait_until="domcontentloaded", timeout=60_000)
        page.get_by_text(run_name).first.wait_for(timeout=60_000)
        page.get_by_text("hr_at_10").first.wait_for(timeout=60_000)
        shot = tmp_path / "mlflow-run.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000
