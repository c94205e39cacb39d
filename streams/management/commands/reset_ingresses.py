"""Ops: delete users' LiveKit ingresses and rooms (a leaked stream key, a stuck stream, a
LiveKit migration). Each user is handled on its own; one failure does not stop the rest."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from streams import services
from streams.livekit import LiveKitError
from streams.models import Stream


class Command(BaseCommand):
    help = "Delete the ingresses and rooms of one user or of everyone, and clear their keys."

    def add_arguments(self, parser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", metavar="USERNAME", help="only this user")
        who.add_argument("--all", action="store_true", help="every user with a connection")
        parser.add_argument(
            "--dry-run", action="store_true", help="print who would be reset, change nothing"
        )

    def handle(self, *args, user: str | None, all: bool, dry_run: bool, **options) -> None:
        streams = self.streams(user)
        failures = 0
        for stream in streams:
            name = stream.user.username
            if dry_run:
                self.stdout.write(f"Would reset {name} (ingress {stream.ingress_id or 'none'})")
                continue
            try:
                services.connection_reset(stream=stream)
            except LiveKitError as error:
                failures += 1
                self.stderr.write(f"FAILED {name}: {error}")
            else:
                self.stdout.write(f"Reset {name}")
        if failures:
            raise CommandError(f"{failures} of {len(streams)} user(s) could not be reset.")

    def streams(self, username: str | None) -> list[Stream]:
        streams = Stream.objects.select_related("user").order_by("user__username")
        if username is not None:
            found = list(streams.filter(user__username__lower=username.lower()))
            if not found:
                raise CommandError(f"No user named {username!r}.")
            return found
        return list(streams.filter(Q(ingress_id__isnull=False) | Q(is_live=True)))
