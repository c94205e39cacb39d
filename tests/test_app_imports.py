"""Apps import in one direction: never the project package, social never streams, and
streams never videos (past broadcasts hear of streams by signal) nor the directory (which
adds to streams' hooks: streams.selectors.CARD_PREFETCHES, SEARCH_MATCHERS), emotes (which
adds to streams.chat_markup.TEXT_SPLITTERS and streams.views.CHANNEL_PAGE_DATA) nor raids
(which use streams' chat and rooms); and no app imports analytics, which reads them all."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def imported_packages(app: str) -> dict[str, set[str]]:
    """{top-level package imported: the app's files importing it} over the app's modules.
    Read once, as the tests are collected: CPython 3.11 (3.11.7 here) may raise SystemError
    ("AST constructor recursion depth mismatch") when another thread builds an AST at the
    same time, which its traceback module does to print a live server's error."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


APPS = ["accounts", "social", "streams", "videos", "directory", "emotes", "raids", "analytics"]
for _app in APPS:  # now, while collecting, with no other thread about
    imported_packages(_app)


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_the_project_package(app):
    assert imported_packages(app).get("streamsite", set()) == set()


def test_social_imports_nothing_from_streams():
    assert imported_packages("social").get("streams", set()) == set()


def test_streams_imports_nothing_from_videos():
    assert imported_packages("streams").get("videos", set()) == set()


def test_streams_imports_nothing_from_the_directory():
    assert imported_packages("streams").get("directory", set()) == set()


def test_streams_imports_nothing_from_emotes():
    assert imported_packages("streams").get("emotes", set()) == set()


def test_streams_imports_nothing_from_raids():
    assert imported_packages("streams").get("raids", set()) == set()


def test_social_imports_nothing_from_raids():
    assert imported_packages("social").get("raids", set()) == set()


@pytest.mark.parametrize("app", [app for app in APPS if app != "analytics"])
def test_no_app_imports_analytics(app):
    assert imported_packages(app).get("analytics", set()) == set()
