"""What an emote's image may be: a small still PNG, WebP or GIF."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from PIL import Image, UnidentifiedImageError

from accounts.validators import MAX_IMAGE_PIXELS

FORMATS = {"PNG", "WEBP", "GIF"}


@deconstructible
class EmoteImageValidator:
    """Accept a real PNG, WebP or GIF of at most `max_bytes`. Animated images are refused:
    chat shows every emote as one still frame (the image pipeline keeps one frame)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __call__(self, upload) -> None:
        if upload.size > self.max_bytes:
            raise ValidationError(
                "The image is %(size)s KB; the limit is %(limit)s KB.",
                code="file_too_large",
                params={"size": upload.size // 1024, "limit": self.max_bytes // 1024},
            )
        upload.seek(0)
        try:
            with Image.open(upload) as image:
                image_format, (width, height) = image.format, image.size
                animated = getattr(image, "is_animated", False)
                image.verify()
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
            raise ValidationError(
                "Upload a PNG, WebP or GIF image. The file is not a readable image.",
                code="invalid_image",
            ) from None
        finally:
            upload.seek(0)
        if image_format not in FORMATS:
            raise ValidationError(
                "Upload a PNG, WebP or GIF image (this one is %(format)s).",
                code="invalid_image_format",
                params={"format": image_format or "unknown"},
            )
        if width * height > MAX_IMAGE_PIXELS:
            raise ValidationError("The image has too many pixels.", code="image_too_large")
        if animated:
            raise ValidationError(
                "Animated images are not supported: upload a still image.",
                code="animated_image",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EmoteImageValidator) and other.max_bytes == self.max_bytes
