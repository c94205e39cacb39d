"""Background tasks (django-tasks), run by `manage.py db_worker` (the Procfiles' `worker`)."""

from __future__ import annotations

from django_tasks import task

from raids import services


@task()
def send_raid(raid_id: int) -> dict:
    """A raid's countdown is over: send it (unless it was cancelled or has gone already).
    Queued with `run_after` the end of the countdown when the raid starts."""
    raid = services.raid_go(raid_id=raid_id)
    return {"sent": raid is not None, "viewers": raid.viewers if raid else None}
