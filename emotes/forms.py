from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from emotes import services
from emotes.models import IMAGE_MAX_BYTES, code_validator
from emotes.validators import EmoteImageValidator


class EmoteForm(forms.Form):
    code = forms.CharField(
        max_length=25,
        validators=[code_validator],
        help_text="3 to 25 letters and digits, typed in chat as a word of its own. "
        "Upper and lower case count: Hype and hype are two codes.",
    )
    image = forms.ImageField(
        validators=[EmoteImageValidator(IMAGE_MAX_BYTES)],
        help_text="A still PNG, WebP or GIF (not animated), at most 1 MB; square works best. "
        "Shown at 28, 56 and 112 pixels.",
    )

    def __init__(self, *args, channel, **kwargs) -> None:
        self.channel = channel
        super().__init__(*args, **kwargs)

    def save(self):
        """The new emote, or None with the service's refusal added to the form's errors."""
        try:
            return services.emote_create(channel=self.channel, **self.cleaned_data)
        except ValidationError as error:
            field = "code" if error.code == "duplicate_code" else None
            self.add_error(field, error)
            return None
