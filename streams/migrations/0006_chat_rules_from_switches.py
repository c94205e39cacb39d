"""Slow mode and followers-only were on/off switches; they become settings. A stream with
slow mode on keeps the 3 s it had; followers-only on becomes "any follower"."""

from django.db import migrations

OLD_SLOW_MODE_SECONDS = 3


def forwards(apps, schema_editor):
    Stream = apps.get_model("streams", "Stream")
    Stream.objects.filter(is_chat_delayed=True).update(slow_mode_seconds=OLD_SLOW_MODE_SECONDS)
    Stream.objects.filter(is_chat_followers_only=True).update(followers_only_minutes=0)


def backwards(apps, schema_editor):
    Stream = apps.get_model("streams", "Stream")
    Stream.objects.filter(slow_mode_seconds__gt=0).update(is_chat_delayed=True)
    Stream.objects.filter(followers_only_minutes__isnull=False).update(
        is_chat_followers_only=True
    )


class Migration(migrations.Migration):
    dependencies = [("streams", "0005_chat_rules_and_moderation")]

    operations = [migrations.RunPython(forwards, backwards)]
