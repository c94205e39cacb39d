"""Webhooks are best effort: if `ingress_ended` is lost, a stream would stay live forever.
This sets `is_live` from the ingress states LiveKit reports, once or every N seconds."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from streams import live_status
from streams.livekit import LiveKitError


class Command(BaseCommand):
    help = "Set each stream's is_live from the ingress states LiveKit reports."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop", type=float, metavar="SECONDS", help="repeat every SECONDS until stopped"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change, change nothing"
        )

    def handle(self, *args, loop: float | None, dry_run: bool, verbosity: int, **options):
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a positive number of seconds.")
        while True:
            try:
                self.sync_once(dry_run=dry_run, verbosity=verbosity)
            except LiveKitError as error:
                if loop is None:
                    raise CommandError(str(error)) from error
                self.stderr.write(f"{error} Trying again in {loop:g} s.")
            if loop is None:
                return
            time.sleep(loop)

    def sync_once(self, *, dry_run: bool, verbosity: int) -> list:
        changes = live_status.reconcile(dry_run=dry_run)
        prefix = "Would set" if dry_run else "Set"
        for change in changes:
            state = "live" if change.now_live else "offline"
            self.stdout.write(f"{prefix} {change.username} {state}")
        if verbosity > 1 or (verbosity and not changes and not dry_run):
            self.stdout.write(f"{len(changes)} stream(s) changed.")
        return changes
