"""The viewer-count pass with 500 live rooms, and the home page with 500 live channels.

1. A real livekit-server (and its Redis) started by the bench on free ports of 127.0.0.1;
   --rooms rooms made with CreateRoom, --one-viewer of them with a guest watching and
   --two-viewers with two (real rtc participants, subscribing to nothing); as many streams
   marked live in PostgreSQL. Timed over --passes passes, each counting every stream
   (streams.viewer_counts, as `count_viewers` runs it): the pass, its LiveKit requests, and
   its one ListRooms alone; next to them, ListParticipants of every room at once (what the
   pass would cost without ListRooms first).
2. The home page with those live channels, sorted by the counts the pass stored: requests per
   second of `/` for a guest and for a signed-in viewer against `/robots.txt`, served by
   gunicorn (production settings) on the same database, in interleaved rounds (bench/pages.py's
   load clients), with the ratio page rps / robots rps and the SQL queries of each.

`.venv/bin/python bench/viewer_counts.py [--quick]`; see bench/README.md. Options: --rooms,
--one-viewer, --two-viewers, --passes, --seconds per round and URL, --warmup, --rounds,
--concurrency (load client processes), --workers (gunicorn's), --pg-url (a PostgreSQL server,
scripts/postgres.sh's when not given; its streamsite_bench_counts database is recreated).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, pages
from bench.common import log, ms, out

VIEWER = "viewer"  # the signed-in viewer of the home page: follows nobody, streams nothing


def seed(rooms: int) -> None:
    """`rooms` users (bench0...) each with a live stream, and the viewer."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from streams.models import Stream

    now = timezone.now()
    names = [f"bench{i}" for i in range(rooms)] + [VIEWER]
    people = [User(username=name, email=f"{name}@example.invalid") for name in names]
    for person in people:
        person.set_unusable_password()
    with transaction.atomic():
        User.objects.bulk_create(people)  # no post_save: the streams come next
        Stream.objects.bulk_create(
            Stream(
                user=person,
                title=f"{person.username}'s stream",
                is_live=True,
                live_changed_at=now,
                last_live_at=now,
            )
            for person in people[:-1]
        )


def create_rooms(names: list[str], url: str, key: str, secret: str) -> float:
    """CreateRoom for each name, 50 at a time; seconds it took."""
    from livekit import api

    async def create() -> None:
        async with api.LiveKitAPI(url, key, secret) as lk:
            for start in range(0, len(names), 50):
                await asyncio.gather(
                    *(
                        lk.room.create_room(api.CreateRoomRequest(name=name, empty_timeout=900))
                        for name in names[start : start + 50]
                    )
                )

    began = time.perf_counter()
    asyncio.run(create())
    return time.perf_counter() - began


def join_viewers(ws_url: str, hosts: list, one: int, two: int) -> tuple[list, int]:
    """Guests watching: one in each of the first `one` rooms, two in each of the next `two`;
    the rtc clients, and how many people watch in all."""
    from devservers.rtc import RtcClient
    from streams import livekit, rooms

    clients = []
    for index, host_id in enumerate(hosts[: one + two]):
        for _ in range(1 if index < one else 2):
            person = rooms.Person(f"{rooms.GUEST_PREFIX}{uuid.uuid4().hex}", "guest-00000", "guest")
            token = livekit.create_viewer_token(
                room=rooms.room_name(host_id),
                identity=person.new_identity(),
                name=person.name,
                metadata=person.metadata(),
            )
            clients.append(RtcClient(ws_url, token).connect())
    return clients, one + 2 * two


def wait_until_listed(names: list[str], participants: int, timeout: float = 30) -> float:
    """Until ListRooms reports `participants` in all (LiveKit refreshes it within 5 s)."""
    from streams import livekit

    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        sizes = livekit.room_sizes(names, timeout=10)
        if sum(size.participants for size in sizes.values()) == participants:
            break
        time.sleep(0.5)
    else:
        log(f"warning: LiveKit did not report {participants} participants in {timeout:.0f} s")
    return time.perf_counter() - began


def measure_passes(names: list[str], passes: int) -> dict:
    """`passes` passes, each a full one (its `now` INTERVAL after the last); ListRooms alone,
    and ListParticipants of every room at once, as many times."""
    from django.utils import timezone

    from streams import livekit, viewer_counts

    at, results = (
        timezone.now(),
        {"pass": [], "dry run": [], "list rooms": [], "list every room": []},
    )
    last = None
    for _ in range(passes):
        began = time.perf_counter()
        last = viewer_counts.count_viewers(now=at)
        results["pass"].append(time.perf_counter() - began)
        at += viewer_counts.INTERVAL
        began = time.perf_counter()
        viewer_counts.count_viewers(now=at, dry_run=True)
        results["dry run"].append(time.perf_counter() - began)
        began = time.perf_counter()
        livekit.room_sizes(names, timeout=30)
        results["list rooms"].append(time.perf_counter() - began)
        began = time.perf_counter()
        livekit.participant_identities(names, timeout=60)
        results["list every room"].append(time.perf_counter() - began)
    return {"times": results, "last": last}


def print_passes(measured: dict, rooms: int, people: int, passes: int) -> None:
    last = measured["last"]
    out(
        f"1. The viewer-count pass: {rooms} live streams, {rooms} rooms made with CreateRoom, "
        f"{people} people watching; {passes} passes"
    )
    requests = {
        "pass": last.livekit_requests,
        "dry run": last.livekit_requests,
        "list rooms": 1,
        "list every room": rooms,
    }
    labels = {
        "pass": "pass (ListRooms, ListParticipants where needed, store)",
        "dry run": "the same, storing nothing (--dry-run)",
        "list rooms": "its ListRooms alone",
        "list every room": "ListParticipants of every room (no ListRooms)",
    }
    rows = [
        [labels[name], *common.spread("", times)[1:], requests[name]]
        for name, times in measured["times"].items()
    ]
    common.table(["ms", *common.SPREAD, "LiveKit requests"], rows)
    out(
        f"   last pass: {len(last.counts)} streams counted, {last.viewers} viewers, "
        f"{last.rooms_listed} rooms listed, {last.livekit_requests} LiveKit requests\n"
    )


def first_cards(port: int, shown: int = 4) -> str:
    """The first cards of the home page as a guest gets it: who, and how many watch."""
    html = common.request(port, "/")[1].decode()
    grid = html.split('<ul class="card-grid">', 1)[-1]
    found = re.findall(
        r'class="card-viewers"[^>]*>([^<]*)<.*?class="card-user">([^<]*)<', grid, re.S
    )
    return ", ".join(f"{user} ({viewers})" for viewers, user in found[:shown])


def print_home(args, targets: list, counted: dict) -> None:
    out(
        f"2. The home page with {args.rooms} live channels (most watched first), against "
        f"{pages.TRIVIAL}; gunicorn -w {args.workers}, {args.concurrency} load clients, "
        f"{args.rounds} rounds of {args.seconds:g} s"
    )
    trivial, rows = statistics.median(targets[0].rps), []
    for t in targets:
        rps = statistics.median(t.rps)
        p50, p90 = (common.percentile(t.latencies, q) for q in (0.5, 0.9))
        who = "signed in" if t.who == "logged in" else "guest"
        figures = [f"{rps:.1f}", f"{rps / trivial:.3f}", ms(p50), ms(p90)]
        rows.append([t.path, who, *figures, counted[t.who][t.path], t.size, sum(t.errors.values())])
    header = ["URL", "viewer", "rps", "ratio", "p50 ms", "p90 ms", "queries", "bytes", "errors"]
    common.table(header, rows, left=2)


def main(argv: list[str]) -> None:
    quick = {"passes": 3, "seconds": 2.0, "rounds": 1, "warmup": 0.5}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        rooms=500,
        one_viewer=10,
        two_viewers=10,
        passes=5,
        seconds=5.0,
        warmup=1.0,
        rounds=3,
        concurrency=4,
        workers=2,
        database="streamsite_bench_counts",
        pg_url="",
    )
    from devservers.servers import LIVEKIT_SERVER, LiveKitStack

    config, web_port, pg_version = common.start_site(args)
    software = common.versions("django", "gunicorn", "livekit-api", "livekit")
    software += [f"PostgreSQL {pg_version}", common.first_line([LIVEKIT_SERVER, "--version"])]
    site = "gunicorn (production settings) on PostgreSQL, livekit-server and Redis, on 127.0.0.1"
    common.print_header(args, software, site)
    log(f"seed {args.rooms} live streams")
    seed(args.rooms)
    from django.db import connections

    from streams.models import Stream

    hosts = list(Stream.objects.order_by("user__username").values_list("user_id", flat=True))
    names = [str(host_id) for host_id in hosts]
    clients = []
    stack = LiveKitStack(config, common.OUT_DIR / "viewer-counts-livekit")
    log("livekit-server and Redis")
    stack.start()
    try:
        log(f"CreateRoom x {len(names)}")
        created = create_rooms(names, config.url, config.api_key, config.api_secret)
        log(f"rooms made in {created:.1f} s; viewers joining")
        clients, people = join_viewers(config.ws_url, hosts, args.one_viewer, args.two_viewers)
        waited = wait_until_listed(names, len(clients))
        log(f"LiveKit reported them after {waited:.1f} s; {args.passes} passes")
        measured = measure_passes(names, args.passes)
        print_passes(measured, len(names), people, args.passes)
        counted, cookie = pages.count_queries([pages.TRIVIAL, "/"], viewer=VIEWER)
        targets = [pages.Target(pages.TRIVIAL, "User-agent")]
        targets += [pages.Target("/", "bench", who) for who in ("anonymous", "logged in")]
        connections.close_all()  # the load clients are forked from this process
        log(f"gunicorn -w {args.workers}")
        with common.gunicorn(args.workers, web_port, "viewer-counts-gunicorn.log") as (port, _):
            for target in targets:
                pages.check_page(port, target, cookie)
            first = first_cards(port)
            pages.measure(port, targets, cookie, args)
        print_home(args, targets, counted)
        out(f"   the guest's first cards: {first}\n")
    finally:
        log("stopping the viewers, livekit-server and Redis")
        for client in clients:
            client.close()
        stack.stop()


if __name__ == "__main__":
    common.run_main(main)
