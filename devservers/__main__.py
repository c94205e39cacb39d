"""`python -m devservers install [--optional]` installs redis-server, livekit-server and
LiveKit Ingress; `python -m devservers livekit` and `python -m devservers ingress` render the
loopback configs and run those servers in the foreground (lines of Procfile.dev).
`python -m devservers livekit --nodes N` runs N livekit-server nodes on the one Redis: a
LiveKit cluster on this machine."""

from __future__ import annotations

import argparse
import os
import signal
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
    ROOT,
    LiveKitConfig,
    SetupError,
    ingress_installed,
    install_ingress,
    install_livekit,
    install_redis,
    say,
    terminate,
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devservers")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser(
        "install", help="install redis-server, livekit-server and LiveKit Ingress"
    )
    setup.add_argument(
        "--optional",
        action="store_true",
        help="when LiveKit cannot be installed, say so and exit 3 (make run goes on without)",
    )
    for name, what in [("livekit", "livekit-server"), ("ingress", "LiveKit Ingress")]:
        run = commands.add_parser(name, help=f"run {what} with the loopback config")
        run.add_argument("--port", type=int, default=7880)
        run.add_argument("--redis-port", type=int, default=6390)
        run.add_argument("--webhook", default="http://127.0.0.1:8000/api/webhook/livekit")
        if name == "livekit":
            run.add_argument(
                "--nodes",
                type=int,
                default=1,
                metavar="N",
                help="run N nodes sharing the Redis, LiveKit's distributed mode: node k listens "
                f"on PORT + {NODE_PORT_STEP}k (WebRTC: TCP one above, UDP two above)",
            )
    args = parser.parse_args()

    if args.command == "install":
        return install(optional=args.optional)
    return run_server(args)


def install(*, optional: bool) -> int:
    """0 when everything is installed; with --optional, 3 when LiveKit cannot be (the site
    runs without it), and 0 when only Ingress cannot be (the site runs without OBS)."""
    steps = [
        (lambda: (install_redis(), install_livekit()), "LiveKit: no video, keys or live status", 3),
        (install_ingress, "LiveKit Ingress: OBS cannot stream to it", 0),
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


def run_server(args) -> int:
    config = LiveKitConfig(
        api_key=os.environ.get("LIVEKIT_API_KEY", ""),
        api_secret=os.environ.get("LIVEKIT_API_SECRET", ""),
        webhook_url=args.webhook,
        port=args.port,
        rtc_tcp_port=args.port + 1,
        rtc_udp_port=args.port + 2,
        redis_port=args.redis_port,
    )
    if not config.api_key:
        print("error: LIVEKIT_API_KEY is not set (see .env.example).", file=sys.stderr)
        return 1
    config_file = ROOT / ".cache" / f"{args.command}.yaml"
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
                f"Node {index}: {config.url} (WebRTC on TCP {config.rtc_tcp_port}, "
                f"UDP {config.rtc_udp_port}), Redis on {config.redis_port}"
            )
        while not stopping and all(node.poll() is None for node in nodes):
            time.sleep(0.2)
    stopped = [node.returncode for node in nodes if node.poll() is not None]
    terminate(nodes)
    return 0 if stopping else stopped[0]


if __name__ == "__main__":
    sys.exit(main())
