"""The global emotes, drawn by the site (emotes/drawing.py), run by `make run` after the
other seeds and by a deployment once. Safe to run again: an existing global emote is kept."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand

from emotes.drawing import GLOBAL_EMOTES, drawn_emote
from emotes.models import Emote
from streams import page_cache


class Command(BaseCommand):
    help = "Create the global emotes the site draws itself (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be made, change nothing."
        )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        made = [code for code in GLOBAL_EMOTES if self.ensure(code, options["dry_run"])]
        if made and not options["dry_run"]:
            page_cache.streams_changed()

    def ensure(self, code: str, dry_run: bool) -> bool:
        if Emote.objects.filter(channel__isnull=True, code=code).exists():
            return False
        if dry_run:
            self.say(f"Would create the global emote {code}")
            return True
        # Saved through the image pipeline, as an upload would be (accounts.images).
        image = ContentFile(drawn_emote(code), name=f"{code}.png")
        Emote.objects.create(code=code, image=image, image_56=image, image_28=image)
        self.say(f"Created the global emote {code}")
        return True

    def say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(text)
