"""Named people used across the suite: alice the creator (she has streamed before), bob who
follows her, carol whom she blocked, mod who moderates her chat, and a guest (anonymous
client); the scaffolding every test shares (an empty cache, LiveKit stopped unless a test
asks for the real server) is here too, defined once."""

from __future__ import annotations

import io
import os
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.test import Client, RequestFactory, override_settings
from PIL import Image

from devservers.media import RtmpEncoder
from devservers.proxy import nginx, nginx_installed
from devservers.rtc import RtcClient, publisher_token
from devservers.servers import (
    LiveKitConfig,
    LiveKitStack,
    free_port,
    ingress_installed,
    livekit_installed,
)
from streams import rooms
from streams.models import Stream
from tests import live_server_gate
from tests.factories import BlockFactory, FollowFactory, ModeratorFactory, UserFactory


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API keeps an event loop on the main thread for
    the rest of the session, where Django refuses synchronous database calls."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with nothing cached (pages, hosts, follower counts)."""
    cache.clear()


class _RequestsInFlight:
    """The threads handling a request right now (the live server's, a test client's)."""

    def __init__(self):
        self.threads: set[threading.Thread] = set()
        request_started.connect(self.started, weak=False)
        # Connected after Django's own receivers, so a request counts until its database
        # connection is given back.
        request_finished.connect(self.finished, weak=False)

    def started(self, **kwargs):
        self.threads.add(threading.current_thread())

    def finished(self, **kwargs):
        self.threads.discard(threading.current_thread())

    def wait_until_none(self, timeout: float) -> None:
        """Until no other living thread is in a request (this one may hold a test client's
        streamed response nobody read to the end)."""
        me, deadline = threading.current_thread(), time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            thread is not me and thread.is_alive() for thread in list(self.threads)
        ):
            time.sleep(0.02)


_requests_in_flight = _RequestsInFlight()


@pytest.fixture(autouse=True)
def _live_server_quiet(request):
    """A test that used the live server ends once the server is closed to new requests
    (tests/live_server_gate.py) and has finished every request it was handling: the
    browser's last poll, or a LiveKit webhook (a participant leaving as the test's clients
    disconnect), must not write while the test's database is flushed (PostgreSQL then
    reports a deadlock, and the next test inherits rows). Set up after the test's database,
    so it is taken down before it. The next test that uses the server opens it again; until
    then a late webhook is refused rather than written into another test's database."""
    if "live_server" not in request.fixturenames:
        yield
        return
    live_server_gate.closed.clear()
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
    yield
    live_server_gate.closed.set()
    _requests_in_flight.wait_until_none(timeout=15)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", bio="Speedruns and retro games.", streamed=True)


@pytest.fixture
def bob(alice):
    bob = UserFactory(username="bob")
    FollowFactory(follower=bob, following=alice)
    return bob


@pytest.fixture
def carol(alice):
    carol = UserFactory(username="carol")
    BlockFactory(blocker=alice, blocked=carol)
    return carol


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def carol_client(carol) -> Client:
    return _client_for(carol)


def wait_for(condition, what: str, timeout: float = 45) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds, saying what was late
    (a stream going live through Ingress, a worker's delivery)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def guest_of(client: Client):
    """The guest (streams.rooms.Person) a test client's cookie names, or None."""
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    return rooms.request_guest(request, create=False)


@pytest.fixture
def guest_client(db) -> Client:
    return Client()


@pytest.fixture
def mod(alice):
    """A moderator of alice's chat."""
    return ModeratorFactory(host=alice, user=UserFactory(username="mod")).user


@pytest.fixture
def mod_client(mod) -> Client:
    return _client_for(mod)


@pytest.fixture
def live(alice) -> Stream:
    """alice's stream, marked live (as LiveKit's webhook would): chat and moderation are open."""
    Stream.objects.filter(user=alice).update(is_live=True)
    return Stream.objects.get(user=alice)


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (32, 18)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (145, 71, 255)).save(buffer, format=image_format)
    return buffer.getvalue()


# ---------------------------------------------------------------- the real LiveKit server


def need(installed: bool, name: str, install: str = "python -m devservers install") -> None:
    """Skip the test when `name` is not installed; in CI, where `make test` installs it, a
    missing one fails the test instead. `install` says how to install it."""
    if not installed:
        message = f"{name} is not installed: run `{install}`"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (in CI it must be: `make test` installs it)")
        pytest.skip(message)


def with_ingress(stack: LiveKitStack) -> LiveKitStack:
    """`stack` with the real LiveKit Ingress running (started again if a test killed it)."""
    need(ingress_installed(), "LiveKit Ingress")
    if stack.ingress is None or stack.ingress.poll() is not None:
        stack.start_ingress()
    return stack


def _test_livekit_config(live_server) -> LiveKitConfig:
    """Free loopback ports, webhooks to the Django live server, rooms closed 1 s after the
    last participant leaves. livekit-server must be installed: in CI a missing one fails."""
    need(livekit_installed(), "livekit-server")
    return LiveKitConfig.on_free_ports(
        api_key=settings.LIVEKIT_API_KEY,
        api_secret=settings.LIVEKIT_API_SECRET,
        webhook_url=f"{live_server.url}/api/webhook/livekit",
        empty_timeout=1,
        departure_timeout=1,
    )


@pytest.fixture(scope="session")
def livekit_stack(live_server, tmp_path_factory):
    """One real livekit-server (and Redis) for the whole session, on free loopback ports,
    sending its webhooks to the Django live server."""
    config = _test_livekit_config(live_server)
    # Ingress too when it is installed; the tests that need it say so (`ingress` fixture).
    stack = LiveKitStack(
        config, tmp_path_factory.mktemp("livekit"), with_ingress=ingress_installed()
    ).start()
    yield stack
    stack.stop()


@pytest.fixture
def livekit_server(livekit_stack, settings):
    """Point the site at the real server for one test."""
    settings.LIVEKIT_URL = livekit_stack.config.url
    settings.LIVEKIT_WS_URL = livekit_stack.config.ws_url
    return livekit_stack


@pytest.fixture
def ingress(livekit_server):
    """The real LiveKit Ingress next to the real server (restarted if a test killed it)."""
    return with_ingress(livekit_server)


@pytest.fixture
def encoders(tmp_path):
    """ffmpeg processes standing in for OBS; all stopped at the end of the test."""
    started: list[RtmpEncoder] = []

    def push_rtmp(url: str, pattern: str = "testsrc") -> RtmpEncoder:
        encoder = RtmpEncoder(url, tmp_path / f"ffmpeg-{len(started)}.log", pattern)
        encoder.start()
        started.append(encoder)
        return encoder

    yield push_rtmp
    for encoder in started:
        encoder.stop()


@pytest.fixture(autouse=True)
def livekit_down(settings):
    """Point the site at a loopback port where nothing listens: LiveKit is stopped. Every
    test starts so (never reaching a LiveKit someone runs on this machine); `livekit_server`
    points it at the real test server."""
    settings.LIVEKIT_URL = f"http://127.0.0.1:{free_port()}"
    settings.LIVEKIT_WS_URL = settings.LIVEKIT_URL.replace("http", "ws")


@pytest.fixture
def rtc_clients():
    """Make rtc participants; all are disconnected at the end of the test."""
    made = []

    def make(url: str, token: str, *, watch_video: bool = False) -> RtcClient:
        client = RtcClient(url, token, watch_video=watch_video).connect()
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def host_publisher(livekit_server, rtc_clients):
    """Join a host's room as the host's own identity with a publish grant, as LiveKit
    Ingress does (`video=True` also publishes a synthetic camera track)."""

    def join(host, *, video: bool = False):
        token = publisher_token(
            api_key=settings.LIVEKIT_API_KEY,
            api_secret=settings.LIVEKIT_API_SECRET,
            room=str(host.pk),
            identity=str(host.pk),
            name=host.username,
        )
        client = rtc_clients(livekit_server.config.ws_url, token)
        if video:
            client.publish_video()
        return client

    return join


@pytest.fixture(scope="module")
def livekit_cluster(live_server, tmp_path_factory):
    """Two real livekit-servers sharing one Redis (LiveKit's distributed mode), started once
    for the module that uses them, on free loopback ports; both send webhooks to the Django
    live server. Ingress is started by the tests that need it (the ingress APIs need only
    Redis)."""
    config = _test_livekit_config(live_server)
    stack = LiveKitStack(config, tmp_path_factory.mktemp("livekit-cluster"), nodes=2).start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic's output as production makes it (hashed names, .gz beside them), for the
    site's own files; compressing only CSS keeps it quick."""
    root = tmp_path_factory.mktemp("staticfiles")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    skip = ["js", "txt", "map", "svg", "png", "jpg", "woff2"]
    with override_settings(
        STATIC_ROOT=root, STORAGES=storages, WHITENOISE_SKIP_COMPRESS_EXTENSIONS=skip
    ):
        call_command("collectstatic", "--noinput", "--ignore", "admin", verbosity=0)
    return root


@pytest.fixture
def proxy(live_server, static_root, settings, tmp_path):
    """nginx in front of the live server, with an empty cache for each test."""
    need(nginx_installed(), "nginx", "scripts/system-deps.sh")
    upstream = urlsplit(live_server.url).port
    with nginx(
        upstream, static_root=static_root, media_root=settings.MEDIA_ROOT, out_dir=tmp_path
    ) as running:
        yield running
