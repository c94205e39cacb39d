"""Test settings: production settings (DEBUG off), with test-only secrets and the few
things a test client cannot do (HTTPS)."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-only-for-the-test-suite-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LIVEKIT_API_KEY", "testkey")
os.environ.setdefault("LIVEKIT_API_SECRET", "test-livekit-secret-of-at-least-32-characters")
os.environ.setdefault("DJANGO_SITE_URL", "https://stream.example.com")
os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="streamsite-test-media-"))

from streamsite.settings import *  # noqa: F403

# First: between tests the live server answers 503 (tests/live_server_gate.py).
MIDDLEWARE = ["tests.live_server_gate.LiveServerGate", *MIDDLEWARE]  # noqa: F405
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
STATIC_ROOT = tempfile.mkdtemp(prefix="streamsite-test-static-")
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
