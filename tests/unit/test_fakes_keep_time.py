"""No fake holds a fixed date: a fake lives in the clock it is given (the same as the app's) or the real one.

A fake Graph stuck on 2026-11-21 refused every subscription from 2026-11-28 on ("Subscription expiration can only be
10080 minutes in the future"), and the Graph benchmark died with it without anything noticing. A date written into a
fake is such a clock waiting to stop; dates belong to the tests, which give the same clock to RootMail and the fake.
"""
from __future__ import annotations

import re

import pytest

from tests.paths import ROOT

FAKES = ROOT / "tests" / "fakes"
# datetime(2026, ...), date(2026, ...), an ISO 8601 timestamp "2026-11-21T08:00", an RFC 5322 date "21 Nov 2026"
FIXED_DATE = re.compile(r"\b(?:datetime|date)\(\s*(?:19|20)\d\d\s*,|\b(?:19|20)\d\d-\d\d-\d\dT\d\d|"
                        r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?:19|20)\d\d\b")


def test_the_pattern_finds_the_dates_that_stopped_the_fake_graph():
    assert FIXED_DATE.search("T0 = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)")
    assert FIXED_DATE.search('"timestamp": "2026-11-21T10:00:00.000Z"')
    assert FIXED_DATE.search('message["Date"] = "Sat, 21 Nov 2026 09:00:00 +0000"')
    assert not FIXED_DATE.search('xmlns="https://sts.amazonaws.com/doc/2011-06-15/"')  # an API version, not a time


@pytest.mark.parametrize("path", sorted(FAKES.rglob("*.py")), ids=lambda p: str(p.relative_to(FAKES)))
def test_no_fake_holds_a_fixed_date(path):
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for n, line in enumerate(path.read_text().splitlines(), 1) if FIXED_DATE.search(line)]
    assert found == []
