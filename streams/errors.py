"""The one shape of a refusal: an HTTP status, a machine-readable `code` and a human
`detail`, answered by the JSON API as `{"code", "detail"}` (with `Retry-After` when the
refusal says when to try again)."""

from __future__ import annotations

from django.http import JsonResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.retry_after = status, code, detail, retry_after

    def response(self) -> JsonResponse:
        response = JsonResponse({"code": self.code, "detail": self.detail}, status=self.status)
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        return response
