"""`python -m devservers install [--optional]` installs redis-server, livekit-server,
LiveKit Ingress and builds the recorder; `python -m devservers redis`, `livekit` and
`ingress` render the loopback configs and run those servers in the foreground (lines of
Procfile.dev), saying on the console only what a developer needs: Redis logs to
.cache/redis.log, livekit-server its warnings, Ingress its errors (`--log-level` for more);
`python -m devservers recorder` runs the recorder (its environment: docs/recording.md).
`python -m devservers livekit --nodes N` runs N livekit-server nodes on the one Redis: a
LiveKit cluster on this machine."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devservers.servers import (
    BIN_DIR,
    INGRESS,
    INGRESS_TEMPLATE,
    LIVEKIT_SERVER,
    NODE_PORT_STEP,
    RECORDER,
    ROOT,
    LiveKitConfig,
    SetupError,
    apt_install,
    ingress_installed,
    install_ingress,
    install_livekit,
    install_recorder,
    install_redis,
    recorder_installed,
    say,
    terminate,
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devservers")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser(
        "install", help="install redis-server, livekit-server, LiveKit Ingress and the recorder"
    )
    setup.add_argument(
        "--optional",
        action="store_true",
        help="when LiveKit cannot be installed, say so and exit 3 (make run goes on without)",
    )
    apt = commands.add_parser(
        "apt-install",
        help="install Debian packages with apt-get, waiting for another package manager to finish",
    )
    apt.add_argument("packages", nargs="+")
    apt.add_argument("--purpose", default="The site", help="who needs them, for the error")
    keep = commands.add_parser(
        "keep-running",
        help="run a command of make run, starting it again whenever it stops unasked",
    )
    keep.add_argument("name", help="what to call it on the console")
    keep.add_argument("run", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    commands.add_parser("recorder", help="run the recorder of past broadcasts")
    redis = commands.add_parser("redis", help="run redis-server on loopback, logging to a file")
    redis.add_argument("--port", type=int, default=6390)
    redis.add_argument("--log-file", type=Path, default=ROOT / ".cache" / "redis.log")
    # On the console, livekit-server's warnings and Ingress's errors: at `warn`, Ingress says
    # at every start that the negative CPU costs of its config are "too low", and drops STUN
    # and DTLS warnings on loopback-only WebRTC as streams start and stop.
    for name, what, log_level in [
        ("livekit", "livekit-server", "warn"),
        ("ingress", "LiveKit Ingress", "error"),
    ]:
        run = commands.add_parser(name, help=f"run {what} with the loopback config")
        run.add_argument("--port", type=int, default=7880)
        run.add_argument("--redis-port", type=int, default=6390)
        run.add_argument("--webhook", default="http://127.0.0.1:8000/api/webhook/livekit")
        run.add_argument(
            "--log-level",
            default=log_level,
            choices=["debug", "info", "warn", "error"],
            help=f"what {what} prints (default: {log_level})",
        )
        if name == "livekit":
            run.add_argument(
                "--nodes",
                type=int,
                default=1,
                metavar="N",
                help="run N nodes sharing the Redis, LiveKit's distributed mode: node k listens "
                f"on PORT + {NODE_PORT_STEP}k (WebRTC over UDP two above)",
            )
    args = parser.parse_args()

    if args.command == "install":
        return install(optional=args.optional)
    if args.command == "apt-install":
        try:
            apt_install(args.packages, args.purpose)
        except SetupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    if args.command == "keep-running":
        command = args.run[1:] if args.run[:1] == ["--"] else args.run
        if not command:
            parser.error("keep-running needs a command after --")
        return keep_running(args.name, command)
    if args.command == "redis":
        return run_redis(args.port, args.log_file)
    if args.command == "recorder":
        return run_recorder()
    return run_server(args)


def install(*, optional: bool) -> int:
    """0 when everything is installed; with --optional, 3 when LiveKit cannot be (the site
    runs without it), and 0 when only Ingress or the recorder cannot be (the site runs
    without OBS, or without recording past broadcasts)."""
    steps = [
        (lambda: (install_redis(), install_livekit()), "LiveKit: no video, keys or live status", 3),
        (install_ingress, "LiveKit Ingress: OBS cannot stream to it", 0),
        (install_recorder, "the recorder: past broadcasts are not recorded", 0),
    ]
    for step, without, optional_status in steps:
        try:
            step()
        except (SetupError, subprocess.CalledProcessError) as error:
            if not optional:
                print(f"error: {error}", file=sys.stderr)
                return 1
            say(f"{error} The site runs without {without}.")
            if optional_status:
                return optional_status
    return 0


# A process of make run that stops unasked (a crash, a kill) is started again after a pause
# that doubles with each stop in the last RESTART_WINDOW_SECONDS, up to RESTART_MAX_PAUSE: one
# crash costs a second, and one that fails at once every time does not spin.
RESTART_FIRST_PAUSE = 1.0
RESTART_MAX_PAUSE = 30.0
RESTART_WINDOW_SECONDS = 60.0
# After a stop request, how long the command gets to exit on its own before it is sent one:
# honcho signals the whole process group, the command included; a stop aimed at this process
# alone is passed on.
STOP_PASS_ON_SECONDS = 5.0


def keep_running(name: str, command: list[str]) -> int:
    """Run `command` until asked to stop (SIGTERM or SIGINT), starting it again, with a line
    saying so, whenever it stops unasked: one crashed server does not take make run down."""
    stopping: list[float] = []  # when the stop request came
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.append(time.monotonic()))
    signal.signal(signal.SIGINT, lambda _signum, _frame: stopping.append(time.monotonic()))
    stops: list[float] = []
    while not stopping:
        child = subprocess.Popen(command, preexec_fn=_die_with_parent)
        while child.poll() is None:
            if stopping and time.monotonic() - stopping[0] > STOP_PASS_ON_SECONDS:
                child.terminate()
                stopping[0] = time.monotonic()
            time.sleep(0.1)
        if stopping:
            break
        now = time.monotonic()
        stops = [at for at in stops if now - at < RESTART_WINDOW_SECONDS] + [now]
        pause = min(RESTART_FIRST_PAUSE * 2 ** (len(stops) - 1), RESTART_MAX_PAUSE)
        say(f"{name} stopped ({_exit_status(child.returncode)}): starting it again in {pause:g} s")
        deadline = now + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
    return 0


def _exit_status(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


# When make run stops, Redis waits this long at most for LiveKit and Ingress to let go of it:
# stopped first, it makes livekit-server fail to leave the cluster, with a stack trace.
# (honcho kills what still runs 5 s after Ctrl-C.)
REDIS_LINGER_SECONDS = 3


def run_redis(port: int, log: Path) -> int:
    """Redis for LiveKit, without saving, its log in a file: what it says at start (its
    banner, and a warning about memory overcommit that matters to a server holding data, not
    to this one) is no news on a development console.

    Redis runs in a session of its own, so that Ctrl-C and honcho's SIGTERM reach this
    process only: Redis stops once its clients are gone (REDIS_LINGER_SECONDS at most)."""
    log = log.resolve()
    log.parent.mkdir(parents=True, exist_ok=True)
    redis = install_redis()
    shown = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
    say(f"Redis on 127.0.0.1:{port}, logging to {shown}")
    command = [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    command += ["no", "--loglevel", "warning", "--logfile", str(log)]
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    server = subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent)
    while not stopping and server.poll() is None:
        time.sleep(0.2)
    if server.poll() is None:
        say(f"Redis stops once LiveKit has ({REDIS_LINGER_SECONDS} s at most)")
        deadline = time.monotonic() + REDIS_LINGER_SECONDS
        while _redis_clients(port) > 1 and time.monotonic() < deadline:  # 1: the asking one
            time.sleep(0.1)
        terminate([server])
        return 0
    say(f"Redis stopped by itself: see {shown}")
    return server.returncode


def _redis_clients(port: int) -> int:
    """How many clients Redis has (this question's connection included); 0 if it is gone."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"INFO clients\r\n")
            answer = b""
            while b"connected_clients:" not in answer or not answer.endswith(b"\r\n"):
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return 0
    found = re.search(rb"connected_clients:(\d+)", answer)
    return int(found.group(1)) if found else 0


def _die_with_parent() -> None:
    """In the child: SIGTERM when this process dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def run_recorder() -> int:
    """The recorder in the foreground. Not built, it keeps running without it, so that
    honcho does not stop the rest of the site; built from older sources, it runs as it is."""
    if not RECORDER.is_file():
        say("The recorder is not built: past broadcasts are not recorded.")
        signal.pause()
        return 0
    if not recorder_installed():
        say("The recorder is older than recorder/: `python -m devservers install` rebuilds it.")
    os.execv(RECORDER, [str(RECORDER)])


def run_server(args) -> int:
    config = LiveKitConfig(
        api_key=os.environ.get("LIVEKIT_API_KEY", ""),
        api_secret=os.environ.get("LIVEKIT_API_SECRET", ""),
        webhook_url=args.webhook,
        port=args.port,
        rtc_udp_port=args.port + 2,
        redis_port=args.redis_port,
        log_level=args.log_level,
        # A viewer leaving logs "error reading data channel" warnings: nothing went wrong.
        transport_log_level="error",
    )
    if not config.api_key:
        print("error: LIVEKIT_API_KEY is not set (see .env.example).", file=sys.stderr)
        return 1
    config_file = ROOT / ".cache" / f"{args.command}-{args.port}.yaml"  # one per make run
    config_file.parent.mkdir(exist_ok=True)
    if args.command == "livekit" and args.nodes > 1:
        return run_nodes([config.node(index) for index in range(args.nodes)])
    if args.command == "livekit":
        config_file.write_text(config.render())
        os.execv(LIVEKIT_SERVER, [str(LIVEKIT_SERVER), "--config", str(config_file)])
    if not ingress_installed():
        # Keep running, so honcho does not stop the rest of the site.
        say("LiveKit Ingress is not installed: OBS cannot stream here (see README).")
        signal.pause()
        return 0
    config_file.write_text(config.render(INGRESS_TEMPLATE))
    # Ingress re-executes itself as `ingress run-handler`: it must be on PATH by that name.
    os.environ["PATH"] = f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}"
    os.execv(INGRESS, [str(INGRESS), "--config", str(config_file)])


def run_nodes(configs: list[LiveKitConfig]) -> int:
    """Run the nodes of a cluster until asked to stop or until one of them stops, then stop
    them all.

    Each node runs in its own session, so that a Ctrl-C reaches it once, from here. The
    configs live in a directory of their own: two clusters may be starting at once."""
    stopping: list[int] = []  # the signal that asked us to stop, once one came
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    nodes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="livekit-nodes-") as config_dir:
        for index, config in enumerate(configs):
            config_file = Path(config_dir, f"node{index}.yaml")
            config_file.write_text(config.render())
            command = [str(LIVEKIT_SERVER), "--config", str(config_file)]
            nodes.append(subprocess.Popen(command, start_new_session=True))
            say(
                f"Node {index}: {config.url} (WebRTC on UDP {config.rtc_udp_port}), "
                f"Redis on {config.redis_port}"
            )
        while not stopping and all(node.poll() is None for node in nodes):
            time.sleep(0.2)
    stopped = [node.returncode for node in nodes if node.poll() is not None]
    terminate(nodes)
    return 0 if stopping else stopped[0]


if __name__ == "__main__":
    sys.exit(main())
