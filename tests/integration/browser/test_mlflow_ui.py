"""A person's view: headless Chromium opens the MLflow UI and finds what training produced.

Trains the three models once on small generated data (tiny hyperparameters), then drives
Debian's chromium with Playwright through the project's own links (shopstream.mlflow_links)
to the experiment's runs page, each registered model's page and a model version's page:
the runs are listed by what they trained on (the training-runs view, not GenAI's), the
`production` aliases are shown, the models say what they predict and where they are served,
and a version says its data, its headline metric beside its baselines and its promotion
verdict. Screenshots go under the pytest temp folder (path printed on failure).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.models.registry import spec_of
from shopstream.mlflow_links import experiment_url, model_url, model_version_url
from shopstream.settings import Settings
from tests.conftest import unique

# The first test also pays for the module's training fixture (three models): on two shared
# cores that has taken 14 minutes, past the suite's 900 s default.
pytestmark = [pytest.mark.browser, pytest.mark.spark, pytest.mark.slow,
              pytest.mark.timeout(1800)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MODELS = ("recommender", "transaction_predictor", "user_segmentation")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def trained(spark: Any, live_stack: Settings, tmp_path_factory: pytest.TempPathFactory,
            ) -> dict[str, Any]:
    from typer.testing import CliRunner

    from ingestion.synthetic import write_events_csv
    from shopstream.cli import app

    events = tmp_path_factory.mktemp("ui") / "events.csv"
    write_events_csv(events, n_events=30_000, seed=11)
    prefix, experiment = f"{unique('ui')}-", unique("ui-exp")
    result = CliRunner().invoke(app, [
        "train", "--events-file", str(events), "--name-prefix", prefix,
        "--als-ranks", "8", "--als-alphas", "20", "--als-max-iter", "3",
        "--num-trees", "5", "--max-depth", "4", "--k-max", "4", "--min-val-positives", "1",
        "--json",
    ], env={"SHOPSTREAM_EXPERIMENT_NAME": experiment})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    return {"prefix": prefix, "experiment": experiment, "payload": payload, "events": events}


@pytest.fixture(scope="module")
def page(trained: dict[str, Any]) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1600, "height": 1000})
        yield tab
        browser.close()


def _visible_text(tab: Any, url: str, wanted: str, timeout_ms: int = 60_000) -> str:
    """Open url and wait until the rendered page's text contains wanted (the UI is an SPA)."""
    tab.goto("about:blank")  # a hash-only change would not re-render the SPA's route
    tab.goto(url, wait_until="domcontentloaded")
    tab.wait_for_function(
        "wanted => document.body && document.body.innerText.includes(wanted)",
        arg=wanted, timeout=timeout_ms,
    )
    text: str = tab.inner_text("body")
    return text.replace("\xa0", " ")


def test_ui_lists_the_three_training_runs(page: Any, trained: dict[str, Any],
                                          live_stack: Settings, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=live_stack.tracking_uri)
    experiment = client.get_experiment_by_name(trained["experiment"])
    assert experiment is not None
    url = experiment_url(live_stack.tracking_uri, experiment.experiment_id)
    names = {model: _run_name(client, trained, model) for model in MODELS}
    text = _visible_text(page, url, names["recommender"])
    shot = tmp_path / "mlflow-runs.png"
    page.screenshot(path=str(shot), full_page=True)
    for model, name in names.items():
        assert name in text, f"run {name!r} not shown; screenshot {shot}"
        assert name.startswith(f"{model} · {trained['events'].name} "), name
    assert shot.stat().st_size > 10_000


def test_ui_shows_registered_models_with_production_alias(
    page: Any, trained: dict[str, Any], live_stack: Settings, tmp_path: Path
) -> None:
    for model in MODELS:
        name = f"{trained['prefix']}{model}"
        version = trained["payload"]["models"][model]["version"]
        url = model_url(live_stack.tracking_uri, name)
        text = _visible_text(page, url, "production")
        shot = tmp_path / f"mlflow-model-{model}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert name in text, f"model page for {name} not shown; screenshot {shot}"
        assert "@ production" in text and f"Version {version}" in text, shot
        spec = spec_of(model)
        for words in (spec.description, spec.route, "Predicts:", "API route:"):
            assert words in text, f"{words!r} not on {name}'s page; screenshot {shot}"


def test_ui_version_page_says_data_metric_baselines_and_verdict(
    page: Any, trained: dict[str, Any], live_stack: Settings, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=live_stack.tracking_uri)
    for model in MODELS:
        spec = spec_of(model)
        info = trained["payload"]["models"][model]
        name, version = f"{trained['prefix']}{model}", info["version"]
        tags = client.get_model_version(name, version).tags
        url = model_version_url(live_stack.tracking_uri, name, version)
        assert info["version_url"] == url
        text = _visible_text(page, url, "Trained on")
        shot = tmp_path / f"mlflow-version-{model}.png"
        page.screenshot(path=str(shot), full_page=True)
        wanted = [f"Trained on {trained['events'].name}",
                  f"{tags['date_from']} to {tags['date_to']}", " events.",
                  f"{spec.main_metric} ", "on the held-out period", *spec.baselines,
                  "Promotion: production (first-version)", _run_name(client, trained, model),
                  "model_type", "git_commit", "promotion_decision"]
        missing = [w for w in wanted if w not in text]
        assert not missing, f"{missing} not on {name} v{version}'s page; screenshot {shot}"


def _run_name(client: Any, trained: dict[str, Any], model: str) -> str:
    return str(client.get_run(trained["payload"]["models"][model]["run_id"]).info.run_name)
