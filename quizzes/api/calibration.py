"""A bank's calibration from live responses, for educators: GET /api/v1/banks/{id}/calibration/.

The latest runs (``?runs=N``, default 10, at most 100) with their figures, and every
revision estimated in them or carrying live parameters: its current parameters and its
estimates in those runs. Access as the bank itself (quizzes/api/banks.py): learners 403,
another institution's bank 404. How the figures are made: docs/analytics.md.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.analytics.calibration import bank_calibration_report
from quizzes.api.banks import bank_or_404
from quizzes.api.permissions import IsEducator
from quizzes.models import CalibrationRun

DEFAULT_RUNS = 10
MAX_RUNS = 100


class CalibrationQuerySerializer(serializers.Serializer[Any]):
    runs = serializers.IntegerField(
        min_value=1,
        max_value=MAX_RUNS,
        required=False,
        default=DEFAULT_RUNS,
        help_text=f"How many of the latest runs to show (1-{MAX_RUNS}, default {DEFAULT_RUNS}).",
    )


class CalibrationRunSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=CalibrationRun.Status.choices)
    message = serializers.CharField()
    trigger = serializers.CharField(help_text='"command", "schedule" or "api".')
    model = serializers.ChoiceField(choices=["2pl", "3pl"])
    min_responses = serializers.IntegerField()
    persons = serializers.IntegerField(help_text="Finished attempts in the fit.")
    responses = serializers.IntegerField(help_text="Responses in the fit.")
    anchors = serializers.IntegerField(help_text="Items held at their live parameters.")
    items_updated = serializers.IntegerField()
    items_waiting = serializers.IntegerField(help_text="Items below min_responses.")
    latent_mean = serializers.FloatField(allow_null=True)
    latent_sd = serializers.FloatField(allow_null=True)
    iterations = serializers.IntegerField()
    converged = serializers.BooleanField(allow_null=True)


class ItemParametersSerializer(serializers.Serializer[Any]):
    a = serializers.FloatField()
    b = serializers.FloatField()
    c = serializers.FloatField()
    provenance = serializers.CharField(help_text='"prior", "calibrated:<n responses>", ...')
    responses = serializers.IntegerField()


class ItemCalibrationSerializer(serializers.Serializer[Any]):
    run = serializers.IntegerField()
    calibrated_at = serializers.DateTimeField(allow_null=True)
    responses = serializers.IntegerField()
    a = serializers.FloatField()
    b = serializers.FloatField()
    c = serializers.FloatField()
    a_se = serializers.FloatField(allow_null=True)
    b_se = serializers.FloatField(allow_null=True)
    c_se = serializers.FloatField(allow_null=True)
    fit_rmsd = serializers.FloatField(allow_null=True)
    misfit = serializers.BooleanField()
    anchored = serializers.BooleanField()
    applied = serializers.BooleanField()


class CalibratedItemSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField()
    revision = serializers.IntegerField(help_text="The revision number.")
    external_id = serializers.CharField()
    current = ItemParametersSerializer()
    history = ItemCalibrationSerializer(many=True)


class BankCalibrationSerializer(serializers.Serializer[Any]):
    bank = serializers.IntegerField()
    min_responses = serializers.IntegerField()
    runs = CalibrationRunSerializer(many=True)
    items = CalibratedItemSerializer(many=True)


class BankCalibrationView(APIView):
    """The bank's calibration runs and its items' parameter history."""

    permission_classes = [IsEducator]

    @extend_schema(parameters=[CalibrationQuerySerializer], responses=BankCalibrationSerializer)
    def get(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        query = CalibrationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = bank_calibration_report(bank, runs=query.validated_data["runs"])
        return Response(BankCalibrationSerializer(report).data)
