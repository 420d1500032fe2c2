"""core.metrics on the OpenTelemetry SDK, read in-process and served as Prometheus text (nothing is pushed anywhere)."""
from __future__ import annotations

import math
from typing import Callable

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import Gauge, Histogram, InMemoryMetricReader, Sum
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

from core import metrics as m

PREFIX = "rootmail_"
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)
DESCRIPTIONS = {
    m.RECEIVED: "Mails taken up for forwarding for the first time",
    m.FORWARDED: "Mails posted to their owning conversation (own card or inside a digest)",
    m.QUARANTINED: "Unverified mails shown to admins only (or only recorded)",
    m.UNMAPPED: "Mails for unknown addresses, posted to admins or only recorded",
    m.FAILED: "Mails whose post failed (each retried later)",
    m.CONSUMED: "Primary-e-mail-update codes RootMail kept out of every channel to use itself (adoption)",
    m.POSTS: "Posts that reached the Bot Connector",
    m.DIGESTS: "Digest posts carrying several mails",
    m.REPEATS: "Posts of mails that may have been posted before (RootMail stopped between post and record)",
    m.SEND_SECONDS: "Seconds one post to the Bot Connector took",
}


class Telemetry:
    """Implements core.metrics.Metrics. One per app: a MeterProvider of its own, never the global one."""

    def __init__(self, service: str = "rootmail"):
        self._reader = InMemoryMetricReader()
        seconds = View(instrument_name=PREFIX + m.SEND_SECONDS,
                       aggregation=ExplicitBucketHistogramAggregation(SECONDS_BUCKETS))
        self._provider = MeterProvider(metric_readers=[self._reader], views=[seconds],
                                       resource=Resource.create({"service.name": service}))
        self._meter = self._provider.get_meter("rootmail")
        self._counters: dict = {}
        self._histograms: dict = {}

    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = self._meter.create_counter(
                PREFIX + name + "_total", unit="1", description=DESCRIPTIONS.get(name, name))
        counter.add(amount, labels)

    def observe(self, name: str, value: float, **labels: str) -> None:
        histogram = self._histograms.get(name)
        if histogram is None:
            histogram = self._histograms[name] = self._meter.create_histogram(
                PREFIX + name, unit="s", description=DESCRIPTIONS.get(name, name))
        histogram.record(value, labels)

    def gauge(self, name: str, read: Callable[[], float], description: str) -> None:
        def observe(options: CallbackOptions):
            return [Observation(read())]
        self._meter.create_observable_gauge(PREFIX + name, callbacks=[observe], description=description)

    def prometheus_text(self) -> str:
        """Everything measured so far, in the Prometheus text exposition format (version 0.0.4)."""
        data = self._reader.get_metrics_data()
        lines: list[str] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    lines += _exposition(metric)
        return "\n".join(lines) + "\n"

    def shutdown(self) -> None:
        self._provider.shutdown()


def _exposition(metric) -> list[str]:
    name, points = metric.name, metric.data.data_points
    kind = {Sum: "counter", Gauge: "gauge", Histogram: "histogram"}.get(type(metric.data), "untyped")
    lines = [f"# HELP {name} {metric.description}", f"# TYPE {name} {kind}"]
    for point in points:
        labels = dict(point.attributes or {})
        if kind != "histogram":
            lines.append(f"{name}{_labels(labels)} {_number(point.value)}")
            continue
        running = 0
        for bound, count in zip([*point.explicit_bounds, math.inf], point.bucket_counts):
            running += count
            lines.append(f"{name}_bucket{_labels(labels | {'le': _number(bound)})} {running}")
        lines += [f"{name}_sum{_labels(labels)} {_number(point.sum)}", f"{name}_count{_labels(labels)} {point.count}"]
    return lines


def _labels(labels: dict) -> str:
    if not labels:
        return ""
    escaped = (f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34)).replace(chr(10), " ")}"'
               for k, v in sorted(labels.items()))
    return "{" + ",".join(escaped) + "}"


def _number(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))
