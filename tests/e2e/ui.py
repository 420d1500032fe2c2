"""What a person does in the Agents Playground 0.2.28 UI, found by roles, labels and visible text."""
from __future__ import annotations

import re
import os
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, expect

from settings import ROOT

expect.set_options(timeout=15_000)  # a reply or a forwarded mail usually shows within a second; CI can be slow

# The README gallery is refreshed on purpose (ROOTMAIL_SCREENSHOTS=docs); ordinary runs keep theirs out of git.
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("ROOTMAIL_SCREENSHOTS") == "docs" else "test-results/screenshots")
BOT_NAME = "RootMail"  # bot.name in config/playground.yml
VIEWPORT = {"width": 1280, "height": 1700}  # tall enough for a mail card and its reply in one screenshot


async def open_playground(browser: Browser, url: str) -> "PlaygroundTab":
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_title("Hide log panel").click()  # the log panel would cover half of every screenshot
    return PlaygroundTab(page)


class PlaygroundTab:
    """One browser tab on the Playground. Its conversations live in the tab: a reload starts them empty."""

    def __init__(self, page: Page):
        self.page = page

    async def channel(self, team: str, channel: str) -> "Channel":
        await self.page.get_by_role("treeitem", name=f"{team} - {channel}").click()
        opened = Channel(self.page)
        await expect(opened.composer).to_be_visible()
        return opened

    async def chat(self, name: str) -> "Chat":
        await self.page.get_by_role("treeitem", name=name, exact=True).click()
        chat = Chat(self.page)
        await expect(self.page.get_by_role("textbox")).to_be_editable()
        return chat

    async def search_extension(self, words: str) -> Locator:
        """The compose box's message extension, Search Command: type `words`; returns the dialog with the results."""
        await self.page.get_by_role("button", name="Trigger Message Extension App").first.click()
        await self.page.get_by_role("menuitem", name="Search Command").click()
        box = self.page.get_by_placeholder("Enter a search term")
        await box.fill(words)
        return self.page.locator("div", has=box).filter(has_text="Search-Based Message Extension").last

    async def text(self) -> str:
        """What a person can read on the page, then all of its text including hidden parts (the log panel)."""
        body = self.page.locator("body")
        return await body.inner_text() + "\n" + (await body.text_content() or "")

    async def screenshot(self, name: str, of: Locator | None = None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        # The Playground opens its log panel again when it logs a warning (it warns of every card with a refresh)
        if await self.page.get_by_text("Log Panel", exact=True).is_visible():
            await self.page.get_by_title("Toggle Log Panel").click()
            await expect(self.page.get_by_text("Log Panel", exact=True)).to_be_hidden()
        await (of or self.page).screenshot(path=path, animations="disabled", caret="hide")
        return path

    async def close(self) -> None:
        await self.page.context.close()


async def _mention(page: Page, textbox: Locator, words: str) -> None:
    """Type @RootMail, choose it from the mention menu as a person would, then the words."""
    await textbox.click()
    await page.keyboard.type("@" + BOT_NAME[:4])
    await page.get_by_role("listbox", name="Typeahead menu").get_by_role("menuitem", name=BOT_NAME).click()
    await page.keyboard.type(" " + words)


class Channel:
    """A team channel: posts newest first, each a thread; RootMail answers in the thread of the post."""

    def __init__(self, page: Page):
        self.page = page
        self.posts = page.get_by_role("group")
        self.composer = self.posts.filter(has=page.get_by_role("button", name="Post", exact=True))

    async def mention(self, words: str) -> "Thread":
        await _mention(self.page, self.composer.get_by_role("textbox"), words)
        await self.composer.get_by_role("button", name="Post", exact=True).click()
        thread = Thread(self.page, self.posts.filter(
            has=self.page.get_by_text(re.compile(rf"^{BOT_NAME} {re.escape(words)}$"))))
        await expect(thread.post).to_have_count(1)
        return thread

    def post_containing(self, text: str) -> Locator:
        return self.posts.filter(has_text=text)


class Thread:
    """A post of the signed-in user and the replies under it."""

    def __init__(self, page: Page, post: Locator):
        self.page = page
        self.post = post

    async def answer(self, *expected: str) -> str:
        """Wait until RootMail's reply in this thread shows every expected text; return the thread's text."""
        for text in expected:
            await expect(self.post).to_contain_text(text)
        return await self.post.inner_text()

    async def fill(self, label: str, value: str) -> None:
        await self.post.get_by_label(label).fill(value)

    async def choose(self, label: str, option: str) -> None:
        await self.post.get_by_role("combobox", name=label).click()
        await self.page.get_by_role("option", name=option, exact=True).click()

    async def press(self, button: str) -> None:
        await self.post.get_by_role("button", name=button, exact=True).click()


class Chat:
    """A personal or group chat: messages oldest first, RootMail's are those with a 'Message author'."""

    def __init__(self, page: Page):
        self.page = page
        messages = page.locator("div:has(> [aria-label='Message header'])")
        self.bot_messages = messages.filter(has=page.get_by_label("Message author"))

    async def mention(self, words: str, *expected: str) -> Locator:
        """Send @RootMail words; wait for the new reply that shows every expected text and return it.
        Replies are matched by their first expected text, so a welcome card arriving meanwhile is no reply."""
        matching = self.bot_messages.filter(has_text=expected[0]) if expected else self.bot_messages
        before = await matching.count()
        await _mention(self.page, self.page.get_by_role("textbox"), words)  # a chat has one
        await self.page.get_by_role("button", name="Send Message").click()
        await expect(matching).to_have_count(before + 1)
        reply = matching.nth(before)
        for text in expected:
            await expect(reply).to_contain_text(text)
        return reply
