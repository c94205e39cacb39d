"""Past broadcasts are kept for the days their channel chose (14 unless changed); recordings
take far more room than anything else the site stores. This deletes the ones that have
outlived that, with their files in media storage, once or every N seconds (Procfile's
`prune`)."""

from __future__ import annotations

import logging

from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from streams.management.passes import PassCommand
from videos import selectors, services

logger = logging.getLogger(__name__)


class Command(PassCommand):
    help = "Delete past broadcasts older than their channel's retention, with their recordings."
    dry_run_help = "print what would be deleted, delete nothing"

    def run_pass(self, *, dry_run: bool) -> list[str]:
        """Delete (or, dry, name) every expired broadcast; the lines that say which, then
        one for the whole pass. A broadcast whose files cannot be deleted stays, logged,
        for the next pass, and the others go on."""
        lines, deleted, freed, failed = [], 0, 0, 0
        for broadcast in selectors.expired_broadcasts(timezone.now()):
            what = (
                f"broadcast {broadcast.pk} of {broadcast.stream.user.username} "
                f"({broadcast.title!r}, ended {broadcast.ended_at:%Y-%m-%d %H:%M}, "
                f"{_size(broadcast.bytes_stored)})"
            )
            if dry_run:
                lines.append(f"Would delete {what}")
                deleted, freed = deleted + 1, freed + broadcast.bytes_stored
                continue
            try:
                freed += services.broadcast_delete(broadcast=broadcast)
            except OSError as error:
                logger.warning("Could not delete %s: %s", what, error)
                failed += 1
                continue
            deleted += 1
            lines.append(f"Deleted {what}")
        verb = "would be deleted" if dry_run else "deleted"
        summary = f"{deleted} expired broadcast(s) {verb}, {_size(freed)} of recordings"
        lines.append(summary + (f"; {failed} could not be deleted." if failed else "."))
        return lines


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")
