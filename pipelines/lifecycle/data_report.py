"""The data report of a training run: its data profile, the shift against the champion's
training window, logged as ``data_*`` metrics and as files under ``data_report/`` (the
profile, the events per item, and ``data_report.html`` with the plots).

Promotion reads the same files back (:func:`version_profile`) to name a shift above
``Settings.data_shift_psi_limit`` in its verdict.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
from pathlib import Path

from pipelines.data.profile import ITEM_COUNTS_FILE, PROFILE_FILE, DataProfile
from pipelines.data.shift import DataShift, Reference, data_shift
from pipelines.lifecycle.tracking import champion_version, version_run_id
from shopstream.settings import Settings

logger = logging.getLogger(__name__)
REPORT_DIR = "data_report"
REPORT_HTML = "data_report.html"


def version_profile(settings: Settings, name: str, version: str) -> DataProfile | None:
    """The data profile the version's training run logged; None for a run without one."""
    run_id = version_run_id(settings, name, version)
    return run_profile(run_id) if run_id else None


@functools.lru_cache(maxsize=8)
def run_profile(run_id: str) -> DataProfile | None:
    """A run's logged profile (downloaded once per process: training reads the champion's,
    and promotion right after reads it again). Read-only."""
    import mlflow

    target = Path(tempfile.mkdtemp(prefix="shopstream-profile-"))
    try:
        for file in (PROFILE_FILE, ITEM_COUNTS_FILE):
            mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(target),
                                                artifact_path=f"{REPORT_DIR}/{file}")
        return DataProfile.load(target)
    except Exception:  # a run from before data reports, or a hand-made model
        logger.info("run %s has no data report; no shift to compute", run_id)
        return None
    finally:
        shutil.rmtree(target, ignore_errors=True)


def champion_reference(settings: Settings, name: str) -> Reference | None:
    version = champion_version(settings, name)
    if version is None:
        return None
    profile = version_profile(settings, name, version)
    return Reference(name, version, profile) if profile is not None else None


def shift_against(profile: DataProfile, reference: Reference | None) -> DataShift | None:
    return data_shift(profile, reference.profile) if reference is not None else None


def shift_words(shift: DataShift | None, reference: Reference | None, limit: float) -> str:
    """"" when nothing is above the limit, else the shift in words."""
    if shift is None or reference is None or not (above := shift.above(limit)):
        return ""
    return (f"data shift against v{reference.version}'s training window: "
            f"{', '.join(above)}")


def log_data_report(settings: Settings, profile: DataProfile, name: str) -> DataShift | None:
    """Into the active run: the profile's and the shift's metrics, the profile files and the
    HTML report. `name` is the registered model whose champion is the reference."""
    import mlflow

    from pipelines.lifecycle.report_html import render_report

    reference = champion_reference(settings, name)
    shift = shift_against(profile, reference)
    mlflow.log_metrics({**profile.metrics(), **(shift.metrics() if shift else {})})
    with tempfile.TemporaryDirectory(prefix="shopstream-report-") as tmp:
        folder = Path(tmp)
        profile.save(folder)
        html = render_report(profile, shift, reference, settings.data_shift_psi_limit)
        (folder / REPORT_HTML).write_text(html, encoding="utf-8")
        mlflow.log_artifacts(str(folder), REPORT_DIR)
    if words := shift_words(shift, reference, settings.data_shift_psi_limit):
        logger.warning("%s: %s", name, words)
    return shift
