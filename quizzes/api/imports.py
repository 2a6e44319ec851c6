"""Import a file into a bank and export a bank as a file:
POST /api/v1/banks/{id}/import/, GET /api/v1/banks/{id}/export/?format=...

The work is services/imports.py's: all or nothing per file, the report names each
question and where it is in the file. The upload limit is QUIZZES["IMPORT_MAX_BYTES"].
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.api.banks import bank_or_404
from quizzes.api.permissions import IsEducator
from quizzes.conf import import_max_bytes
from quizzes.interop.registry import EXPORTERS
from quizzes.services.imports import (
    FORMATS,
    export_bank,
    import_bank,
    import_size_check,
    upload_read,
)

# Room for the multipart envelope around the file when judging Content-Length up front.
MULTIPART_SLACK_BYTES = 64 * 1024
FORMAT_HELP = f"One of {', '.join(FORMATS)}."


class IgnoreFormatQueryNegotiation(BaseContentNegotiation):
    """JSON for every response DRF renders (errors): ``?format=`` names an exchange format
    here, not one of DRF's renderers."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ImportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The file to import.")
    format = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=f"{FORMAT_HELP} Sniffed if absent."
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Run the import, report, then roll it back."
    )


class ImportReportSerializer(serializers.Serializer[Any]):
    format = serializers.CharField()
    dry_run = serializers.BooleanField()
    created = serializers.ListField(child=serializers.CharField(), help_text="Question ids.")
    updated = serializers.ListField(child=serializers.CharField(), help_text="Question ids.")
    skipped = serializers.ListField(
        child=serializers.CharField(), help_text="Unchanged question ids."
    )
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    warnings = serializers.ListField(child=serializers.CharField())


class ImportErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="import_failed (fields is the report), invalid_file, unknown_format, "
        "file_too_large (413) or invalid."
    )
    detail = serializers.CharField()
    fields = serializers.DictField()  # type: ignore[assignment]


class BankImportView(APIView):
    """Import questions from a Moodle XML, GIFT, QTI or JSON file: all or nothing."""

    permission_classes = [IsEducator]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={
            200: ImportReportSerializer,
            400: ImportErrorSerializer,
            413: ImportErrorSerializer,
        },
    )
    def post(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > import_max_bytes() + MULTIPART_SLACK_BYTES:
            import_size_check(length)  # refuse before the body is read
        serializer = ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        data = upload_read(upload, size=upload.size)
        report = import_bank(
            bank=bank,
            data=data,
            filename=upload.name or "",
            format=serializer.validated_data["format"],
            dry_run=serializer.validated_data["dry_run"],
            user=request.user if isinstance(request.user, User) else None,
        )
        return Response(ImportReportSerializer(report.as_dict()).data)


class BankExportView(APIView):
    """Download the bank (current revisions) as a file of the chosen format."""

    permission_classes = [IsEducator]
    content_negotiation_class = IgnoreFormatQueryNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(FORMATS),
                required=True,
                description=FORMAT_HELP,
            )
        ],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
            for media_type in sorted({e.media_type for e in EXPORTERS.values()})
        },
    )
    def get(self, request: Request, bank_id: int) -> HttpResponse:
        bank = bank_or_404(request.user, bank_id)
        exported = export_bank(bank=bank, format=request.query_params.get("format", ""))
        response = HttpResponse(exported.content, content_type=exported.media_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
