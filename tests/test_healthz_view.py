from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_livekit_answer(livekit_server, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "livekit": "ok"}


def test_503_when_livekit_is_stopped(livekit_down, client, settings):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "livekit": "unreachable"}
    body = response.content.decode()
    assert settings.LIVEKIT_API_SECRET not in body
    assert settings.LIVEKIT_URL not in body
