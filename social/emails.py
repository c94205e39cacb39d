"""Go-live emails: who is owed one, the message (with RFC 8058 one-click unsubscribe), and
the signed unsubscribe tokens that work without logging in."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from social.models import Notification

logger = logging.getLogger(__name__)

# Messages per SMTP round and per transaction: a batch is sent, then marked sent, while its
# rows are locked, so two workers never email the same person for the same broadcast.
EMAIL_BATCH = 100
UNSUBSCRIBE_SALT = "social.go-live-emails.unsubscribe"


def unsubscribe_token(user) -> str:
    """A signed token naming `user`, for the link that turns their go-live emails off."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user.pk))


def user_for_unsubscribe_token(token: str):
    """The user a token names, or None when it is not one we signed (or the user is gone)."""
    try:
        user_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
        return get_user_model().objects.filter(pk=user_id).first()
    except (signing.BadSignature, ValidationError):
        return None


def send_live_emails(*, channel, broadcast: str) -> int:
    """Email the followers owed an email for `channel`'s `broadcast`; returns how many went.

    A batch that the mail server refuses stays owed (its transaction rolls back) and the
    error fails the task, to be seen in the task results (admin).
    """
    if not settings.SITE_URL:
        logger.error("DJANGO_SITE_URL is not set: go-live emails for %s not sent", channel)
        return 0
    owed = Notification.objects.filter(
        channel=channel, kind=Notification.Kind.LIVE, broadcast=broadcast, email_pending=True
    )
    sent = 0
    with get_connection() as connection:
        while True:
            with transaction.atomic():
                batch = list(
                    owed.select_related("recipient").select_for_update(
                        skip_locked=True, of=("self",)
                    )[:EMAIL_BATCH]
                )
                if not batch:
                    return sent
                # Someone may have turned emails off since the notification was made.
                messages = [
                    live_email(n, channel)
                    for n in batch
                    if n.recipient.go_live_emails and n.recipient.email
                ]
                connection.send_messages(messages)
                Notification.objects.filter(pk__in=[n.pk for n in batch]).update(
                    email_pending=False
                )
                sent += len(messages)


def live_email(notification: Notification, channel) -> EmailMultiAlternatives:
    recipient = notification.recipient
    unsubscribe_url = _absolute(reverse("unsubscribe", args=[unsubscribe_token(recipient)]))
    context = {
        "recipient": recipient,
        "channel": channel,
        "title": notification.title,
        "channel_url": _absolute(reverse("channel", args=[channel.username])),
        "unsubscribe_url": unsubscribe_url,
        "settings_url": _absolute(reverse("notification_settings")),
    }
    subject = render_to_string("social/email/live_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line, whatever the title holds
        body=render_to_string("social/email/live.txt", context),
        to=[recipient.email],
        headers={
            # RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("social/email/live.html", context), "text/html")
    return message


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
