"""Models from code are saved one at a time: MLflow's check of the code swaps process-wide
state (sys.modules["dbutils"], sys.path), and `train` saves its models from threads."""

from __future__ import annotations

import sys
import threading

from pipelines.models.pyfunc_common import model_code


def test_a_second_thread_waits_until_the_first_leaves_model_code() -> None:
    inside_first = threading.Event()
    release_first = threading.Event()
    order: list[str] = []

    def first() -> None:
        with model_code("recommender"):
            order.append("first in")
            inside_first.set()
            release_first.wait(timeout=10)
            order.append("first out")

    def second() -> None:
        inside_first.wait(timeout=10)
        with model_code("recommender"):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside_first.wait(timeout=10)
    threads[1].join(timeout=0.5)
    assert order == ["first in"], "the second thread entered while the first was inside"
    release_first.set()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["first in", "first out", "second in"]


def test_model_code_leaves_sys_path_as_it_found_it() -> None:
    before = list(sys.path)
    with model_code("recommender") as (code_file, _):
        assert code_file.endswith("model_code.py")
        assert len(sys.path) == len(before) + 1
    assert sys.path == before
