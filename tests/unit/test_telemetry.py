"""Metrics: what core counts comes out as Prometheus text, counters, gauge and latency histogram alike."""
from __future__ import annotations

from core import metrics as m
from obs.telemetry import Telemetry


def test_counters_gauges_and_histograms_are_exported_as_prometheus_text():
    telemetry = Telemetry()
    depth = [7]
    telemetry.gauge("queue_depth", lambda: depth[0], "Mails waiting in lanes")
    telemetry.count(m.FORWARDED, 3)
    telemetry.count(m.FORWARDED)
    telemetry.count(m.FAILED, 2, reason="429")
    for seconds in (0.004, 0.03, 0.2, 20.0):
        telemetry.observe(m.SEND_SECONDS, seconds)

    text = telemetry.prometheus_text()

    assert "# TYPE rootmail_mails_forwarded_total counter" in text
    assert "rootmail_mails_forwarded_total 4" in text.splitlines()
    assert 'rootmail_mails_failed_total{reason="429"} 2' in text.splitlines()
    assert "rootmail_queue_depth 7" in text.splitlines()
    lines = text.splitlines()
    assert 'rootmail_send_seconds_bucket{le="0.005"} 1' in lines
    assert 'rootmail_send_seconds_bucket{le="0.25"} 3' in lines
    assert 'rootmail_send_seconds_bucket{le="+Inf"} 4' in lines
    assert "rootmail_send_seconds_count 4" in lines
    depth[0] = 0
    assert "rootmail_queue_depth 0" in telemetry.prometheus_text().splitlines()


def test_two_apps_do_not_share_their_numbers():
    one, other = Telemetry(), Telemetry()
    one.count(m.POSTS, 5)

    assert "rootmail_posts_total 5" in one.prometheus_text()
    assert "rootmail_posts_total" not in other.prometheus_text()
