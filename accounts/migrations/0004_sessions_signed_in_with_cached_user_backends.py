"""Sessions signed in before the authentication backends moved to accounts.backends name the
backend they signed in with; Django signs out a session whose backend is not in
AUTHENTICATION_BACKENDS. This renames it in every stored session, so nobody is signed out
by the upgrade (and back, when the migration is reversed)."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations

RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "accounts.backends.AuthenticationBackend",
}


def _rename(apps, names: dict[str, str]) -> None:
    Session = apps.get_model("sessions", "Session")
    store = SessionStore()  # the same signing salt as cached_db's SessionStore
    for session in Session.objects.iterator(chunk_size=1000):
        data = store.decode(session.session_data)  # {} when it does not verify
        backend = data.get(BACKEND_SESSION_KEY)
        if backend in names:
            data[BACKEND_SESSION_KEY] = names[backend]
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor) -> None:
    _rename(apps, RENAMED)


def backwards(apps, schema_editor) -> None:
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_go_live_emails"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
