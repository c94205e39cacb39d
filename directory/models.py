"""Where streams sit in the directory: a category (box art, managed in the admin) and tags
(made by creators as they type them). A stream's Listing holds both."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.images import DisplayImageField, image_path
from accounts.validators import ImageUploadValidator
from streams.models import Stream

BOX_ART_MAX_BYTES = 4 * 1024 * 1024
# Portrait, 3:4, as the directory shows it (twice the size of the largest card, for sharp
# images on high-density screens).
BOX_ART_SIZE = (285, 380)
MAX_TAGS = 10

tag_name_validator = RegexValidator(
    r"^[A-Za-z0-9-]{2,25}\Z",
    "Tags are 2 to 25 characters: letters, digits and - only.",
    code="invalid_tag",
)


def box_art_upload_to(category: Category, filename: str) -> str:
    return image_path("box-art", category.slug or "category")


class Category(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)
    box_art = DisplayImageField(
        upload_to=box_art_upload_to,
        size=BOX_ART_SIZE,
        crop=True,
        blank=True,
        validators=[ImageUploadValidator(BOX_ART_MAX_BYTES)],
        help_text="JPEG, PNG or WebP, at most 4 MB; cut to 285 x 380 (portrait, 3:4).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="directory_category_name_ci_unique",
                violation_error_message="A category with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TagQuerySet(models.QuerySet):
    def named(self, name: str) -> TagQuerySet:
        return self.filter(name__iexact=name)


class Tag(models.Model):
    """A tag is one whatever the case; the first spelling used is the one shown."""

    name = models.CharField(max_length=25, validators=[tag_name_validator])

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="directory_tag_name_ci_unique",
                violation_error_message="A tag with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Listing(models.Model):
    """A stream's place in the directory: none until its creator picks a category or tags."""

    stream = models.OneToOneField(
        Stream, on_delete=models.CASCADE, primary_key=True, related_name="listing"
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="listings"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="listings")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Listing of stream {self.stream_id}"
