"""The app with ROOTMAIL_MAIL_SOURCE=smtp runs the inbox on its own loop: mail sent to it is stored and /readyz sees it."""
from __future__ import annotations

import asyncio

from app import INBOX, STORE, create_app
from core.model import MailState
from core.intake.redact import CODE_HIDDEN
from scripts.demo_mail import build_message, send

TO = "aws+prod-payments-7f3k@rootmail.example"


async def test_app_inbox_stores_mail_wakes_the_forwarder_and_reports_ready(aiohttp_client, make_settings):
    client = await aiohttp_client(create_app(make_settings(ROOTMAIL_MAIL_SOURCE="smtp")))
    app = client.app

    await asyncio.to_thread(send, build_message("verification", TO), "127.0.0.1", app[INBOX].port)

    [stored] = await app[STORE].recent_mails(TO, 5)
    assert f"Verification code: {CODE_HIDDEN}" in stored.preview
    # the forwarder idles 5 s between polls; handling the mail well before that means the inbox woke it
    for _ in range(40):
        if (await app[STORE].get_mail(stored.key)).state is not MailState.RECEIVED:
            break
        await asyncio.sleep(0.05)
    assert (await app[STORE].get_mail(stored.key)).state is MailState.UNMAPPED  # no owner, no admin channel
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["mail_source"] == "ok"
