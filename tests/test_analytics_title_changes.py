"""Each title a stream had, from when: marked on a broadcast's charts."""

from __future__ import annotations

import pytest

from analytics.models import TitleChange

pytestmark = pytest.mark.django_db


def titles(stream) -> list[str]:
    return list(
        TitleChange.objects.filter(stream=stream)
        .order_by("at", "pk")
        .values_list("title", flat=True)
    )


def test_a_title_saved_from_the_dashboard_is_recorded_once(alice, alice_client):
    for _ in range(2):
        response = alice_client.post("/u/alice/title/", {"title-title": "Any% practice"})
        assert response.status_code == 302
    assert titles(alice.stream)[-1] == "Any% practice"
    assert titles(alice.stream).count("Any% practice") == 1


def test_saving_other_fields_records_no_title_change(alice):
    stream = alice.stream
    before = titles(stream)
    stream.is_chat_enabled = False
    stream.save(update_fields=["is_chat_enabled"])
    stream.save()  # every field, the title unchanged
    assert titles(stream) == before


def test_a_new_title_after_an_old_one_is_recorded_again(alice):
    stream = alice.stream
    for title in ["First", "Second", "First"]:
        stream.title = title
        stream.save()
    assert titles(stream)[-3:] == ["First", "Second", "First"]
