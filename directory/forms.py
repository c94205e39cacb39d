from __future__ import annotations

import re

from django import forms

from directory.models import MAX_TAGS, Category, tag_name_validator

TAG_SEPARATORS = re.compile(r"[\s,]+")


class ListingForm(forms.Form):
    """A stream's category (by name, from a list the browser can search) and tags (typed as
    one line)."""

    category = forms.CharField(
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "category-choices", "autocomplete": "off"}),
        help_text="Start typing to pick one from the list; leave empty for none.",
    )
    tags = forms.CharField(
        required=False,
        max_length=300,
        help_text=f"Up to {MAX_TAGS}, separated by commas or spaces; each 2 to 25 letters, "
        "digits or -.",
    )

    def clean_category(self) -> Category | None:
        name = self.cleaned_data["category"].strip()
        if not name:
            return None
        category = Category.objects.filter(name__iexact=name).first()
        if category is None:
            raise forms.ValidationError(
                "There is no category named “%(name)s”: pick one from the list.",
                code="unknown_category",
                params={"name": name},
            )
        return category

    def clean_tags(self) -> list[str]:
        names: dict[str, str] = {}  # lower case: the first spelling typed
        for name in TAG_SEPARATORS.split(self.cleaned_data["tags"]):
            if not name:
                continue
            try:
                tag_name_validator(name)
            except forms.ValidationError:
                raise forms.ValidationError(
                    "“%(tag)s” is not a tag: tags are 2 to 25 characters, letters, digits "
                    "and - only.",
                    code="invalid_tag",
                    params={"tag": name},
                ) from None
            names.setdefault(name.lower(), name)
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(
                "At most %(max)d tags (%(count)d given).",
                code="too_many_tags",
                params={"max": MAX_TAGS, "count": len(names)},
            )
        return list(names.values())
