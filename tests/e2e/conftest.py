"""Browser tests: Debian's Chromium driven by Playwright for Python, against pytest-django's
live server and the real livekit-server."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from playwright.sync_api import sync_playwright

from devservers.media import CHROMIUM, CHROMIUM_ARGS, FAKE_MEDIA_ARGS

# Playwright's sync API runs an event loop on the test thread; the ORM calls these tests make
# between browser steps are plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: `make test` installs it in CI.")
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server, livekit_server):
    """Open a channel page in a new browser context, as a guest or as a signed-in user."""
    contexts = []

    def open_page(
        path: str, user=None, *, before_load=None, viewport=(1280, 800), timezone_id=None
    ):
        """`before_load(context)` runs before the page loads, to route its requests;
        `timezone_id` ("Asia/Kolkata") is the browser's time zone, the machine's otherwise."""
        width, height = viewport
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            timezone_id=timezone_id,
        )
        context.set_default_timeout(15_000)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
            )
        contexts.append(context)
        if before_load is not None:
            before_load(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def publisher(host_publisher):
    """Stands in for OBS and LiveKit Ingress: publishes a synthetic video track as the host."""
    return lambda host: host_publisher(host, video=True)


def off_the_browser_thread(function, *args, **kwargs):
    """Run `function` on another thread: Playwright keeps an event loop on this one, where
    Django refuses synchronous database calls."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=120)
