from __future__ import annotations

from django import forms

from videos.models import RecordingSettings

MAX_RETENTION_DAYS = 365


class RecordingSettingsForm(forms.ModelForm):
    """What the host keeps of their broadcasts (the dashboard's Videos page)."""

    retention_days = forms.IntegerField(
        label=RecordingSettings._meta.get_field("retention_days").verbose_name.capitalize(),
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        help_text=f"1 to {MAX_RETENTION_DAYS} days after a broadcast ends; older ones are "
        "deleted with their recordings.",
    )

    class Meta:
        model = RecordingSettings
        fields = ["save_past_broadcasts", "retention_days"]
