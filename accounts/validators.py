"""Rules for usernames and uploaded images, shared by forms, the admin and the model."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from PIL import Image, UnidentifiedImageError

# Names that would collide with the site's own top-level routes (/<username>/ is a channel).
RESERVED_USERNAMES = frozenset(
    {
        "u",
        "api",
        "admin",
        "accounts",
        "search",
        "static",
        "media",
        "healthz",
        "robots.txt",
        "favicon.ico",
        "login",
        "logout",
        "signup",
        "dashboard",
        "notifications",
        "settings",
        "about",
        "help",
        "videos",
        "clips",
        "directory",
        "embed",
        "tags",
    }
)

username_format_validator = RegexValidator(
    r"^[A-Za-z0-9_-]{3,30}\Z",
    "Usernames are 3 to 30 characters: letters, digits, _ and - only.",
    code="invalid_username",
)


def validate_username_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_USERNAMES:
        raise ValidationError(
            "“%(value)s” is reserved by the site. Please choose another username.",
            code="reserved_username",
            params={"value": value},
        )


IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Decoding costs 4 bytes a pixel: 40 megapixels is 160 MB of memory for one upload, and
# more than any camera's photo that fits the byte limits.
MAX_IMAGE_PIXELS = 40_000_000


@deconstructible
class ImageUploadValidator:
    """Accept only real JPEG, PNG or WebP images up to `max_bytes` and MAX_IMAGE_PIXELS,
    checked with Pillow without decoding the pixels."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __call__(self, upload) -> None:
        if upload.size > self.max_bytes:
            raise ValidationError(
                "The image is %(size)s MB; the limit is %(limit)s MB.",
                code="file_too_large",
                params={
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": f"{self.max_bytes / 1024 / 1024:g}",
                },
            )
        upload.seek(0)
        try:
            with Image.open(upload) as image:
                image_format, (width, height) = image.format, image.size
                image.verify()
        except Image.DecompressionBombError:
            raise self._too_many_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise ValidationError(
                "Upload a JPEG, PNG or WebP image. The file is not a readable image.",
                code="invalid_image",
            ) from None
        finally:
            upload.seek(0)
        if width * height > MAX_IMAGE_PIXELS:
            raise self._too_many_pixels(width, height)
        if image_format not in IMAGE_FORMATS:
            raise ValidationError(
                "Upload a JPEG, PNG or WebP image (this one is %(format)s).",
                code="invalid_image_format",
                params={"format": image_format or "unknown"},
            )

    @staticmethod
    def _too_many_pixels(width: int = 0, height: int = 0) -> ValidationError:
        size = f"{width} x {height} pixels" if width else "too many pixels"
        return ValidationError(
            "The image is %(size)s; the limit is %(limit)s megapixels (e.g. 8000 x 5000).",
            code="image_too_large",
            params={"size": size, "limit": MAX_IMAGE_PIXELS // 1_000_000},
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImageUploadValidator) and other.max_bytes == self.max_bytes
