"""Background tasks (django-tasks), run by `manage.py db_worker`, never in a request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from social import emails, services


@task()
def deliver_live_notifications(channel_id: str, broadcast: str, title: str) -> dict:
    """A channel went live: notify its followers in the site, then email those who asked.
    Safe to run again for the same broadcast: nothing is made or sent twice."""
    channel = get_user_model().objects.filter(pk=channel_id, is_active=True).first()
    if channel is None:
        return {"notified": 0, "emailed": 0}
    notified = services.notify_followers_live(channel=channel, broadcast=broadcast, title=title)
    return {
        "notified": notified,
        "emailed": emails.send_live_emails(channel=channel, broadcast=broadcast),
    }
