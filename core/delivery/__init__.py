"""Delivery to Teams: lanes per conversation within Teams' limits, digests, exactly-once posts, status. Imports core, core.addresses and core.intake."""
