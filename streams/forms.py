from __future__ import annotations

from django import forms

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
    class Meta:
        model = Stream
        fields = ["is_chat_enabled", "is_chat_delayed", "is_chat_followers_only"]
        labels = {
            "is_chat_enabled": "Enable chat",
            "is_chat_delayed": "Slow mode",
            "is_chat_followers_only": "Followers only",
        }
        help_texts = {
            "is_chat_enabled": "Viewers can chat while you are live.",
            "is_chat_delayed": "Each viewer can send one message every 3 seconds.",
            "is_chat_followers_only": "Only your followers can chat.",
        }


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
