"""Past broadcasts are kept for the days their channel chose (14 unless changed); recordings
take far more room than anything else the site stores. This deletes the ones that have
outlived that, with their files in media storage, once or every N seconds (Procfile's
`prune`)."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from videos import selectors, services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Delete past broadcasts older than their channel's retention, with their recordings."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="repeat every SECONDS until stopped, logging each pass at INFO",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be deleted, delete nothing"
        )

    def handle(self, *args, loop: float | None, dry_run: bool, verbosity: int, **options):
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a positive number of seconds.")
        while True:
            lines = self.prune_once(dry_run=dry_run)
            for line in lines if verbosity else []:
                # A pass of a loop is a log line (with its time); a single run, output.
                if loop is not None:
                    logger.info(line)
                else:
                    self.stdout.write(line)
            if loop is None:
                return
            self.pause(loop)

    def prune_once(self, *, dry_run: bool) -> list[str]:
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

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")
