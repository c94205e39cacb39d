"""frontend/build.mjs: static/js/ is what it writes from frontend/, channel.js only with the
livekit-client fixes of frontend/patches/, and each bundle's packages' licences served beside
it (channel.js: livekit-client's; video.js: hls.js's; analytics.js and its stylesheet:
uPlot's). channel.js is one file, with the modules it loads when first used beside it in
static/js/channel/, found where it asks for them in development and once collected.

The build tests run the real build (node, esbuild, patch-package) in a copy of the project
whose node_modules links to this checkout's, with livekit-client copied so that its patch can
be taken off there."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
STATIC_JS = ROOT / "static" / "js"
BUILT = sorted(str(path.relative_to(STATIC_JS)) for path in STATIC_JS.rglob("*") if path.is_file())
# What a module script asks for: import ... from "./x.js" (static), import("./x.js") (lazy).
STATIC_IMPORT = re.compile(
    r'(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{},\s]+from\s*)?"(\.{1,2}/[^"]+)"'
)
LAZY_IMPORT = re.compile(r'\bimport\("(\.{1,2}/[^"]+)"\)')


def served(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content).decode()


def test_the_bundle_names_its_licences_file_which_is_served_beside_it(client):
    first_line = served(client, "/static/js/channel.js").split("\n", 1)[0]
    assert "channel.js.LICENSE.txt" in first_line

    licences = served(client, "/static/js/channel.js.LICENSE.txt")
    assert "livekit-client 2.23.0, licence Apache-2.0" in licences
    assert "Apache License\n                           Version 2.0" in licences
    assert "webrtc-adapter 9.0.6, licence BSD-3-Clause" in licences  # a dependency it inlines
    assert "hls.js" not in licences  # the video page's bundle has it, this one does not


def test_the_video_pages_bundle_names_its_own_licences_file_with_hls_js_in_it(client):
    first_line = served(client, "/static/js/video.js").split("\n", 1)[0]
    assert "video.js.LICENSE.txt" in first_line

    licences = served(client, "/static/js/video.js.LICENSE.txt")
    assert "hls.js 1.7.4, licence Apache-2.0" in licences
    assert "livekit-client" not in licences


def test_the_analytics_bundle_and_its_stylesheet_name_their_licences_with_uplot_in_them(client):
    for name in ("analytics.js", "analytics.css"):
        first_line = served(client, f"/static/js/{name}").split("\n", 1)[0]
        assert "analytics.js.LICENSE.txt" in first_line, name

    licences = served(client, "/static/js/analytics.js.LICENSE.txt")
    assert "uplot 1.6.32, licence MIT" in licences
    assert "Copyright (c) 2022 Leon Sorokin" in licences
    assert "livekit-client" not in licences and "hls.js" not in licences


def test_the_channel_bundle_is_one_file_and_loads_the_rest_from_beside_it_when_used(client):
    source = served(client, "/static/js/channel.js")
    assert STATIC_IMPORT.findall(source) == []  # all the first frame needs, in one request
    lazy = LAZY_IMPORT.findall(source)
    assert len(lazy) >= 5  # the chatter card, the emote picker, raids, ...
    for path in lazy:
        assert path.startswith("./channel/"), path
        module = served(client, f"/static/js/{path[2:]}")  # as DEBUG serves static files
        for imported in STATIC_IMPORT.findall(module):
            served(client, f"/static/js/channel/{imported[2:]}")


def test_collectstatic_keeps_the_lazy_modules_where_the_collected_bundle_asks(settings, tmp_path):
    """Production: the bundle's hashed name (ManifestStaticFilesStorage) imports the modules
    by the names the build gave them, which are collected and carry their content's hash."""
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["css", "js", "svg", "txt"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", "--ignore", "admin", verbosity=0)
    hashed = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]["js/channel.js"]
    assert hashed != "js/channel.js"
    lazy = LAZY_IMPORT.findall((tmp_path / hashed).read_text())
    assert lazy
    for path in lazy:
        module = (tmp_path / "js" / path[2:]).read_text()
        for imported in STATIC_IMPORT.findall(module):
            assert (tmp_path / "js" / "channel" / imported[2:]).is_file(), imported


def test_collectstatic_keeps_the_licences_under_the_name_the_bundle_gives(settings, tmp_path):
    """As a deployment collects them (compressing nothing, to save the test's time)."""
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["css", "js", "svg", "txt"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", "--ignore", "admin", verbosity=0)
    assert (tmp_path / "js" / "channel.js.LICENSE.txt").read_bytes() == (
        ROOT / "static" / "js" / "channel.js.LICENSE.txt"
    ).read_bytes()


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The build's inputs in tmp_path, livekit-client as installed (patched) in its own copy."""
    modules = ROOT / "node_modules"
    if shutil.which("node") is None or not (modules / "livekit-client").is_dir():
        message = "node or node_modules missing: run scripts/build-assets.sh"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (in CI it must be: `make test` runs it)")
        pytest.skip(message)
    shutil.copytree(ROOT / "frontend", tmp_path / "frontend")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "node_modules").mkdir()
    for entry in modules.iterdir():
        if entry.name != "livekit-client":
            (tmp_path / "node_modules" / entry.name).symlink_to(entry)
    shutil.copytree(modules / "livekit-client", tmp_path / "node_modules" / "livekit-client")
    return tmp_path


def build(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", "frontend/build.mjs"], cwd=project, capture_output=True, text=True, timeout=300
    )


def test_the_build_writes_the_committed_static_js_from_frontend(project_copy):
    written = project_copy / "static" / "js"
    (written / "channel").mkdir()
    (written / "channel" / "card-OLDBUILD.js").write_text("// from an earlier build\n")
    result = build(project_copy)
    assert result.returncode == 0, result.stderr

    found = sorted(str(p.relative_to(written)) for p in written.rglob("*") if p.is_file())
    assert found == BUILT  # and nothing left of an earlier build
    for name in BUILT:
        assert (written / name).read_bytes() == (STATIC_JS / name).read_bytes(), name


def test_the_build_fails_and_writes_no_bundle_when_livekit_client_lacks_its_fixes(project_copy):
    subprocess.run(
        ["node_modules/.bin/patch-package", "--reverse", "--patch-dir", "frontend/patches"],
        cwd=project_copy,
        capture_output=True,
        check=True,
        timeout=120,
    )
    result = build(project_copy)
    assert result.returncode != 0
    assert "livekit-client+2.23.0.patch is not applied (run npm ci)" in result.stderr
    assert not (project_copy / "static" / "js" / "channel.js").exists()
