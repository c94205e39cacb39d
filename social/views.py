"""Notifications: the list behind the bell, marking read, the email setting, and the
one-click unsubscribe link of go-live emails."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import NotificationSettingsForm
from social import emails, selectors, services

NOTIFICATIONS_PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), NOTIFICATIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "social/notifications.html", {"page": page})


def _back_to_list(request: HttpRequest) -> HttpResponse:
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() and page != "1" else ""
    return redirect(reverse("notifications") + query)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    if not services.notification_mark_read(user=request.user, notification_id=notification_id):
        raise Http404("No such notification.")
    return _back_to_list(request)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)
    return _back_to_list(request)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    # An unticked box sends nothing: an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = NotificationSettingsForm(data, instance=request.user)
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["go_live_emails"]
        services.go_live_emails_set(user=request.user, enabled=enabled)
        messages.success(request, "Go-live emails on." if enabled else "Go-live emails off.")
        return redirect("notification_settings")
    return render(request, "social/notification_settings.html", {"form": form})


# RFC 8058: a mail program unsubscribes with a POST to the signed link, without cookies or a
# CSRF token. The token names the user, so this view needs neither a login nor a session.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = emails.user_for_unsubscribe_token(token)
    if user is None:
        return render(request, "social/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.go_live_emails_set(user=user, enabled=False)
        return render(request, "social/unsubscribe.html", {"done": True, "who": user})
    return render(request, "social/unsubscribe.html", {"who": user})
