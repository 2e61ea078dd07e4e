"""`shopstream generate --compare REAL.csv`: the fidelity table, as JSON or a rich table."""

from __future__ import annotations

import math
from pathlib import Path

from ingestion.errors import FidelityCompareError
from ingestion.synthetic.core import generate_events
from ingestion.synthetic.fidelity import Comparison, compare, read_events
from shopstream.output import emit_json, stderr_console


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def _print_table(result: Comparison) -> None:
    from rich.console import Console
    from rich.table import Table

    verdict = "all within tolerance" if result.passed else "some rows OUT of tolerance"
    table = Table(
        title=f"{result.real_path} ({result.design} design, {result.real_events:,} real rows): "
        f"{verdict}",
        title_justify="left",
    )
    for column in ("statistic", "generated", "real", "tolerance", "pass"):
        table.add_column(column, justify="left" if column == "statistic" else "right")
    for row in result.rows:
        mark = "yes" if row.passed else "[bold red]NO[/]"
        table.add_row(
            row.statistic, _number(row.generated), _number(row.real), row.tolerance, mark
        )
    Console(width=120).print(table)


def compare_cmd(
    paths: list[Path], events: int, seed: int, design: str | None, as_json: bool
) -> None:
    """Generate (events, seed) in memory and set it beside every real sample in paths."""
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        msg = f"real sample not found: {', '.join(missing)}; pass --compare with an events CSV."
        raise FidelityCompareError(msg)
    with stderr_console().status(f"generating {events:,} events to compare"):
        generated = generate_events(events, seed).to_pandas()
    results = []
    for path in paths:
        try:
            results.append(compare(read_events(str(path)), generated, design, str(path)))
        except ValueError as exc:
            raise FidelityCompareError(str(exc)) from exc
    if as_json:
        emit_json(
            {
                "events": events,
                "seed": seed,
                "passed": all(r.passed for r in results),
                "comparisons": [r.to_json() for r in results],
            }
        )
        return
    for result in results:
        _print_table(result)
