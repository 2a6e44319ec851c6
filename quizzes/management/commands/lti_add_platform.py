from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quizzes.exceptions import ApplicationError
from quizzes.lti.platforms import platform_register
from quizzes.models import Institution


class Command(BaseCommand):
    help = (
        "Register an LTI 1.3 platform (LMS) for an institution, or update it and add "
        "deployment ids; idempotent."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--institution", required=True, help="institution slug")
        parser.add_argument("--issuer", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument(
            "--deployment-id", action="append", default=[], help="repeat for several"
        )
        parser.add_argument("--auth-login-url", required=True)
        parser.add_argument("--auth-token-url", required=True)
        parser.add_argument("--keyset-url", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        institution = Institution.objects.filter(slug=options["institution"]).first()
        if institution is None:
            raise CommandError(f"No institution with slug {options['institution']!r}.")
        try:
            platform = platform_register(
                institution=institution,
                issuer=options["issuer"],
                client_id=options["client_id"],
                auth_login_url=options["auth_login_url"],
                auth_token_url=options["auth_token_url"],
                keyset_url=options["keyset_url"],
                deployment_ids=options["deployment_id"],
                name=options["name"],
            )
        except ApplicationError as error:
            raise CommandError(error.detail) from error
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        deployments = ", ".join(platform.deployments.values_list("deployment_id", flat=True))
        self.stdout.write(f"Platform {platform.pk} ({platform}); deployments: {deployments or '-'}")
