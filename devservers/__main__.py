"""`python -m devservers install [--optional]` installs livekit-server and redis-server;
`python -m devservers livekit` renders the loopback config and runs livekit-server in the
foreground (the `livekit` line of Procfile.dev)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from devservers.servers import (
    LIVEKIT_SERVER,
    ROOT,
    LiveKitConfig,
    SetupError,
    install_livekit,
    install_redis,
    say,
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devservers")
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="install livekit-server and redis-server")
    install.add_argument(
        "--optional",
        action="store_true",
        help="when they cannot be installed, say so and exit 0 (make run goes on without)",
    )
    run = commands.add_parser("livekit", help="run livekit-server with the loopback config")
    run.add_argument("--port", type=int, default=7880)
    run.add_argument("--redis-port", type=int, default=6390)
    run.add_argument("--webhook", default="http://127.0.0.1:8000/api/webhook/livekit")
    args = parser.parse_args()

    if args.command == "install":
        try:
            install_redis()
            install_livekit()
        except (SetupError, subprocess.CalledProcessError) as error:
            if not args.optional:
                print(f"error: {error}", file=sys.stderr)
                return 1
            say(f"{error} The site runs without LiveKit: no video, keys or live status.")
            return 3
        return 0

    config = LiveKitConfig(
        api_key=os.environ.get("LIVEKIT_API_KEY", ""),
        api_secret=os.environ.get("LIVEKIT_API_SECRET", ""),
        webhook_url=args.webhook,
        port=args.port,
        redis_port=args.redis_port,
    )
    if not config.api_key:
        print("error: LIVEKIT_API_KEY is not set (see .env.example).", file=sys.stderr)
        return 1
    config_file = ROOT / ".cache" / "livekit.yaml"
    config_file.parent.mkdir(exist_ok=True)
    config_file.write_text(config.render())
    os.execv(LIVEKIT_SERVER, [str(LIVEKIT_SERVER), "--config", str(config_file)])


if __name__ == "__main__":
    sys.exit(main())
