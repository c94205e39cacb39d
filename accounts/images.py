"""Uploaded images as viewers download them: never the raw upload, always re-encoded at the
size the site shows them, with the file it replaces deleted once the new one is saved."""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from django.db import models, transaction
from PIL import Image, ImageOps

WEBP_QUALITY = 82


def image_path(folder: str, owner_id) -> str:
    """A fresh name per upload, so browsers and caches never show a replaced image."""
    return f"{folder}/{owner_id}/{uuid.uuid4().hex}.webp"


def display_image(file, size: tuple[int, int], *, crop: bool) -> bytes:
    """`file` turned upright, shrunk to fit `size` (or cut to exactly `size` when `crop`),
    re-encoded as WebP without its metadata (camera, location)."""
    file.seek(0)
    with Image.open(file) as opened:
        image = ImageOps.exif_transpose(opened)
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    if crop:
        image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    else:
        image.thumbnail(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


class DisplayImageField(models.ImageField):
    """An ImageField that stores what viewers see (see `display_image`) and deletes the file
    it replaces or clears, after the transaction commits, whoever saves the model (a form,
    the admin, a service)."""

    def __init__(self, *args, size: tuple[int, int], crop: bool = False, **kwargs) -> None:
        self.size, self.crop = (int(size[0]), int(size[1])), crop
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["size"], kwargs["crop"] = self.size, self.crop
        return name, path, args, kwargs

    def pre_save(self, model_instance, add: bool):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            content = ContentFile(display_image(file, self.size, crop=self.crop))
            file.save("image.webp", content, save=False)
        if not add:
            self._delete_replaced(model_instance, file.name if file else "")
        return super().pre_save(model_instance, add)

    def _delete_replaced(self, model_instance, current: str) -> None:
        manager = type(model_instance)._default_manager
        previous = manager.filter(pk=model_instance.pk).values_list(self.attname, flat=True).first()
        if previous and previous != current:
            storage = self.storage
            transaction.on_commit(lambda: storage.delete(previous))


def reencode_stored_images(model, field_name: str) -> None:
    """Data migrations: re-encode the images stored before uploads were shrunk, so no file
    is served as it was uploaded. A file missing from storage is left as it is."""
    field = model._meta.get_field(field_name)
    for instance in model._default_manager.exclude(**{field_name: ""}).iterator():
        stored = getattr(instance, field_name)
        try:
            with stored.open("rb"):
                content = ContentFile(display_image(stored, field.size, crop=field.crop))
        except (OSError, Image.DecompressionBombError):
            continue
        old_name = stored.name
        stored.save("image.webp", content, save=False)
        model._default_manager.filter(pk=instance.pk).update(**{field_name: stored.name})
        field.storage.delete(old_name)
