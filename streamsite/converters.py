"""Path converters: a URL whose parts cannot name anything answers 404 before a view runs."""

from __future__ import annotations


class UsernameConverter:
    """The characters a username may have (accounts.validators): anything else, such as a
    NUL that PostgreSQL cannot even compare, is an unknown page."""

    regex = "[A-Za-z0-9_-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
