from __future__ import annotations

from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    remove_avatar = forms.BooleanField(required=False, label="Remove the current avatar")

    class Meta:
        model = User
        fields = ["bio", "avatar"]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 4, "maxlength": 300}),
            "avatar": forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
        help_texts = {
            "bio": "At most 300 characters, shown in the About card of your channel.",
            "avatar": "JPEG, PNG or WebP, at most 2 MB; shown at 256 x 256.",
        }

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self.cleaned_data.get("remove_avatar") and not self.files.get("avatar"):
            user.avatar = ""  # the field deletes the old file once saved
        if commit:
            user.save()
        return user


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["go_live_emails"]
        help_texts = {
            "go_live_emails": "One email per broadcast, with a link to the channel and a "
            "one-click unsubscribe link. You get a notification here either way.",
        }
