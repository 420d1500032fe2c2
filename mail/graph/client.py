"""The app's one Microsoft Graph client (msgraph-sdk on httpx; JSON batches over aiohttp, batch_http.py): app-only
tokens from azure-identity, bounded retries with backoff, Retry-After honoured per mailbox, at most 4 requests in
flight per mailbox, and SDK and batch errors turned into core errors."""
from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar
from urllib.parse import urlsplit

import aiohttp
import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import options as SDK_OPTIONS
from msgraph_core import GraphClientFactory

from core.errors import MailSourceUnavailable, NotFound
from mail.graph.batch_http import BatchTransport, GraphStatus, open_batch_transport

logger = logging.getLogger(__name__)

T = TypeVar("T")
PER_MAILBOX = 4  # Outlook: 4 concurrent requests per app and mailbox; more get 429 MailboxConcurrency
RETRYABLE = frozenset({429, 500, 502, 503, 504})
GONE_CODES = frozenset({"syncstatenotfound", "syncstateinvalid", "resyncrequired", "syncstateexpired"})
# 404s about the mailbox, not an item in it: Outlook cannot find the user (ErrorInvalidUser), or the user has no
# Exchange Online mailbox. Read as "item gone" they would leave the mailbox silently dead.
MAILBOX_CODES = frozenset({"errorinvaliduser", "mailboxnotenabledforrestapi"})
ERRORS = {"XXX": ODataError}
DENIED = ("Graph refused access ({status}) to {mailbox}: RootMail's app registration needs the application "
          "permissions Mail.ReadWrite and User.Read.All, granted by an admin, and the mailbox must be in the scope "
          "of its application access policy or Exchange RBAC for Applications role assignment.")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5  # seconds before the 2nd attempt; doubles, with jitter, up to max_delay
    max_delay: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After ends the call; the next scheduled run tries again


def credential_from(tenant_id: str, client_id: str, secret: str, certificate: Path | None, authority: str,
                    **options: Any) -> AsyncTokenCredential:
    """App-only identity: a client secret, a certificate, or (neither) a managed identity via DefaultAzureCredential;
    tokens always from `authority`, the Entra endpoint of the configured cloud (login.microsoftonline.us, ...).
    `options` go to azure-identity (tests hand in a transport)."""
    from azure.identity.aio import CertificateCredential, ClientSecretCredential, DefaultAzureCredential

    if secret:
        return ClientSecretCredential(tenant_id, client_id, secret, authority=authority, **options)
    if certificate:
        return CertificateCredential(tenant_id, client_id, certificate_path=str(certificate), authority=authority,
                                     **options)
    return DefaultAzureCredential(managed_identity_client_id=client_id or None, authority=authority, **options)


class GraphClient:
    """`sdk` builds requests; `call` runs one under the mailbox's gate, retrying what is worth retrying; `batch`
    sends a JSON batch over `batches` (aiohttp) through the same `call`."""

    def __init__(self, sdk: GraphServiceClient, adapter: GraphRequestAdapter, timeout: float,
                 policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 batches: BatchTransport | None = None):
        self.sdk, self._adapter, self.timeout, self.policy, self._sleep = sdk, adapter, timeout, policy, sleep
        self.batches = batches
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._paused_until: dict[str, float] = {}
        self.failing: dict[str, str] = {}  # mailbox -> why its latest call gave up; gone after its next success

    async def call(self, mailbox: str, what: str, send: Callable[[], Awaitable[T]]) -> T:
        key = mailbox.lower()
        gate = self._gates.setdefault(key, asyncio.Semaphore(PER_MAILBOX))
        failure = ""
        for attempt in range(1, self.policy.attempts + 1):
            await self._wait_out_pause(key)
            async with gate:
                try:
                    async with asyncio.timeout(self.timeout):
                        result = await send()
                    self.failing.pop(key, None)
                    return result
                except (APIError, GraphStatus) as error:
                    status, hint = error.response_status_code or 0, retry_after(error.response_headers)
                    failure = f"{status} {_code(error)}".strip()
                    if status not in RETRYABLE:
                        translated = self._translated(error, status, mailbox, what)
                        if not isinstance(translated, NotFound):  # a missing item says Graph works
                            self.failing[key] = f"{what}: {failure}"
                        raise translated from None
                except ClientAuthenticationError as error:  # Entra ID said no: asking again will not change that
                    self.failing[key] = f"{what}: token refused"
                    raise MailSourceUnavailable(_refusal(error), status=401) from None
                except (TimeoutError, httpx.TimeoutException):
                    status, hint, failure = 0, None, f"no answer within {self.timeout:g} s"
                except (httpx.TransportError, aiohttp.ClientError, AzureError) as error:
                    status, hint, failure = 0, None, type(error).__name__
            if attempt == self.policy.attempts or (hint or 0) > self.policy.max_retry_after:
                break
            wait = hint if hint is not None else self._backoff(attempt)
            if status == 429:
                self._pause(key, wait)
            logger.info("graph call will be retried", extra={"action": what, "attempt": attempt, "failure": failure,
                                                             "retry_in_s": round(wait, 2)})
            if status != 429:
                await self._sleep(wait)
        self.failing[key] = f"{what}: {failure}"
        logger.warning("graph call gave up", extra={"action": what, "failure": failure, "retry_after_s": hint})
        raise MailSourceUnavailable(f"Microsoft Graph kept failing ({failure}) while {what}.", hint,
                                    status or None)

    async def json(self, mailbox: str, what: str, request: Callable[[], RequestInformation]) -> dict[str, Any]:
        """The response body as plain JSON. Messages skip the SDK's models: building them costs ~3 ms a message
        (measured in bench/graph.py), and RootMail turns them into its own records at once anyway."""
        raw = await self.call(mailbox, what,
                              lambda: self._adapter.send_primitive_async(self._request(request), "bytes", ERRORS))
        return json.loads(raw) if raw else {}

    async def batch(self, mailbox: str, what: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /$batch over aiohttp (batch_http.py), under the same gate, retries and translation as `call`."""
        if self.batches is None:
            raise MailSourceUnavailable("This Graph client was opened without its batch transport.")
        body = json.dumps({"requests": requests}).encode()
        raw = await self.call(mailbox, what, lambda: self.batches.post(body))
        return json.loads(raw) if raw else {}

    def _request(self, build: Callable[[], RequestInformation]) -> RequestInformation:
        return _expanded(build(), self._adapter.base_url)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.base_delay * 2 ** (attempt - 1), self.policy.max_delay)
        return delay * random.uniform(0.8, 1.2)

    def throttled(self, mailbox: str, seconds: float) -> None:
        """Graph throttled a request inside a batch: the whole mailbox waits, as for a throttled request."""
        self._pause(mailbox.lower(), seconds)

    def _pause(self, key: str, seconds: float) -> None:
        """Graph throttles per app and mailbox: every call to this mailbox waits, not just the one told to."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)

    async def _wait_out_pause(self, key: str) -> None:
        while (left := self._paused_until.get(key, 0.0) - asyncio.get_running_loop().time()) > 0:
            await self._sleep(left)

    @staticmethod
    def _translated(error: APIError | GraphStatus, status: int, mailbox: str, what: str) -> Exception:
        code = _code(error)
        if status == 404 and code.lower() in MAILBOX_CODES:
            return MailSourceUnavailable(f"Graph cannot find the mailbox {mailbox} ({code}) while {what}: it was "
                                         "deleted, or it has no Exchange Online mailbox.", status=404)
        if status == 404 and code.lower() not in GONE_CODES:
            return NotFound(f"Graph has no such item while {what} ({code or 404}).")
        if status in (401, 403):
            return MailSourceUnavailable(DENIED.format(status=status, mailbox=mailbox), status=status)
        if status == 410 or code.lower() in GONE_CODES:
            return MailSourceUnavailable(f"Graph's sync state expired while {what} ({code or status}).", status=410)
        return MailSourceUnavailable(f"Graph answered {status} {code} while {what}.", status=status)


def _refusal(error: ClientAuthenticationError) -> str:
    """Entra ID's reason (its AADSTS code and sentence; they name ids, never the secret) and what to check."""
    reason = str(getattr(error, "message", "") or error).replace("\r", " ").splitlines()[0][:300].rstrip(" .'")
    return (f"Microsoft Entra ID refused RootMail a Graph token ({reason}). Check ROOTMAIL_GRAPH_CLOUD, "
            "ROOTMAIL_GRAPH_TENANT_ID, ROOTMAIL_GRAPH_CLIENT_ID and the secret or certificate.")


def _expanded(request: RequestInformation, base_url: str) -> RequestInformation:
    """Expand the URL template once: the SDK reads `url` several times per request and expands it each time,
    which cost ~2 ms a request (measured with bench/graph.py --profile)."""
    request.path_parameters = {**request.path_parameters, "baseurl": base_url}  # a copy: builders share theirs
    url = request.url
    request.path_parameters, request.query_parameters = {}, {}  # the url setter clears them
    request.url = url
    return request


def _code(error: APIError | GraphStatus) -> str:
    """The OData error code: the SDK's ODataError holds it in `error`, a batch's GraphStatus in `code`."""
    if isinstance(error, GraphStatus):
        return error.code
    inner = getattr(error, "error", None)
    return str(getattr(inner, "code", "") or "")


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (lower-case key), in seconds or as an HTTP date."""
    value = headers.get("retry-after") if headers else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


@asynccontextmanager
async def open_graph_client(credential: AsyncTokenCredential, base_url: str, timeout: float,
                            policy: RetryPolicy = RetryPolicy(), scope: str = "", now: Callable[[], float] = time.time,
                            **client: Any) -> AsyncIterator[GraphClient]:
    """One httpx connection pool for the SDK's requests and one aiohttp pool for the JSON batches (`now`: the clock
    the batches' token cache reads); tokens only ever go to the configured Graph host. `scope` is the cloud's Graph
    resource with /.default (settings.clouds); empty: the base URL's own host (a local fake). The SDK's own retry
    handler is off: GraphClient.call retries (it also retries timeouts, and bounds the total)."""
    parts = urlsplit(base_url)
    scope = scope or f"{parts.scheme}://{parts.hostname}/.default"
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[scope], allowed_hosts=[parts.hostname or ""])
    http = httpx.AsyncClient(timeout=httpx.Timeout(timeout), http2=True,
                             limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
    options = {**SDK_OPTIONS, RetryHandlerOption.get_key(): RetryHandlerOption(0, 0, False)}
    adapter = GraphRequestAdapter(auth, GraphClientFactory.create_with_default_middleware(client=http,
                                                                                          options=options))
    adapter.base_url = base_url.rstrip("/")
    try:
        async with open_batch_transport(credential, base_url, scope, timeout, now) as batches:
            yield GraphClient(GraphServiceClient(request_adapter=adapter), adapter, timeout, policy, batches=batches,
                              **client)
    finally:
        await http.aclose()
