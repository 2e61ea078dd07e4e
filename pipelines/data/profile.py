"""A training run's data profile: the numbers its data report shows and that the next run's
shift check compares with (rows, visitors, items, event mix, events per day, timestamps out
of range, events per item).

:func:`profile_events` computes it with Spark on the run's events (four small aggregations of
the cached selection); :meth:`DataProfile.save` / :meth:`DataProfile.load` write and read it
as ``profile.json`` plus ``item_counts.parquet`` (one row per item), the files a run logs
under ``data_report/``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopstream import contracts as cols

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

PROFILE_FILE = "profile.json"
ITEM_COUNTS_FILE = "item_counts.parquet"
# Timestamps before this or after the profiling time plus a day are clock errors.
PLAUSIBLE_FROM_MS = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000)
DAY_MS = 86_400_000
COUNT = "count"


@dataclass
class DataProfile:
    rows: int
    visitors: int
    items: int
    events: dict[str, int]  # event type → rows
    first_ts: int | None
    last_ts: int | None
    days: dict[str, int]  # "YYYY-MM-DD" (UTC) → rows
    timestamps_out_of_range: int
    item_counts: pd.DataFrame = field(repr=False)  # itemid, count

    def event_share(self) -> dict[str, float]:
        return {e: (self.events.get(e, 0) / self.rows if self.rows else 0.0)
                for e in cols.EVENT_TYPES}

    def metrics(self) -> dict[str, float]:
        """What a run logs as metrics (prefixed ``data_``)."""
        shares = {f"data_share_{e}": v for e, v in self.event_share().items()}
        return {"data_rows": float(self.rows), "data_visitors": float(self.visitors),
                "data_items": float(self.items),
                "data_timestamps_out_of_range": float(self.timestamps_out_of_range), **shares}

    def save(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        scalars = {k: v for k, v in asdict(self).items() if k != "item_counts"}
        (folder / PROFILE_FILE).write_text(json.dumps(scalars, indent=1, sort_keys=True))
        self.item_counts.to_parquet(folder / ITEM_COUNTS_FILE, index=False)
        return [folder / PROFILE_FILE, folder / ITEM_COUNTS_FILE]

    @classmethod
    def load(cls, folder: Path) -> DataProfile:
        import pandas as pd

        scalars: dict[str, Any] = json.loads((folder / PROFILE_FILE).read_text())
        counts = pd.read_parquet(folder / ITEM_COUNTS_FILE)
        return cls(**scalars, item_counts=counts)


def profile_events(events: DataFrame, now_ms: int | None = None) -> DataProfile:
    """The profile of `events` (the contract's event columns; cache it first)."""
    from pyspark.sql import functions as sf

    from pipelines.data.features import to_pandas

    latest = (now_ms or int(time.time() * 1000)) + DAY_MS
    ts = sf.col(cols.TIMESTAMP)
    out_of_range = sf.when((ts < PLAUSIBLE_FROM_MS) | (ts > latest), 1).otherwise(0)
    head = events.agg(sf.count(sf.lit(1)).alias("rows"),
                      sf.countDistinct(cols.VISITORID).alias("visitors"),
                      sf.countDistinct(cols.ITEMID).alias("items"),
                      sf.min(ts).alias("first"), sf.max(ts).alias("last"),
                      sf.sum(out_of_range).alias("bad")).first()
    mix = {str(r[cols.EVENT]): int(r[COUNT]) for r in events.groupBy(cols.EVENT).count().collect()}
    day = sf.date_format(sf.from_unixtime(ts / 1000).cast("timestamp"), "yyyy-MM-dd")
    days = {str(r["day"]): int(r[COUNT])
            for r in events.groupBy(day.alias("day")).count().collect()}
    counts = to_pandas(events.groupBy(cols.ITEMID).count())
    assert head is not None
    return DataProfile(rows=int(head["rows"]), visitors=int(head["visitors"]),
                       items=int(head["items"]), events=mix,
                       first_ts=None if head["first"] is None else int(head["first"]),
                       last_ts=None if head["last"] is None else int(head["last"]),
                       days=dict(sorted(days.items())),
                       timestamps_out_of_range=int(head["bad"] or 0), item_counts=counts)
