"""Go-live notifications for a channel with many followers: how long LiveKit's webhook waits
for its answer, and how long until every follower is notified (and emailed).

The site as production serves it, all on 127.0.0.1: gunicorn (sync workers) and the task
worker (`manage.py db_worker`, as the Procfile starts it) on PostgreSQL, a real livekit-server
(the webhook tells the channel's room that the stream went live), and an SMTP sink standing in
for the mail relay. One channel has --followers followers, --emails of whom turned go-live
emails on. Each of --runs broadcasts is a signed ingress_started webhook, as livekit-server
sends it, POSTed to gunicorn; the database is polled until the broadcast's notifications
are all there and the worker's task has finished (every email received by the sink). Then an
ingress_ended webhook takes the stream offline for the next run.

`.venv/bin/python bench/notify.py [--quick]`; see bench/README.md. Options: --followers,
--emails (followers who want emails), --runs, --workers (gunicorn's), --interval (the worker's
idle poll, db_worker's default), --timeout (seconds per run), --pg-url (a PostgreSQL server,
scripts/postgres.sh's when not given), --database (recreated).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out
from devservers.servers import LiveKitStack, free_port, wait_until

HOST = "notifyhost"
INGRESS_ID = "IN_notifybench"
WEBHOOK = "/api/webhook/livekit"


class SmtpSink:
    """A mail server on 127.0.0.1 that accepts every message and counts them: what the worker
    pays per email (an SMTP exchange on a kept connection) without a real relay's latency."""

    def __init__(self) -> None:
        self.port, self.received = free_port(), 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = asyncio.start_server(self._session, "127.0.0.1", self.port)
        self.loop.run_until_complete(server)
        ready.set()
        self.loop.run_forever()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink\r\n")
        while line := await reader.readline():
            command = line[:4].upper()
            if command == b"DATA":
                writer.write(b"354 end with a dot\r\n")
                while (await reader.readline()) not in (b".\r\n", b""):
                    pass
                self.received += 1
            if command == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            writer.write(b"250 ok\r\n" if command != b"DATA" else b"250 queued\r\n")
            await writer.drain()
        writer.close()


def seed(followers: int, emails: int):
    """The channel (its stream with an ingress id the webhooks name) and its followers, the
    first `emails` of them with go-live emails on. Returns the channel."""
    from django.db import transaction

    from accounts.models import User
    from social.models import Follow
    from streams.models import Stream

    host = User.objects.create_user(HOST, f"{HOST}@example.invalid")  # its stream comes too
    Stream.objects.filter(user=host).update(ingress_id=INGRESS_ID, title="Ten thousand fans")
    fans = [
        User(username=f"fan{i}", email=f"fan{i}@example.invalid", go_live_emails=i < emails)
        for i in range(followers)
    ]
    for fan in fans:
        fan.set_unusable_password()  # hashing passwords would dominate the set-up
    with transaction.atomic():
        User.objects.bulk_create(fans, batch_size=2000)
        Follow.objects.bulk_create(
            (Follow(follower=fan, following=host) for fan in fans), batch_size=2000
        )
    return host


def webhook(port: int, name: str, event_id: str, at: int, session: str) -> tuple[float, str]:
    """POST one signed event as livekit-server would; the response time and the outcome."""
    from livekit import api

    state = {"status": "ENDPOINT_PUBLISHING", "resourceId": session, "startedAt": str(at)}
    info = {"ingressId": INGRESS_ID, "state": state}
    body = json.dumps({"event": name, "id": event_id, "createdAt": str(at), "ingressInfo": info})
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    key, secret = os.environ["LIVEKIT_API_KEY"], os.environ["LIVEKIT_API_SECRET"]
    token = api.AccessToken(key, secret).with_sha256(digest).to_jwt()
    headers = {"Authorization": token, "Content-Type": "application/webhook+json"}
    started = time.perf_counter()
    status, answer = common.request(port, WEBHOOK, body.encode(), **headers)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"the webhook answered {status}: {answer[:200]!r}")
    return elapsed, json.loads(answer)["outcome"]


@contextmanager
def worker(interval: float):
    """`manage.py db_worker` as the Procfile runs it (logging to bench/out/); its pid."""
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", str(interval)]
    log_path = common.OUT_DIR / "notify-worker.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=common.ROOT, stdout=log_file, stderr=log_file)
        try:
            started = lambda: b"Starting worker" in log_path.read_bytes()  # noqa: E731
            wait_until(started, 30, "db_worker", process)
            yield process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    return sum(proc.cpu for proc in common.descendants(pid, common.process_table()))


def broadcast(run: int, port: int, host, sink: SmtpSink, worker_pid: int, args) -> dict:
    """Go live once: the webhook's answer, then when every follower is notified and the task
    is done; then offline again."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from social.models import Notification
    from streams.live_status import broadcast_name

    at, session = int(time.time()) + 10 * run, f"IR_notifybench{run}"
    name = broadcast_name(session, at)
    before_mail, before_cpu = sink.received, cpu_seconds(worker_pid)
    sent = time.perf_counter()
    answer, outcome = webhook(port, "ingress_started", f"EV_start{run}", at, session)
    if outcome != "live":
        raise RuntimeError(f"ingress_started was {outcome!r}, not live")
    notified_at = done_at = None
    deadline = sent + args.timeout
    notifications = Notification.objects.filter(channel=host, broadcast=name)
    task = DBTaskResult.objects.order_by("-enqueued_at")
    while done_at is None and time.perf_counter() < deadline:
        time.sleep(0.05)
        if notified_at is None and notifications.count() == args.followers:
            notified_at = time.perf_counter()
        result = task.first()
        if notified_at and result and result.finished_at and result.status == "SUCCESSFUL":
            done_at = time.perf_counter()
        connection.close()  # a fresh snapshot each poll, like the pages that show them
    if done_at is None:
        raise RuntimeError(f"run {run}: not delivered within {args.timeout:.0f} s")
    result = task.first()
    figures = {
        "webhook": answer,
        "notified": notified_at - sent,
        "done": done_at - sent,
        "queued": (result.started_at - result.enqueued_at).total_seconds(),
        "task": (result.finished_at - result.started_at).total_seconds(),
        "emails": sink.received - before_mail,
        "worker_cpu": cpu_seconds(worker_pid) - before_cpu,
    }
    webhook(port, "ingress_ended", f"EV_end{run}", at + 5, session)
    return figures


def report(runs: list[dict], args) -> None:
    out(f"{args.followers:,} followers, {args.emails:,} of them with go-live emails on")
    rows = [
        ["webhook answered (ms)", *(ms(r["webhook"]) for r in runs)],
        ["all followers notified (ms)", *(ms(r["notified"], 0) for r in runs)],
        ["task done, emails sent (ms)", *(ms(r["done"], 0) for r in runs)],
        ["  of which waiting in the queue", *(ms(r["queued"], 0) for r in runs)],
        ["  the task itself", *(ms(r["task"], 0) for r in runs)],
        ["emails received by the sink", *(r["emails"] for r in runs)],
        ["worker CPU (ms)", *(ms(r["worker_cpu"], 0) for r in runs)],
    ]
    common.table(["broadcast", *(f"run {n + 1}" for n in range(len(runs)))], rows)
    out(
        "times from the webhook's POST; the worker polls the queue every "
        f"{args.interval:g} s when idle (db_worker --interval)"
    )


def main(argv: list[str]) -> None:
    quick = {"followers": 2000, "emails": 200, "runs": 1}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        followers=10_000,
        emails=1000,
        runs=3,
        workers=2,
        interval=1.0,
        timeout=180.0,
        pg_url="",
        database="notifybench",
    )
    sink = SmtpSink()
    livekit, web_port, pg_version = common.start_site(
        args,
        DJANGO_SITE_URL="https://stream.example.com",
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
    )
    log(f"seed: {HOST} and {args.followers:,} followers")
    host = seed(args.followers, args.emails)
    software = common.versions("django", "gunicorn", "psycopg", "django-tasks", "django-tasks-db")
    common.print_header(
        args,
        [*software, f"PostgreSQL {pg_version}"],
        f"gunicorn -w {args.workers} (sync, production settings) and db_worker on PostgreSQL, "
        "livekit-server, an SMTP sink: all on 127.0.0.1",
    )
    from django.db import connections

    connections.close_all()  # the servers below are new processes
    runs = []
    with (
        LiveKitStack(livekit, common.OUT_DIR / "notify-livekit"),
        common.gunicorn(args.workers, web_port, "notify-gunicorn.log") as (port, _),
        worker(args.interval) as worker_pid,
    ):
        for n in range(2 * args.workers):  # each gunicorn worker's first request, uncounted
            webhook(port, "participant_joined", f"EV_warm{n}", int(time.time()), "")
        for run in range(args.runs):
            log(f"run {run + 1}: ingress_started for {args.followers:,} followers")
            runs.append(broadcast(run, port, host, sink, worker_pid, args))
    report(runs, args)


if __name__ == "__main__":
    common.run_main(main)
