"""SKNN and V-SKNN: hand-made sessions with known answers, and the vectorised scorer against a
plain-Python reading of the definitions on random sessions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from pipelines.models.recommender.session_knn import (
    SKNN,
    VSKNN,
    KnnConfig,
    SessionIndex,
    build_session_index,
    knn_scores,
    knn_top_k,
    position_weights,
    step_decay,
)

pytestmark = pytest.mark.unit
NONE = np.empty(0, np.int64)


def index_of(sessions: Sequence[Sequence[int]], max_sessions: int = 1000,
             max_postings: int = 1000) -> SessionIndex:
    """Session j's events at time j (later sessions are more recent)."""
    keys = np.concatenate([[j] * len(s) for j, s in enumerate(sessions)]).astype(np.int64)
    items = np.concatenate([list(s) for s in sessions]).astype(np.int64)
    return build_session_index(keys, keys * 1000, items, max_sessions, max_postings)


def ranking(index: SessionIndex, items: list[int], config: KnnConfig, k: int = 10) -> list[int]:
    return knn_top_k(index, items, k, config, NONE)[0].tolist()


def test_a_session_sharing_two_items_outranks_one_sharing_one() -> None:
    index = index_of([[1, 2, 10], [1, 20]])
    ids, scores = knn_scores(index, [1, 2], SKNN)
    score = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    assert score[10] == pytest.approx(2 / math.sqrt(2 * 3))  # cosine of {1,2} and {1,2,10}
    assert score[20] == pytest.approx(1 / math.sqrt(2 * 2))
    assert ranking(index, [1, 2], SKNN).index(10) < ranking(index, [1, 2], SKNN).index(20)


def test_vsknn_weighs_the_last_item_more_sknn_does_not() -> None:
    # the older session shares the session's last item, the newer one its first item
    index = index_of([[2, 40], [1, 30]])
    assert ranking(index, [1, 2], SKNN)[-2:] == [30, 40]  # equal scores: smaller id first
    vs = ranking(index, [1, 2], VSKNN)
    assert vs.index(40) < vs.index(30)
    ids, scores = knn_scores(index, [1, 2], VSKNN)
    score = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    assert score[40] == pytest.approx(0.5 * 0.9)  # vec similarity 1/2, one step back
    assert score[30] == pytest.approx(0.5 * 0.8)  # two steps back


def test_only_the_most_recent_candidate_sessions_are_sampled() -> None:
    index = index_of([[1, 10], [1, 20], [5, 6]])
    assert ranking(index, [1], KnnConfig(k=10, sample_size=1)) == [1, 20]
    assert set(ranking(index, [1], KnnConfig(k=10, sample_size=2))) == {1, 10, 20}


def test_only_the_k_most_similar_sessions_vote() -> None:
    index = index_of([[1, 2, 10], [1, 20]])
    assert ranking(index, [1, 2], KnnConfig(k=1, sample_size=10)) == [1, 2, 10]


def test_the_sessions_items_are_not_banned_and_exclusions_are() -> None:
    index = index_of([[1, 2, 10]])
    assert ranking(index, [1, 2], SKNN) == [1, 2, 10]
    assert knn_top_k(index, [1, 2], 10, SKNN, np.array([2])) [0].tolist() == [1, 10]


def test_unknown_items_and_an_empty_index_score_nothing() -> None:
    assert ranking(index_of([[1, 2]]), [99], SKNN) == []
    assert ranking(index_of([[1, 2]], max_sessions=0), [1], SKNN) == []


def test_the_index_keeps_the_most_recent_sessions_and_caps_postings() -> None:
    index = index_of([[1, 2], [1, 3], [1, 4]], max_sessions=2, max_postings=1)
    assert index.n_sessions == 2
    assert index.session_items[index.session_indptr[0]:index.session_indptr[1]].tolist() == [1, 4]
    assert index.item_ids.tolist() == [1, 3, 4]
    row = int(index.rows_of(np.array([1]))[0])
    assert index.item_sessions[index.item_indptr[row]:index.item_indptr[row + 1]].tolist() == [0]


def test_weights_and_decays_follow_session_rec_and_never_go_negative() -> None:
    assert position_weights(np.array([1, 3]), 3, "div").tolist() == pytest.approx([1 / 3, 1])
    assert position_weights(np.array([1, 20]), 20, "linear").tolist() == pytest.approx([0, 1])
    assert step_decay(np.array([1, 2, 15]), "linear").tolist() == pytest.approx([0.9, 0.8, 0])
    assert step_decay(np.array([2]), "div").tolist() == pytest.approx([0.5])


def reference(sessions: list[list[int]], current: list[int], config: KnnConfig) -> dict[
    int, float
]:
    """The definitions, one session at a time (session j is the j-th most recent)."""
    last_pos = {item: p for p, item in enumerate(current, start=1)}
    n = len(current)
    weight = {i: float(position_weights(np.array([p]), n, config.weighting)[0])
              for i, p in last_pos.items()}
    step = {i: n - p + 1 for i, p in last_pos.items()}
    recent = [j for j in range(len(sessions) - 1, -1, -1) if set(sessions[j]) & set(last_pos)]
    sims = []
    for j in recent[: config.sample_size]:
        held = set(sessions[j])
        dot = sum(weight[i] for i in held & set(last_pos))
        if config.similarity == "cosine":
            sim = dot / math.sqrt(sum(w * w for w in weight.values()) * len(held))
        else:
            sim = dot / len(last_pos)
        if sim > 0:
            sims.append((-sim, len(sessions) - 1 - j, j, sim))
    scores: dict[int, float] = {}
    for _, _, j, sim in sorted(sims)[: config.k]:
        back = min(step[i] for i in set(sessions[j]) & set(last_pos))
        vote = sim * float(step_decay(np.array([back]), config.weighting_score)[0])
        for item in set(sessions[j]):
            scores[item] = scores.get(item, 0.0) + vote
    return scores


@pytest.mark.parametrize("config", [
    SKNN, VSKNN, KnnConfig(k=3, sample_size=8), KnnConfig(k=5, sample_size=12,
                                                          similarity="cosine",
                                                          weighting="div",
                                                          weighting_score="div"),
    KnnConfig(k=4, sample_size=30, similarity="vec", weighting="quadratic",
              weighting_score="log"),
])
def test_vectorised_scores_equal_the_definitions(config: KnnConfig) -> None:
    rng = np.random.default_rng(7)
    sessions = [rng.choice(25, size=rng.integers(1, 6)).tolist() for _ in range(80)]
    index = index_of(sessions, max_postings=max(config.sample_size, 1))
    for _ in range(40):
        current = rng.choice(30, size=rng.integers(1, 7)).tolist()  # 25..29: unknown items
        ids, scores = knn_scores(index, current, config)
        expected = reference(sessions, current, config)
        got = {i: s for i, s in zip(ids.tolist(), scores.tolist(), strict=True) if s != 0}
        assert got.keys() == {i for i, s in expected.items() if s != 0}
        for item, score in got.items():
            assert score == pytest.approx(expected[item])
