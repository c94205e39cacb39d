"""Webhooks are best effort: if `ingress_ended` is lost, a stream would stay live forever.
This sets `is_live` from the ingress states LiveKit reports, once or every N seconds."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError

from streams import live_status
from streams.livekit import LiveKitError

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Set each stream's is_live from the ingress states LiveKit reports."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="repeat every SECONDS until stopped, logging each pass at INFO",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change, change nothing"
        )

    def handle(self, *args, loop: float | None, dry_run: bool, verbosity: int, **options):
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a positive number of seconds.")
        while True:
            try:
                lines = self.sync_once(dry_run=dry_run)
            except LiveKitError as error:
                if loop is None:
                    raise CommandError(str(error)) from error
                logger.warning("%s Trying again in %g s.", error, loop)
            else:
                for line in lines if verbosity else []:
                    # A pass of a loop is a log line (with its time); a single run, output.
                    if loop is not None:
                        logger.info(line)
                    else:
                        self.stdout.write(line)
            if loop is None:
                return
            self.pause(loop)

    def sync_once(self, *, dry_run: bool) -> list[str]:
        """Reconcile once; the lines that say what changed, then one for what was checked."""
        result = live_status.reconcile(dry_run=dry_run)
        prefix = "Would set" if dry_run else "Set"
        lines = [
            f"{prefix} {change.username} {'live' if change.now_live else 'offline'}"
            for change in result.changes
        ]
        if not result.changes:
            outcome = "nothing to change"
        else:
            outcome = f"{len(result.changes)} {'would change' if dry_run else 'changed'}"
        lines.append(
            f"Checked {result.checked} stream(s) marked live or publishing "
            f"({result.publishing} connection(s) publishing in LiveKit): {outcome}."
        )
        return lines

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)
