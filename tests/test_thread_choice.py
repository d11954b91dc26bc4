"""The thread count a small model trains with when none is named: measured, the fastest kept."""

import time

import pytest
import torch

from engines.training.thread_choice import candidates, fastest_threads


def test_candidates_are_one_the_powers_of_two_and_every_core():
    assert candidates(1) == [1]
    assert candidates(2) == [1, 2]
    assert candidates(6) == [1, 2, 4, 6]


@pytest.mark.parametrize("slow_at,expected", [(2, 1), (1, 2)])
def test_the_faster_count_wins_and_is_left_set(slow_at, expected):
    before = torch.get_num_threads()
    calls = []

    def step():  # a step 5 ms slower at one thread count: a margin no scheduling noise closes
        calls.append(torch.get_num_threads())
        if torch.get_num_threads() == slow_at:
            time.sleep(0.005)

    try:
        assert fastest_threads(step, 2) == expected
        assert torch.get_num_threads() == expected
        assert set(calls) == {1, 2}  # both were tried
    finally:
        torch.set_num_threads(before)


def test_one_candidate_is_not_measured():
    before = torch.get_num_threads()
    try:
        assert fastest_threads(lambda: pytest.fail("measured"), 1) == 1
    finally:
        torch.set_num_threads(before)
