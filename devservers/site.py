"""A throwaway copy of the whole site for scripts (README pictures, benches): SQLite in a
temporary folder with the demo data, Django's server and a real livekit-server, each on a
free loopback port. Django is set up in the calling process too, pointed at the same
database, so a script can prepare data with the project's own services."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from devservers.servers import (
    ROOT,
    LiveKitConfig,
    LiveKitStack,
    free_port,
    http_ok,
    wait_until,
)

API_KEY = "throwaway"
API_SECRET = "throwaway-secret-of-at-least-32-characters"


@dataclass
class ThrowawaySite:
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="streamsite-")))
    web_port: int = field(default_factory=free_port)
    with_ingress: bool = False
    # gunicorn with DEBUG off and static files from WhiteNoise (compressed, cached), as
    # production serves pages, instead of runserver.
    production: bool = False
    stack: LiveKitStack | None = None
    server: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def livekit(self) -> LiveKitConfig:
        return self.stack.config

    def __enter__(self) -> ThrowawaySite:
        config = LiveKitConfig.on_free_ports(
            api_key=API_KEY, api_secret=API_SECRET, webhook_url=f"{self.url}/api/webhook/livekit"
        )
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "streamsite.settings",
                "DJANGO_DEBUG": "true",
                # Scripts call the ORM between Playwright steps, on the thread its loop runs on.
                "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
                "DATABASE_URL": f"sqlite:///{self.work / 'db.sqlite3'}",
                "DJANGO_MEDIA_ROOT": str(self.work / "media"),
                "LIVEKIT_URL": config.url,
                "LIVEKIT_WS_URL": config.ws_url,
                "LIVEKIT_API_KEY": API_KEY,
                "LIVEKIT_API_SECRET": API_SECRET,
            }
        )
        if self.production:
            os.environ.update(
                {
                    "DJANGO_DEBUG": "false",
                    "DJANGO_SECRET_KEY": os.urandom(24).hex(),
                    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                    "DJANGO_SECURE_SSL_REDIRECT": "false",
                    "DJANGO_SERVE_MEDIA": "true",
                }
            )
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], check=True)
        subprocess.run([*manage, "seed_demo", "-v0"], check=True)
        if self.production:
            subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True)
        self.stack = LiveKitStack(
            config, self.work / "livekit", with_ingress=self.with_ingress
        ).start()
        address = f"127.0.0.1:{self.web_port}"
        gunicorn = [str(Path(sys.executable).with_name("gunicorn")), "streamsite.wsgi", "-w", "2"]
        self.server = subprocess.Popen(
            [*gunicorn, "--no-control-socket", "-b", address]
            if self.production
            else [*manage, "runserver", "--noreload", address],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                lambda: http_ok(self.url + "/robots.txt"), 30, "the Django server", self.server
            )
        except BaseException:
            self.__exit__()
            raise
        import django

        django.setup()
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=10)
        if self.stack is not None:
            self.stack.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def host_camera(self, host, width: int = 640, height: int = 360):
        """`host`'s own identity in their room, publishing scrolling colour bars as Ingress
        would publish OBS; close() it when done."""
        from devservers.rtc import RtcClient, publisher_token

        room = str(host.pk)
        keys = {"api_key": API_KEY, "api_secret": API_SECRET, "room": room, "identity": room}
        camera = RtcClient(self.livekit.ws_url, publisher_token(**keys, name=host.username))
        camera.connect().publish_video(width, height)
        return camera

    def session_cookie(self, user) -> dict:
        """A Playwright cookie that signs `user` in."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        return {"name": cookie.key, "value": cookie.value, "url": self.url}
