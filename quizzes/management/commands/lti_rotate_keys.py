from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from quizzes.lti.keys import tool_key_rotate, tool_keys_prune


class Command(BaseCommand):
    help = (
        "Create a new LTI signing key. It is published at once and signs after our JWKS "
        "cache time (--now: at once); the previous key stays published until every token "
        "it signed has expired. Also deletes keys no longer published."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bits", type=int, default=None, help="RSA size (>= 2048)")
        parser.add_argument("--now", action="store_true", help="sign with the new key at once")

    def handle(self, *args: Any, **options: Any) -> None:
        key = tool_key_rotate(bits=options["bits"], immediately=options["now"])
        pruned = tool_keys_prune()
        when = f"{key.activates_at:%Y-%m-%d %H:%M:%S %Z}"
        self.stdout.write(f"New key {key.kid} signs from {when}; {pruned} old key(s) deleted.")
