"""Commands that do one pass of upkeep, once or every N seconds (`--loop`, as the Procfile
runs them), with `--dry-run`: a pass returns the lines that say what it did."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError


class PassCommand(BaseCommand):
    dry_run_help = "print what would change, change nothing"
    # Errors a loop logs and outlives (the next pass tries again); a single run fails on them.
    passing_errors: tuple[type[Exception], ...] = ()

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="repeat every SECONDS until stopped, logging each pass at INFO",
        )
        parser.add_argument("--dry-run", action="store_true", help=self.dry_run_help)

    def handle(self, *args, loop: float | None, dry_run: bool, verbosity: int, **options):
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a positive number of seconds.")
        logger = logging.getLogger(type(self).__module__)  # the command's own log
        while True:
            try:
                lines = self.run_pass(dry_run=dry_run)
            except self.passing_errors as error:
                if loop is None:
                    raise CommandError(str(error)) from error
                logger.warning("%s Trying again in %g s.", error, loop)
                lines = []
            for line in lines if verbosity else []:
                # A pass of a loop is a log line (with its time); a single run, output.
                if loop is not None:
                    logger.info(line)
                else:
                    self.stdout.write(line)
            if loop is None:
                return
            self.pause(loop)

    def run_pass(self, *, dry_run: bool) -> list[str]:
        raise NotImplementedError

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)
