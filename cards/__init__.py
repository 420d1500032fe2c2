"""Adaptive Card builders (schema 1.5, as Teams renders it): pure functions from core records to card dicts. Imports core."""
from cards.address import allocation_result, lookup_card
from cards.form import new_form
from cards.lists import list_card, lookup_results
from cards.mail import mail_card
from cards.messages import (error_card, help_card, notice_card, pool_low_card, unknown_card, usage_card,
                            welcome_card)

__all__ = [
    "allocation_result", "error_card", "help_card", "list_card", "lookup_card", "lookup_results", "mail_card",
    "new_form", "notice_card", "pool_low_card", "unknown_card", "usage_card", "welcome_card",
]
