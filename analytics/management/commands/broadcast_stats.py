"""Ended broadcasts store their figures when they end (analytics.signals); one that ended
while that failed, or that ended before analytics existed, has none, and the Analytics page
says its figures are being computed. This stores them, for the broadcasts that have none
(or, with --all, again for every ended broadcast: after a fix to how they are computed)."""

from __future__ import annotations

from django.core.management.base import CommandParser

from analytics import services
from streams.management.passes import PassCommand
from videos.models import Broadcast


class Command(PassCommand):
    everything = False
    help = "Store the figures of ended broadcasts that have none (or, with --all, of every one)."
    dry_run_help = "print which broadcasts would get figures, store nothing"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--all",
            dest="everything",
            action="store_true",
            help="compute every ended broadcast's figures again",
        )

    def handle(self, *args, everything: bool = False, **options):
        self.everything = everything
        super().handle(*args, **options)

    def run_pass(self, *, dry_run: bool) -> list[str]:
        broadcasts = missing_figures(everything=self.everything)
        lines = []
        for broadcast in broadcasts.iterator(chunk_size=200):
            if not dry_run:
                services.broadcast_stats_store(broadcast=broadcast)
            lines.append(f"{'Would store' if dry_run else 'Stored'} the figures of {broadcast}")
        verb = "would get" if dry_run else "got"
        lines.append(f"{len(lines)} broadcast(s) {verb} their figures.")
        return lines


def missing_figures(*, everything: bool = False):
    """Ended broadcasts without stored figures (every ended one with `everything`), oldest
    first."""
    ended = Broadcast.objects.filter(ended_at__isnull=False).order_by("ended_at", "pk")
    return ended if everything else ended.filter(stats__isnull=True)
