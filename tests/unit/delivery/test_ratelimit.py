"""Teams' posting limits: the limiter never lets a window overflow, and the fastest schedule is what the limits allow."""
from __future__ import annotations

import random

import pytest

from core.delivery.ratelimit import (TEAMS_APP_PER_TENANT, TEAMS_CONVERSATION, Limiter, Window, fastest_schedule,
                            minimum_seconds)


def send_as_fast_as_allowed(limiter: Limiter, posts: int, start: float = 0.0) -> list[float]:
    now, sent = start, []
    while len(sent) < posts:
        now += limiter.wait(now)
        assert limiter.try_acquire(now)
        sent.append(now)
    return sent


def overflowing(times: list[float], windows) -> list[str]:
    """Every window Teams would have answered 429 for: more than `limit` posts within `seconds`."""
    problems = []
    for window in windows:
        for i, start in enumerate(times):
            inside = sum(1 for t in times[i:] if t < start + window.seconds)
            if inside > window.limit:
                problems.append(f"{inside} posts in {window.seconds}s from {start}")
    return problems


def test_a_burst_goes_out_seven_at_once_then_one_more_in_the_second_second():
    sent = send_as_fast_as_allowed(Limiter(TEAMS_CONVERSATION), 10)

    assert sent == [0.0] * 7 + [1.0, 2.0, 2.0]


def test_fifty_posts_to_one_conversation_take_twelve_seconds():
    sent = send_as_fast_as_allowed(Limiter(TEAMS_CONVERSATION), 50)

    assert sent[-1] == 12.0 and not overflowing(sent, TEAMS_CONVERSATION)


def test_the_thirty_second_and_hourly_windows_hold():
    sent = send_as_fast_as_allowed(Limiter(TEAMS_CONVERSATION), 1801)

    assert sent[60] == 30.0  # the 61st post waits for the 30 s window
    assert sent[1800] == 3600.0  # the 1,801st for the hour
    assert not overflowing(sent[:200], TEAMS_CONVERSATION)


def test_posts_at_random_moments_never_overflow_a_window():
    limiter, rng, now, sent = Limiter(TEAMS_CONVERSATION), random.Random(7), 0.0, []
    for _ in range(400):
        now += rng.choice([0.0, 0.0, 0.01, 0.3, 1.7])
        if limiter.try_acquire(now):
            sent.append(now)

    assert len(sent) > 100 and not overflowing(sent, TEAMS_CONVERSATION)


def test_retry_after_pauses_the_limiter_even_with_room_in_every_window():
    limiter = Limiter(TEAMS_CONVERSATION)
    limiter.pause(until=5.0)

    assert limiter.wait(1.0) == 4.0
    assert not limiter.try_acquire(4.9)
    assert limiter.try_acquire(5.0)


def test_the_margin_stretches_every_window():
    limiter = Limiter([Window(1, 1.0)], margin=0.25)
    limiter.record(0.0)

    assert limiter.wait(1.0) == pytest.approx(0.25)


def test_counts_posts_in_a_recent_window():
    limiter = Limiter(TEAMS_CONVERSATION)
    for t in (0.0, 0.5, 10.0, 29.0):
        limiter.record(t)

    assert limiter.in_window(30.0, 30.0) == 3 and limiter.in_window(30.0, 2.0) == 1


def test_minimum_for_the_burst_per_conversation_limits_only():
    # 10,000 mails to 200 channels: 50 per channel, all inside one 60 / 30 s window, so 7 / 1 s and 8 / 2 s decide
    assert minimum_seconds([50] * 200) == 12.0


def test_minimum_for_the_burst_with_the_app_wide_fifty_per_second():
    # 10,000 posts at 50 per second: the last goes in the 200th second
    assert minimum_seconds([50] * 200, shared=TEAMS_APP_PER_TENANT) == 199.0


def test_the_fastest_schedule_obeys_every_window_and_the_shared_one():
    times = fastest_schedule([30, 5, 17], shared=[Window(10, 1.0)])

    assert [len(t) for t in times] == [30, 5, 17]
    for per_conversation in times:
        assert not overflowing(per_conversation, TEAMS_CONVERSATION)
    assert not overflowing(sorted(t for ts in times for t in ts), [Window(10, 1.0)])


def test_nothing_to_send_takes_no_time():
    assert minimum_seconds([]) == 0.0 and minimum_seconds([0, 0]) == 0.0


def test_a_post_counts_from_its_answer_so_slow_posts_cannot_crowd_a_window_at_the_server():
    limiter = Limiter([Window(2, 1.0)])
    limiter.record(0.0)
    limiter.record(0.1)
    limiter.settle(0.0, 0.6)  # the first post took 0.6 s: it may have reached Teams only then

    assert limiter.wait(1.0) == pytest.approx(0.1)  # the post recorded at 0.1 leaves the window first
    assert limiter.wait(1.1) == 0.0
    limiter.record(1.1)
    assert limiter.wait(1.1) == pytest.approx(0.5)  # then the one now counted from 0.6
