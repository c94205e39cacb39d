import uuid

from django.conf import settings
from django.db import migrations, models


def keep_the_latest_of_each(apps, schema_editor):
    """Before the constraints: of several timeouts (or bans) of one person in one chat, the
    latest given is the one that holds from now on; the others go."""
    ChatBan = apps.get_model("streams", "ChatBan")
    seen = set()
    for row in ChatBan.objects.order_by("-created_at", "-pk"):
        key = (row.host_id, row.user_id, "" if row.user_id else row.guest_identity, row.kind)
        if key in seen:
            row.delete()
        seen.add(key)


def record_signed_in_bans(apps, schema_editor):
    """Signed-in users banned from the chat before were only blocked: give the blocks that a
    ban in the log made their ban row, so that moderators see and can lift them."""
    ChatBan = apps.get_model("streams", "ChatBan")
    ModerationAction = apps.get_model("streams", "ModerationAction")
    Block = apps.get_model("social", "Block")
    bans = ModerationAction.objects.filter(action="ban").order_by("created_at", "pk")
    for entry in bans:
        try:
            user_id = uuid.UUID(entry.target_person)
        except ValueError:
            continue  # a guest: their ban has its row already
        if Block.objects.filter(blocker_id=entry.host_id, blocked_id=user_id).exists():
            ChatBan.objects.update_or_create(
                host_id=entry.host_id,
                user_id=user_id,
                kind="ban",
                defaults={"name": entry.target_name, "created_by_id": entry.actor_id},
            )


class Migration(migrations.Migration):

    dependencies = [
        ('streams', '0008_stream_last_live_at'),
        ('social', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(keep_the_latest_of_each, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='chatban',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('host', 'user', 'kind'), name='streams_chatban_one_per_user'),
        ),
        migrations.AddConstraint(
            model_name='chatban',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', True)), fields=('host', 'guest_identity', 'kind'), name='streams_chatban_one_per_guest'),
        ),
        migrations.RunPython(record_signed_in_bans, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='moderationaction',
            name='action',
            field=models.CharField(choices=[('delete', 'Deleted a message'), ('timeout', 'Timed out'), ('ban', 'Banned'), ('lift', 'Lifted a timeout or ban'), ('mod_add', 'Made moderator'), ('mod_remove', 'Removed as moderator'), ('block', 'Blocked'), ('unblock', 'Unblocked')], max_length=12),
        ),
    ]
