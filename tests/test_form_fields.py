"""The form field include (templates/includes/form_field.html): a field's help text and its
errors are the elements its `aria-describedby` names, so screen readers read them with it."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

FORM_PAGES = [
    "/u/alice/",
    "/u/alice/keys/",
    "/u/alice/chat/",
    "/u/alice/moderation/",
    "/notifications/settings/",
    "/accounts/password/change/",
]


def described_fields(html: str) -> list[tuple[str, list[str]]]:
    """Each form control that names what describes it, with the ids it names that the page
    does not have."""
    soup = BeautifulSoup(html, "html.parser")
    return [
        (
            control.get("name"),
            [i for i in control["aria-describedby"].split() if not soup.find(id=i)],
        )
        for control in soup.select("form [aria-describedby]")
    ]


@pytest.mark.parametrize("path", FORM_PAGES)
def test_every_field_description_a_form_names_is_on_the_page(alice_client, path):
    fields = described_fields(alice_client.get(path).content.decode())
    assert all(not missing for _, missing in fields), fields


def test_the_help_text_describes_its_field(alice_client):
    soup = BeautifulSoup(alice_client.get("/u/alice/").content, "html.parser")
    title = soup.select_one("input[name='title-title']")
    help_text = soup.find(id=title["aria-describedby"])
    assert help_text.get_text() == "1 to 100 characters, shown on your channel and in the feed."


def test_a_field_error_describes_its_field_too(alice_client):
    response = alice_client.post(
        "/u/alice/moderation/add/", {"action": "add", "username": "nobody"}
    )
    fields = described_fields(response.content.decode())
    assert fields and all(not missing for _, missing in fields), fields
    soup = BeautifulSoup(response.content, "html.parser")
    described_by = soup.select_one("input[name='username']")["aria-describedby"].split()
    error = soup.select_one(".field-error .error").get_text()
    assert [i for i in described_by if error in soup.find(id=i).get_text()]
