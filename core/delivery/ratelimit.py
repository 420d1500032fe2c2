"""Teams' posting limits as sliding windows: when the next post may go, and the fastest schedule the limits allow.

Pure and clock-injected: callers pass `now` (seconds on any monotonic scale). A post counts in every window for
`seconds` after it was sent; a window of `limit` posts is full while `limit` posts are younger than that.
"""
from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


# msteams-docs bots/how-to/rate-limit.md, "Per bot per thread limit". A thread is a 1:1 chat, a group chat or a
# channel; "all requests are subject to the same rate limiting policy, including sending messages, channel
# enumerations, and roster fetches", so card updates count as sends.
# Send to conversation (posts, replies, card updates): 7 / 1 s, 8 / 2 s, 60 / 30 s, 1,800 / hour.
TEAMS_CONVERSATION: tuple[Window, ...] = (Window(7, 1.0), Window(8, 2.0), Window(60, 30.0), Window(1800, 3600.0))
# Create conversation (the 1:1 chat Reveal opens): the same figures.
TEAMS_CREATE: tuple[Window, ...] = TEAMS_CONVERSATION
# Get conversation members (membership checks, rosters) and get conversations (a team's channels): 14 / 1 s,
# 16 / 2 s, 120 / 30 s, 3,600 / hour.
TEAMS_MEMBERS: tuple[Window, ...] = (Window(14, 1.0), Window(16, 2.0), Window(120, 30.0), Window(3600, 3600.0))
# Per app per tenant, all conversations together: 50 requests per second.
TEAMS_APP_PER_TENANT: tuple[Window, ...] = (Window(50, 1.0),)


class Limiter:
    """Remembers when posts went out, as long as the longest window needs, and says how long to wait."""

    def __init__(self, windows: Iterable[Window], margin: float = 0.0):
        # `margin` stretches every window a little: Teams counts when a post arrives, not when it left here
        self.windows = tuple(Window(w.limit, w.seconds + margin) for w in windows)
        self._horizon = max((w.seconds for w in self.windows), default=0.0)
        self._sent: deque[float] = deque()
        self._paused_until = float("-inf")

    def wait(self, now: float) -> float:
        """Seconds until one more post is allowed (0: now)."""
        self._forget(now)
        earliest = self._paused_until
        sent, count = self._sent, len(self._sent)
        for window in self.windows:
            if count >= window.limit:
                # the oldest of the last `limit` posts must leave the window first
                earliest = max(earliest, sent[count - window.limit] + window.seconds)
        return max(0.0, earliest - now)

    def record(self, now: float) -> None:
        self._sent.append(now)

    def settle(self, sent_at: float, done_at: float) -> None:
        """A post recorded at `sent_at` was answered at `done_at`: count it from then. Teams counts a post when it
        arrives, somewhere in between; counting from the answer keeps later posts clear of its windows."""
        index = bisect_left(self._sent, sent_at)
        if index < len(self._sent) and self._sent[index] == sent_at:
            del self._sent[index]
        insort(self._sent, max(done_at, sent_at))

    def try_acquire(self, now: float) -> bool:
        if self.wait(now) > 0:
            return False
        self.record(now)
        return True

    def pause(self, until: float) -> None:
        """The server said wait (Retry-After): nothing goes before `until`."""
        self._paused_until = max(self._paused_until, until)

    def in_window(self, now: float, seconds: float) -> int:
        """Posts sent in the last `seconds`."""
        return len(self._sent) - bisect_right(self._sent, now - seconds)

    @property
    def idle(self) -> bool:
        return not self._sent

    def _forget(self, now: float) -> None:
        sent = self._sent
        while sent and sent[0] <= now - self._horizon:
            sent.popleft()


def fastest_schedule(posts: Sequence[int], per_conversation: Iterable[Window] = TEAMS_CONVERSATION,
                     shared: Iterable[Window] = ()) -> list[list[float]]:
    """The earliest moment each post could go out, per conversation, when `posts[i]` posts for conversation i are
    all ready at 0 and every conversation obeys `per_conversation` while all together obey `shared`.
    Earliest first, and among conversations ready at once the one with the most posts left (a conversation
    left alone at the end would be held to its own, slower, limits)."""
    windows = tuple(per_conversation)
    lanes = [Limiter(windows) for _ in posts]
    common = Limiter(shared)
    times: list[list[float]] = [[] for _ in posts]
    ready = [(0.0, -n, i) for i, n in enumerate(posts) if n > 0]
    heapq.heapify(ready)
    while ready:
        at, left, i = heapq.heappop(ready)
        # every post goes out at a moment popped from the heap, so moments are recorded in time order
        delay = lanes[i].wait(at) or common.wait(at)
        if delay > 0:
            heapq.heappush(ready, (at + delay, left, i))
            continue
        lanes[i].record(at)
        common.record(at)
        times[i].append(at)
        if len(times[i]) < posts[i]:
            heapq.heappush(ready, (at, left + 1, i))
    return times


def minimum_seconds(posts: Sequence[int], per_conversation: Iterable[Window] = TEAMS_CONVERSATION,
                    shared: Iterable[Window] = ()) -> float:
    """When the last of those posts could go out at the earliest."""
    return max((t[-1] for t in fastest_schedule(posts, per_conversation, shared) if t), default=0.0)
