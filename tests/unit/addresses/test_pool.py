"""The pool configuration: mailboxes, strategies and aliases, with every problem named."""
from __future__ import annotations

import pytest

from core.model import Strategy
from core.addresses.pool import PoolConfigError, load_pool_file, parse_pool
from settings import ROOT


def test_the_demo_pool_loads():
    pool = load_pool_file(ROOT / "config" / "pool.demo.json")
    (alias_box, aliases), (plus_box, none) = pool
    assert alias_box.strategy is Strategy.ALIAS and len(aliases) == 40 and aliases[0] == "aws-0001@example.com"
    assert plus_box.strategy is Strategy.PLUS and none == []


def test_bad_entries_are_all_reported():
    with pytest.raises(PoolConfigError) as error:
        parse_pool({"mailboxes": [
            {"address": "box@example.com", "aliases": ["ok-alias@example.com", "bad alias@example.com"]},
            {"address": "x@y", "strategy": "plus"},
            {"address": "box2@example.com", "strategy": "carrier-pigeon"},
        ]})
    message = str(error.value)
    assert "bad alias@example.com" in message and "'x@y'" in message and "carrier-pigeon" in message


def test_exchange_alias_limit_is_enforced():
    with pytest.raises(PoolConfigError, match="400"):
        parse_pool({"mailboxes": [{"address": "box@example.com",
                                   "aliases": {"pattern": "a{n:04d}@example.com", "from": 1, "to": 401}}]})


def test_a_mailbox_may_say_how_graph_knows_it_by_object_id_or_upn():
    pool = parse_pool({"mailboxes": [
        {"address": "box@example.com", "strategy": "plus", "graph_id": "5F1D2C3B-4A59-4687-9A0B-1C2D3E4F5A6B"},
        {"address": "box2@example.com", "strategy": "plus", "graph_id": "box2@contoso.onmicrosoft.com"},
        {"address": "box3@example.com", "strategy": "plus"}]})
    assert [m.graph_id for m, _ in pool] == ["5F1D2C3B-4A59-4687-9A0B-1C2D3E4F5A6B", "box2@contoso.onmicrosoft.com", ""]
    with pytest.raises(PoolConfigError, match="graph_id 'Shared Box' is neither an object id"):
        parse_pool({"mailboxes": [{"address": "box@example.com", "strategy": "plus", "graph_id": "Shared Box"}]})
