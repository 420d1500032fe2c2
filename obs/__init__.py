"""Operability at the edge: OpenTelemetry metrics (obs.telemetry) behind core.metrics. Imports core."""
