"""RootMail set up for centralized root access, in this test process, against the fake AWS organization
(tests/fakes/root_access.py), with its own Agents Playground: the e2e journey of root access drives it.

RootMail runs in-process (not `python app.py`) because its AWS client is the one thing a setting cannot point at a
local fake; everything else is as `make run` has it: SQLite, the SMTP inbox, the Playground's personal chat as the
admin conversation."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

from app import INBOX, STORE, create_app
from aws.root.client import RootAccessClient
from settings import load_settings
from tests.e2e import servers
from tests.fakes.root_access import RootOrg

ROLE = "arn:aws:iam::111111111111:role/RootMailRootAccess"
BOT = {"id": "00000000-0000-4000-8000-00000000b07b", "name": "RootMail"}  # config/playground.yml
TENANT = "00000000-0000-4000-8000-0000000000aa"
MEGAN = {"id": "user-id-1", "name": "Megan Bowen", "aadObjectId": "00000000-0000-4000-8000-000000000002"}
RECOVERED, EXPOSED = "222222222222", "333333333333"


@dataclass
class RootStack:
    org: RootOrg
    rootmail_url: str
    playground: servers.Playground
    runners: list[web.AppRunner]
    app: web.Application

    async def newest_mail(self, address: str) -> str:
        """The key of the newest mail RootMail holds for the address (what a Reveal button carries)."""
        return (await self.app[STORE].recent_mails(address, 1))[0].key

    async def press_as(self, user: dict, verb: str, data: dict,
                       conversation: str = servers.ADMIN_CONVERSATION) -> dict | str:
        """A second person's button press: the Playground has one signed-in user, so this Action.Execute reaches
        RootMail straight, as Teams would send it, with the Playground's Bot Connector as the service URL (RootMail's
        answers and updates go there and show in the Playground). Returns the card RootMail answered with, or the
        words it told the presser alone."""
        activity = {"type": "invoke", "name": "adaptiveCard/action", "id": f"invoke-{verb}", "channelId": "msteams",
                    "serviceUrl": f"http://localhost:{self.playground.port}/_connector", "from": user,
                    "recipient": BOT, "locale": "en-US", "channelData": {"tenant": {"id": TENANT}},
                    "conversation": {"id": conversation, "conversationType": "personal", "tenantId": TENANT},
                    "value": {"action": {"type": "Action.Execute", "verb": verb, "data": {"rootmail": verb, **data}},
                              "trigger": "manual"}}
        async with ClientSession(timeout=ClientTimeout(total=30)) as http:
            async with http.post(f"{self.rootmail_url}/api/messages", json=activity) as response:
                body = await response.json()
        return body["value"]

    async def close(self) -> None:
        self.playground.process.stop()
        for runner in reversed(self.runners):
            await runner.cleanup()


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def start(workdir: Path) -> RootStack:
    os.environ.update(AWS_ACCESS_KEY_ID="AKIAE2ERUNNER", AWS_SECRET_ACCESS_KEY="e2e-runner-secret")
    org = RootOrg()
    org.add(RECOVERED, "payments-prod", "old-root@corp.example")  # no root credentials: recovery is allowed
    org.add(EXPOSED, "legacy-data", "legacy@corp.example")
    org.root(EXPOSED).password = True
    org.root(EXPOSED).mfa.append(f"arn:aws:iam::{EXPOSED}:mfa/root-account-mfa-device")
    fake_runner, org.url = await _serve(org.app())
    settings = load_settings({
        "ROOTMAIL_STORE": f"sqlite:///{workdir / 'rootmail.db'}", "ROOTMAIL_SMTP_PORT": "0",
        "ROOTMAIL_ADMIN_CONVERSATION": servers.ADMIN_CONVERSATION, "ROOTMAIL_ADMINS": MEGAN["aadObjectId"],
        "ROOTMAIL_INSTANCE_ID": "e2e-root", "ROOTMAIL_ROOT_ROLE_ARN": ROLE, "ROOTMAIL_ROOT_AUDIT_MINUTES": "0",
        "ROOTMAIL_REVEAL_MINUTES": "60"})
    # the Playground posts unsigned activities in Teams' place: as the integration tests do, this test tells RootMail
    # to take their senders at their word, to reach the admin journeys (main() never does; app.create_app)
    app = create_app(settings, root_access_api=RootAccessClient(ROLE, endpoint_url=org.url, attempts=1),
                     identities_verified=True)
    rootmail_runner, url = await _serve(app)
    org.smtp = ("127.0.0.1", app[INBOX].port)
    playground = servers.start_playground(f"{url}/api/messages", workdir / "playground")
    return RootStack(org, url, playground, [fake_runner, rootmail_runner], app)
