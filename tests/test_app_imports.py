"""Apps import in one direction: never the project package, social never streams, and
streams never videos (past broadcasts hear of streams by signal) nor the directory (which
adds to streams' hooks: streams.selectors.CARD_PREFETCHES, SEARCH_MATCHERS), emotes (which
adds to streams.chat_markup.TEXT_SPLITTERS and streams.views.CHANNEL_PAGE_DATA) nor raids
(which use streams' chat and rooms); and no app imports analytics, which reads them all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(app: str) -> dict[str, set[str]]:
    """{top-level package imported: the app's files importing it} over the app's modules."""
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


@pytest.mark.parametrize(
    "app", ["accounts", "social", "streams", "videos", "directory", "emotes", "raids", "analytics"]
)
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


@pytest.mark.parametrize(
    "app", ["accounts", "social", "streams", "videos", "directory", "emotes", "raids"]
)
def test_no_app_imports_analytics(app):
    assert imported_packages(app).get("analytics", set()) == set()
