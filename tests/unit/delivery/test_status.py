"""The admin status reads the Graph source's own flags: core cannot import mail/, so the names are kept twice."""
from core.delivery import status
from mail.graph import delta, subscriptions


def test_the_status_reads_the_flags_the_graph_source_writes():
    assert status.GRAPH_DELTA_FLAG == delta.LINK_FLAG
    assert status.GRAPH_SUBSCRIPTION_FLAG == subscriptions.RECORD_FLAG
