"""The mail pipeline: record, inspect, classify, verify the sender, redact, seal and reveal. Imports core and core.addresses."""
