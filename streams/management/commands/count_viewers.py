"""Cards show how many people watch each live stream, and the home feed and the directory
sort by it, but pages never ask LiveKit: this asks, for every live stream at once, at most
every 15 s (streams.viewer_counts), and stores the counts and a sample of each."""

from __future__ import annotations

from streams import viewer_counts
from streams.livekit import LiveKitError
from streams.management.passes import PassCommand


class Command(PassCommand):
    help = (
        "Count the people watching each live stream in LiveKit (each stream at most every "
        f"{viewer_counts.INTERVAL.seconds} s) and store the counts, with a sample of each."
    )
    dry_run_help = "count and print the counts, store nothing"
    passing_errors = (LiveKitError,)
    verbosity = 1

    def handle(self, *args, verbosity: int, **options):
        self.verbosity = verbosity
        return super().handle(*args, verbosity=verbosity, **options)

    def run_pass(self, *, dry_run: bool) -> list[str]:
        """Count once: a line per stream whose count changes (every stream counted, with
        --dry-run or --verbosity 2), then one for the whole pass."""
        result = viewer_counts.count_viewers(dry_run=dry_run)
        if not result.counts:
            return [
                "No live stream to count (none, or all counted in the last "
                f"{viewer_counts.INTERVAL.seconds} s)."
            ]
        shown = result.counts if dry_run or self.verbosity > 1 else result.changed
        lines = [f"{count.username}: {count.viewers} (was {count.before})" for count in shown]
        outcome = (
            "nothing stored (dry run)"
            if dry_run
            else f"{len(result.changed)} changed, {result.stored} stored with a sample"
        )
        lines.append(
            f"Counted {result.viewers} viewer(s) in {len(result.counts)} live stream(s), "
            f"{result.rooms_listed} room(s) listed, {result.livekit_requests} LiveKit "
            f"request(s): {outcome}."
        )
        return lines
