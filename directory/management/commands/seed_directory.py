"""Demo data for the directory, run by `make run` right after streams' seed_demo (which
cannot know of the directory): a handful of categories with the box art the site draws, and
the demo creators' streams put in them with a few tags. Safe to run again: a category that
exists keeps its box art, and a stream already listed is left as its creator set it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.utils.text import slugify

from directory import services
from directory.box_art import generated_box_art
from directory.models import Category, Listing

DEMO_CATEGORIES = [
    "Just Chatting",
    "Music",
    "Art",
    "Software and Game Development",
    "Retro Games",
]
# username: (category, tags); seed_demo makes these creators.
DEMO_LISTINGS = {
    "alice": ("Retro Games", ["speedrun", "SNES", "English"]),
    "bob": ("Music", ["lofi", "coding", "chill"]),
    "carol": ("Art", ["painting", "landscapes", "English"]),
}


class Command(BaseCommand):
    help = (
        "Create the demo categories (with generated box art) and list the demo creators' "
        "streams in them (idempotent)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be made, change nothing."
        )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        self.dry_run = options["dry_run"]
        categories = {name: self.ensure_category(name) for name in DEMO_CATEGORIES}
        for username, (category, tags) in DEMO_LISTINGS.items():
            self.ensure_listing(username, categories[category], tags)

    def ensure_category(self, name: str) -> Category | None:
        category = Category.objects.filter(name__iexact=name).first()
        if category is not None or self.dry_run:
            if category is None:
                self.say(f"Would create the category {name}")
            return category
        # Saved through the image pipeline, as an upload would be (accounts.images).
        box_art = ContentFile(generated_box_art(name), name="box-art.png")
        category = Category.objects.create(name=name, slug=slugify(name), box_art=box_art)
        self.say(f"Created the category {name}")
        return category

    def ensure_listing(self, username: str, category: Category | None, tags: list[str]) -> None:
        user = get_user_model().objects.filter(username=username).select_related("stream").first()
        if user is None or Listing.objects.filter(stream=user.stream).exists():
            return
        if self.dry_run:
            self.say(f"Would list {username}'s stream in {category or 'its category'}")
            return
        services.listing_update(stream=user.stream, category=category, tag_names=tags)
        self.say(f"Listed {username}'s stream in {category}")

    def say(self, text: str) -> None:
        if self.verbosity > 1 or (self.verbosity and self.dry_run):
            self.stdout.write(text)
