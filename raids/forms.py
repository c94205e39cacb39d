from __future__ import annotations

from django import forms

from raids.models import RaidSettings


class RaidSettingsForm(forms.ModelForm):
    class Meta:
        model = RaidSettings
        fields = ["accept_from"]
        widgets = {"accept_from": forms.RadioSelect}
        help_texts = {
            "accept_from": "When another channel raids yours, its viewers arrive in your chat."
        }
