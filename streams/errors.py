"""The one shape of a refusal: an HTTP status, a machine-readable `code` and a human
`detail`, answered by the JSON API as `{"code", "detail"}` (with `Retry-After` when the
refusal says when to try again, and any fields the page needs to say more)."""

from __future__ import annotations

from django.http import JsonResponse


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        retry_after: int | None = None,
        extra: dict | None = None,
    ):
        super().__init__(detail)
        self.status, self.code, self.detail, self.retry_after = status, code, detail, retry_after
        # More for the page beside the words, e.g. `until` as ISO 8601 to show in local time.
        self.extra = extra or {}

    def response(self) -> JsonResponse:
        body = {**self.extra, "code": self.code, "detail": self.detail}
        response = JsonResponse(body, status=self.status)
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        return response
