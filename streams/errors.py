"""The one shape of a refusal: an HTTP status, a machine-readable `code` and a human
`detail`, answered by the JSON API as `{"code", "detail"}` (with `Retry-After` when the
refusal says when to try again, and `until`, an ISO timestamp, when it names a moment: a
timeout's end, when a new follower may chat; the browser shows it in the reader's time)."""

from __future__ import annotations

from datetime import datetime

from django.http import JsonResponse


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        retry_after: int | None = None,
        until: datetime | None = None,
    ):
        super().__init__(detail)
        self.status, self.code, self.detail, self.retry_after = status, code, detail, retry_after
        self.until = until

    def response(self) -> JsonResponse:
        body = {"code": self.code, "detail": self.detail}
        if self.until is not None:
            body["until"] = self.until.isoformat()
        response = JsonResponse(body, status=self.status)
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        return response
