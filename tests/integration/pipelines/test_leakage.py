"""The predictor's prediction point never looks at the label, and no feature reads an event
after it: rewriting every later event (items, types, purchases) must leave each session's
prediction point and features unchanged, while the label follows the later events."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.spark

MIN = 60_000
T0 = 1_433_000_000_000
SCHEMA = ("timestamp long, visitorid long, event string, itemid long, transactionid long, "
          "seq long, source string")


def _events() -> list[tuple[Any, ...]]:
    rows = []
    for visitor in range(1, 41):  # 40 visitors: an earlier session, then a longer one
        start = T0 + visitor * 1000
        rows += [(start, visitor, "view", 10, None), (start + MIN, visitor, "view", 11, None)]
        later = start + 600 * MIN
        for step in range(8):
            kind = "addtocart" if step % 3 == 2 else "view"
            rows.append((later + step * MIN, visitor, kind, 20 + step, None))
    return [(*r, i + 1, "test") for i, r in enumerate(rows)]


def _rewrite_after_cut(events: list[tuple[Any, ...]], cuts: dict[tuple[int, int], int],
                       sessions: dict[int, tuple[int, int]]) -> list[tuple[Any, ...]]:
    """Every event after the prediction point of a visitor's last session (the earlier one is
    history, complete by then) becomes a purchase of another item."""
    out = []
    for row in events:
        seq = row[5]
        key, rank = sessions[seq]
        later = key[1] == 1 and rank > cuts[key]
        out.append((row[0], row[1], "transaction", 999, 7000 + seq, seq, row[6]) if later
                   else row)
    return out


def _marked(spark: Any, events: list[tuple[Any, ...]]) -> Any:
    from pipelines.data.features import add_sessions
    from pipelines.data.session_features import mark_prediction_point

    frame = add_sessions(spark.createDataFrame(events, schema=SCHEMA))
    return mark_prediction_point(frame).toPandas()


def _rows(spark: Any, events: list[tuple[Any, ...]]) -> Any:
    from pipelines.data.features import add_sessions
    from pipelines.data.session_features import SESSION_FEATURES, session_rows

    frame = add_sessions(spark.createDataFrame(events, schema=SCHEMA))
    rows = session_rows(frame).toPandas()
    return rows.sort_values(["visitorid", "session_id"]).reset_index(drop=True)[
        ["visitorid", "session_id", "label", *SESSION_FEATURES]]


def test_prediction_point_and_features_ignore_everything_after_it(spark: Any) -> None:
    from pipelines.data.session_features import CUT, EVENT_RANK, SESSION_EVENTS

    events = _events()
    marked = _marked(spark, events)
    multi = marked[marked[SESSION_EVENTS] >= 2]
    cuts = {(int(r.visitorid), int(r.session_id)): int(r[CUT]) for _, r in multi.iterrows()}
    sessions = {int(r.seq): ((int(r.visitorid), int(r.session_id)), int(r[EVENT_RANK]))
                for _, r in marked.iterrows()}
    assert all(1 <= c < n for c, n in zip(multi[CUT], multi[SESSION_EVENTS], strict=True))
    assert len(set(cuts.values())) > 3, "points spread over the sessions"
    rewritten = _rewrite_after_cut(events, cuts, sessions)
    again = _marked(spark, rewritten)
    again_cuts = {(int(r.visitorid), int(r.session_id)): int(r[CUT])
                  for _, r in again[again[SESSION_EVENTS] >= 2].iterrows()}
    assert again_cuts == cuts, "the prediction point does not depend on what follows it"
    clean, mutated = _rows(spark, events), _rows(spark, rewritten)
    features = [c for c in clean.columns if c != "label"]
    assert clean[features].to_dict("records") == mutated[features].to_dict("records")
    assert clean["label"].sum() == 0
    assert list(mutated["label"]) == [0 if s == 0 else 1 for s in mutated["session_id"]]
