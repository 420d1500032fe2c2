"""The `new` form: what the new root address is for, refilled after a failed submit with each error under its input."""
from __future__ import annotations

from typing import Any

from cards import text as t
from cards.elements import Element, card, container, execute, heading, problem, text
from core.addresses.rules import ACCOUNT_NAME_MAX, ENVIRONMENTS, PURPOSE_MAX

SUBMIT = "new.submit"
REQUEST_ID_MAX = 64  # core.addresses.rules rejects longer request ids as a stale form
MAX_OTHER_ERRORS = 3

LABELS = {
    "account_name": "AWS account name",
    "environment": "Environment",
    "purpose": "Purpose",
    "account_id": "AWS account id (only if the account exists already)",
}

INTRO = ("RootMail picks a unique root user e-mail address for the new AWS account from the shared mailbox "
         "pool. Mail AWS sends to that address is posted in this conversation, so the team sees "
         "verification codes and notices.")


def new_form(request_id: str, values: dict | None = None, errors: dict[str, str] | None = None,
             environments: tuple[str, ...] = ENVIRONMENTS) -> Element:
    values, errors = values or {}, errors or {}
    body = [heading("New AWS root e-mail address"), text(INTRO)]
    if errors:
        body.append(_summary(errors))
    inputs = [
        _text_input("account_name", values, ACCOUNT_NAME_MAX, maxLength=ACCOUNT_NAME_MAX, isRequired=True,
                    errorMessage=f"Enter the account name (at most {ACCOUNT_NAME_MAX} characters).",
                    placeholder="e.g. payments-prod"),
        _environment(values, environments),
        _text_input("purpose", values, PURPOSE_MAX, maxLength=PURPOSE_MAX, isRequired=True, isMultiline=True,
                    errorMessage="Say what the account is for.",
                    placeholder="What runs in this account, and who to ask about it"),
        _text_input("account_id", values, t.ACCOUNT_ID, regex="^[0-9]{12}$",
                    errorMessage="An AWS account id is exactly 12 digits.", placeholder="123456789012"),
    ]
    for field in inputs:
        body.append(field)
        if errors.get(field["id"]):
            body.append(problem(errors[field["id"]], spacing="None"))
    submit = execute("Get an address", SUBMIT, {"request_id": t.token(request_id, REQUEST_ID_MAX)},
                     associatedInputs="auto", style="positive")
    return card(body, [submit])


def _summary(errors: dict[str, str]) -> Element:
    fields = [LABELS[name] for name in LABELS if errors.get(name)]
    others = [message for name, message in errors.items() if name not in LABELS and message]
    items = [text("Please check the form before submitting again.", weight="Bolder")]  # dark on the red box
    if fields:
        items.append(text("Needs a change: " + ", ".join(fields) + ".", t.ERROR * 3, size="Small"))
    items += [text(message, t.ERROR, size="Small") for message in others[:MAX_OTHER_ERRORS]]
    return container(items, style="attention")


def _text_input(input_id: str, values: dict, limit: int, **props: Any) -> Element:
    """The input, refilled with what the user typed, cut to what the input accepts."""
    element: Element = {"type": "Input.Text", "id": input_id, "label": LABELS[input_id], **props}
    value = t.clean(values.get(input_id), limit, multiline=props.get("isMultiline", False), ellipsis=False)
    if value:
        element["value"] = value
    return element


def _environment(values: dict, environments: tuple[str, ...]) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet", "id": "environment", "label": LABELS["environment"], "style": "compact",
        "isRequired": True, "errorMessage": "Choose the environment.", "placeholder": "Choose an environment",
        "choices": [{"title": t.clean(name, t.ENVIRONMENT), "value": t.token(name, t.ENVIRONMENT)}
                    for name in environments],
    }
    if values.get("environment") in environments:
        element["value"] = t.token(values["environment"], t.ENVIRONMENT)
    return element
