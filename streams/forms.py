from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from streams.models import Stream


class StreamTitleForm(forms.ModelForm):
    class Meta:
        model = Stream
        fields = ["title"]
        widgets = {"title": forms.TextInput(attrs={"maxlength": 100})}
        help_texts = {"title": "1 to 100 characters, shown on your channel and in the feed."}


class ThumbnailForm(forms.ModelForm):
    class Meta:
        model = Stream
        fields = ["thumbnail"]
        widgets = {
            "thumbnail": forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        }
        help_texts = {"thumbnail": "JPEG, PNG or WebP, at most 4 MB; shown at up to 1280 x 720."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["thumbnail"].required = True


class ChatSettingsForm(forms.ModelForm):
    # A select whose "Off" is no restriction (None), rather than the model's blank choice.
    followers_only_minutes = forms.TypedChoiceField(
        label="Followers only",
        choices=[("", "Off"), *Stream._meta.get_field("followers_only_minutes").choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Only your followers can chat, if they have followed you for long enough. "
        "A newer follower is told when they can.",
    )

    class Meta:
        model = Stream
        fields = [
            "is_chat_enabled",
            "slow_mode_seconds",
            "followers_only_minutes",
            "is_chat_signed_in_only",
        ]
        labels = {
            "is_chat_enabled": "Enable chat",
            "slow_mode_seconds": "Slow mode",
            "is_chat_signed_in_only": "Only signed-in viewers can chat",
        }
        help_texts = {
            "is_chat_enabled": "Viewers can chat while you are live.",
            "slow_mode_seconds": "How long each viewer waits between two messages.",
            "is_chat_signed_in_only": "Guests can watch and read, but not chat.",
        }


class ModeratorForm(forms.Form):
    """The host appoints a moderator by username."""

    username = forms.CharField(
        label="Username",
        max_length=30,
        help_text="They can delete messages, time out and ban chatters in your chat only.",
    )

    def clean_username(self):
        """The user, found by name in any case (moderation.moderator_add says who may be one)."""
        name = self.cleaned_data["username"].strip().lstrip("@")
        user = get_user_model().objects.filter(username__lower=name.lower(), is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No user is called “{name}”.")
        return user


class GenerateConnectionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Connection type",
        choices=[
            ("rtmp", "RTMP (OBS default; transcoded for viewers)"),
            ("whip", "WHIP (WebRTC; passed through without transcoding)"),
        ],
        initial="rtmp",
        widget=forms.RadioSelect,
    )


class SearchForm(forms.Form):
    # A CharField refuses NUL characters, which PostgreSQL cannot compare.
    term = forms.CharField(
        max_length=100, error_messages={"max_length": "Search for at most 100 characters."}
    )
