"""The tooling that installs and runs LiveKit for `make run` and the tests."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devservers.servers import (
    ROOT,
    LiveKitConfig,
    SetupError,
    ingress_installed,
    livekit_installed,
)


def test_install_reports_success_when_everything_is_installed():
    if not (livekit_installed() and ingress_installed()):
        if os.environ.get("CI"):
            pytest.fail("make test installs livekit-server and Ingress in CI")
        pytest.skip("livekit-server or Ingress not installed here")
    result = subprocess.run(
        [sys.executable, "-m", "devservers", "install", "--optional"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_configs_refuse_a_short_secret():
    with pytest.raises(SetupError, match="32 characters"):
        LiveKitConfig(api_key="k", api_secret="short", webhook_url="http://x").render()


def test_the_livekit_config_is_loopback_only_and_signs_webhooks_with_our_key():
    text = LiveKitConfig(
        api_key="key1", api_secret="s" * 40, webhook_url="http://127.0.0.1:8000/api/webhook/livekit"
    ).render()
    assert "bind_addresses:\n  - 127.0.0.1" in text
    assert "node_ip: 127.0.0.1" in text
    assert "  api_key: key1\n  urls:\n    - http://127.0.0.1:8000/api/webhook/livekit" in text
    assert "$" not in text
