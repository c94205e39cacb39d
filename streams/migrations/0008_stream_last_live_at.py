from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce


def from_what_is_known(apps, schema_editor):
    """Streams live now went live at their last change; others went live when a webhook
    said their current ingress started."""
    Stream = apps.get_model("streams", "Stream")
    WebhookEvent = apps.get_model("streams", "WebhookEvent")
    Stream.objects.filter(is_live=True).update(
        last_live_at=Coalesce("live_changed_at", "updated_at")
    )
    started = (
        WebhookEvent.objects.filter(ingress_id=OuterRef("ingress_id"), outcome="live")
        .values("ingress_id")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    Stream.objects.filter(last_live_at__isnull=True, ingress_id__isnull=False).update(
        last_live_at=Subquery(started)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("streams", "0007_remove_chat_switches"),
    ]

    operations = [
        migrations.AddField(
            model_name="stream",
            name="last_live_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(from_what_is_known, migrations.RunPython.noop, elidable=True),
    ]
