"""Cards listing several root addresses: lookup matches and the addresses a conversation owns, one row each."""
from __future__ import annotations

from cards import text as t
from cards.address import lookup_action
from cards.elements import BUDGET, Element, card, container, execute, fit, heading, line, note, size, text
from core.model import AddressState, Page, RootAddress

MAX_RESULTS = 10
MAX_CONTINUATION = 8_000  # bytes; store page tokens are far shorter (Cosmos DB's can be capped at 1 KB)
SEARCH_HINTS = (
    "Search by a 12-digit AWS account id, a full address, or at least two characters of an account name "
    "or address.",
    "Type list to see the addresses this conversation owns.",
    "Addresses owned by another channel only show up there.",
)


def lookup_results(query: str, records: list[RootAddress]) -> Element:
    if not records:
        return card([heading(f"Nothing found for {t.quoted(query)}"), *(text(hint) for hint in SEARCH_HINTS)])
    shown = records[:MAX_RESULTS]
    matches = "1 address matches" if len(records) == 1 else f"{len(records)} addresses match"
    body = [heading(f"{matches} {t.quoted(query)}"), note("Select an address for details.")]
    rows, left_out = fit([address_row(record) for record in shown], BUDGET - size(card(body)))
    body += rows
    if left_out or len(records) > len(shown):
        body.append(note(f"Showing {len(rows)} of {len(records)}. Refine the search to see the others."))
    return card(body)


def list_card(title: str, page: Page, page_number: int, page_size: int) -> Element:
    body = [heading(title)]
    if not page.items:
        return _empty(body, page_number)
    first = (page_number - 1) * page_size + 1
    body.append(note(f"Addresses {first}\u2013{first + len(page.items) - 1}. Select one for details."))
    actions, unpageable = _next_page(page, page_number)
    if unpageable:
        body.append(note("There are more addresses than this card can page through; use lookup to find one."))
    rows, left_out = fit([address_row(record) for record in page.items], BUDGET - size(card(body, actions)))
    body += rows
    if left_out:
        body.append(note(f"{left_out} more on this page are too long to show; use lookup to find them."))
    return card(body, actions)


def address_row(record: RootAddress) -> Element:
    """One compact, selectable row: address, then account name, account id, environment and state."""
    state = {"color": "Warning"} if record.state is AddressState.RETIRED else {}
    return container([
        text(record.address, t.ADDRESS, weight="Bolder", fontType="Monospace"),
        line((record.account_name or "no name", t.ACCOUNT_NAME), (record.account_id or "not linked", t.ACCOUNT_ID),
             (record.environment, t.ENVIRONMENT), (record.state.value, t.STATE),
             sep=" \u00b7 ", size="Small", spacing="None", **state),
    ], separator=True, selectAction=lookup_action(record.address, "Details"))


def _next_page(page: Page, page_number: int) -> tuple[list[Element], bool]:
    """The Next page button, unless there is no next page or its token is too long to carry in a card."""
    if not page.continuation:
        return [], False
    action = execute("Next page", "list.page", {"continuation": page.continuation, "page": page_number + 1})
    return ([action], False) if size(action) <= MAX_CONTINUATION else ([], True)


def _empty(body: list[Element], page_number: int) -> Element:
    if page_number > 1:
        body.append(text("No more addresses."))
    else:
        body += [text("This conversation does not own any root addresses yet."),
                 text("Type new, or use the button, to get one for a new AWS account.")]
    return card(body, [execute("New address", "new.form")])
