"""The data report as one self-contained HTML page (tables plus three PNG plots inline):
what a person opens from the run's artifacts in the MLflow UI."""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from shopstream import contracts as cols

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pipelines.data.profile import DataProfile
    from pipelines.data.shift import DataShift, Reference

STYLE = ("body{font-family:sans-serif;margin:2em;max-width:60em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .8em;"
         "text-align:right}th{background:#f4f4f4}.warn{color:#b00020;font-weight:bold}")


def render_report(profile: DataProfile, shift: DataShift | None, reference: Reference | None,
                  limit: float) -> str:
    ref = reference.profile if reference is not None else None
    label = f"champion v{reference.version}" if reference is not None else ""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Data report</title>"
             f"<style>{STYLE}</style></head><body><h1>Data report</h1>",
             _summary_table(profile, ref, label), _shift_section(shift, reference, limit)]
    parts += [_img(fig) for fig in (_mix_plot(profile, ref, label),
                                    _days_plot(profile, ref, label),
                                    _popularity_plot(profile, ref, label))]
    parts.append("</body></html>")
    return "\n".join(parts)


def _day(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def _rows(profile: DataProfile) -> dict[str, str]:
    shares = profile.event_share()
    return {"rows": f"{profile.rows:,}", "visitors": f"{profile.visitors:,}",
            "items": f"{profile.items:,}",
            **{f"{e} share": f"{shares[e]:.2%}" for e in cols.EVENT_TYPES},
            "first day": _day(profile.first_ts), "last day": _day(profile.last_ts),
            "timestamps out of range": f"{profile.timestamps_out_of_range:,}"}


def _summary_table(profile: DataProfile, ref: DataProfile | None, label: str) -> str:
    mine, theirs = _rows(profile), (_rows(ref) if ref is not None else {})
    head = "<tr><th></th><th>this run</th>" + (f"<th>{html.escape(label)}</th>" if ref else "")
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td>"
                   + (f"<td>{theirs[k]}</td>" if ref else "") + "</tr>" for k, v in mine.items())
    return f"<h2>Data</h2><table>{head}</tr>{body}</table>"


def _shift_section(shift: DataShift | None, reference: Reference | None, limit: float) -> str:
    if shift is None or reference is None:
        return ("<h2>Shift</h2><p>No champion with a data report to compare with: this run "
                "sets the reference for the next one.</p>")
    rows = "".join(
        f"<tr><th>{k}</th><td{' class=warn' if k.startswith('data_psi') and v > limit else ''}>"
        f"{v:.4f}</td></tr>" for k, v in shift.metrics().items())
    above = shift.above(limit)
    verdict = (f"<p class=warn>Above the limit {limit:g}: {html.escape(', '.join(above))}</p>"
               if above else f"<p>Every PSI is within the limit {limit:g}.</p>")
    return (f"<h2>Shift against v{reference.version}'s training window</h2>"
            f"<table>{rows}</table>{verdict}")


def _img(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return f"<p><img alt='{html.escape(str(fig.get_label()))}' src='data:image/png;base64," \
           f"{base64.b64encode(buffer.getvalue()).decode()}'></p>"


def _axes(title: str) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), dpi=100)
    fig.set_label(title)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    return fig, ax


def _mix_plot(profile: DataProfile, ref: DataProfile | None, label: str) -> Figure:
    fig, ax = _axes("Event mix")
    x = np.arange(len(cols.EVENT_TYPES))
    width = 0.4 if ref is not None else 0.8
    ax.bar(x, list(profile.event_share().values()), width, label="this run")
    if ref is not None:
        ax.bar(x + width, list(ref.event_share().values()), width, label=label)
    ax.set_xticks(x + (width / 2 if ref is not None else 0), list(cols.EVENT_TYPES))
    ax.set_yscale("log")
    ax.set_ylabel("share of events")
    ax.legend()
    return fig


def _days_plot(profile: DataProfile, ref: DataProfile | None, label: str) -> Figure:
    import matplotlib.dates as mdates

    fig, ax = _axes("Events per day")
    for days, name in ((profile.days, "this run"), (ref.days if ref else {}, label)):
        if days:
            when = mdates.date2num([datetime.fromisoformat(d) for d in days])
            ax.plot(when, list(days.values()), label=name)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate()
    ax.set_ylabel("events")
    ax.legend()
    return fig


def _popularity_plot(profile: DataProfile, ref: DataProfile | None, label: str) -> Figure:
    fig, ax = _axes("Item popularity (events per item, by rank)")
    for counts, name in ((profile.item_counts, "this run"),
                         (ref.item_counts if ref is not None else None, label)):
        if counts is not None and len(counts):
            ranked = np.sort(counts["count"].to_numpy())[::-1]
            ax.loglog(np.arange(1, len(ranked) + 1), ranked, label=name)
    ax.set_xlabel("item rank")
    ax.set_ylabel("events")
    ax.legend()
    return fig
