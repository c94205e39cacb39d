"""Webhooks are best effort: if `ingress_ended` is lost, a stream would stay live forever.
This sets `is_live` from the ingress states LiveKit reports, once or every N seconds."""

from __future__ import annotations

from streams import live_status
from streams.livekit import LiveKitError
from streams.management.passes import PassCommand


class Command(PassCommand):
    help = "Set each stream's is_live from the ingress states LiveKit reports."
    passing_errors = (LiveKitError,)

    def run_pass(self, *, dry_run: bool) -> list[str]:
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
