"""Banks and their topic trees (educators only): /api/v1/banks/, /api/v1/banks/{id}/,
/api/v1/banks/{id}/topics/.

A bank of another institution is a 404 (the selectors never return it), a learner a 403.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.api.permissions import IsEducator
from quizzes.exceptions import NotFound, ValidationFailed
from quizzes.models import Bank, Institution
from quizzes.selectors.access import educator_institution
from quizzes.selectors.banks import (
    bank_for_educator,
    bank_list_for_educator,
    topic_exists,
    topic_tree,
)
from quizzes.services.banks import bank_create, bank_update, topic_ensure
from quizzes.services.questions import bank_delete

CODE_DUPLICATE_TOPIC = "duplicate_topic"
CODE_INVALID_TOPIC = "invalid_topic"
BANK_NOT_FOUND = "No such bank."

_SLUG_PATH = re.compile(r"^[-a-zA-Z0-9_]+(?:/[-a-zA-Z0-9_]+)*$")


class Pagination(PageNumberPagination):
    """{"count", "next", "previous", "results"}; ``?page=N&page_size=M`` (M up to 200)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def bank_or_404(user: User | AnonymousUser, bank_id: int) -> Bank:
    bank = bank_for_educator(user=user, bank_id=bank_id)
    if bank is None:
        raise NotFound(BANK_NOT_FOUND)
    return bank


# -- serializers --------------------------------------------------------------------------


class BankSerializer(serializers.ModelSerializer[Bank]):
    institution: serializers.PrimaryKeyRelatedField[Institution] = (
        serializers.PrimaryKeyRelatedField(read_only=True)
    )

    class Meta:
        model = Bank
        fields = ["id", "title", "description", "institution", "lint_blocking"]
        read_only_fields = fields


class BankCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    institution = serializers.IntegerField(
        required=False,
        help_text="Institution id; defaults to the caller's own, required when they teach "
        "in several.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        institution = educator_institution(
            user=self.context["request"].user, institution_id=attrs.get("institution")
        )
        attrs["institution"] = institution
        return attrs


class BankUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class TopicSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    path = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)


class TopicNodeSerializer(TopicSerializer):
    pass


# The tree: a node's children are nodes (drf-spectacular names the recursion as a $ref).
TopicNodeSerializer._declared_fields["children"] = TopicNodeSerializer(many=True, read_only=True)


class TopicCreateSerializer(serializers.Serializer[Any]):
    path = serializers.CharField(
        max_length=500, help_text='Slug path, parents first: "risks/complications".'
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    position = serializers.IntegerField(min_value=0, required=False, default=0)

    def validate_path(self, value: str) -> str:
        path = value.strip().strip("/")
        if not _SLUG_PATH.match(path) or any(len(slug) > 100 for slug in path.split("/")):
            raise ValidationFailed(
                "A topic path is slugs (letters, digits, - and _) separated by /.",
                code=CODE_INVALID_TOPIC,
                fields={"path": [value]},
            )
        if topic_exists(bank=self.context["bank"], path=path):
            raise ValidationFailed(
                f"The topic {path!r} exists already.",
                code=CODE_DUPLICATE_TOPIC,
                fields={"path": [path]},
            )
        return path


# -- views --------------------------------------------------------------------------------


class BankListView(GenericAPIView[Bank]):
    """The banks of the institutions where you teach; create one."""

    permission_classes = [IsEducator]
    pagination_class = Pagination
    serializer_class = BankSerializer

    @extend_schema(responses=BankSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(bank_list_for_educator(request.user))
        return self.get_paginated_response(BankSerializer(page, many=True).data)

    @extend_schema(request=BankCreateSerializer, responses={201: BankSerializer})
    def post(self, request: Request) -> Response:
        serializer = BankCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        institution: Institution = data["institution"]
        bank = bank_create(
            institution=institution, title=data["title"], description=data["description"]
        )
        return Response(BankSerializer(bank).data, status=status.HTTP_201_CREATED)


class BankDetailView(APIView):
    """One bank: read, rename or describe, delete (refused once learners saw its items)."""

    permission_classes = [IsEducator]

    @extend_schema(responses=BankSerializer)
    def get(self, request: Request, bank_id: int) -> Response:
        return Response(BankSerializer(bank_or_404(request.user, bank_id)).data)

    @extend_schema(request=BankUpdateSerializer, responses=BankSerializer)
    def patch(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        serializer = BankUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        bank = bank_update(bank=bank, **serializer.validated_data)
        return Response(BankSerializer(bank).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, bank_id: int) -> Response:
        bank_delete(bank=bank_or_404(request.user, bank_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BankTopicsView(APIView):
    """The bank's topic tree (roots with nested children); create a topic by its path."""

    permission_classes = [IsEducator]

    @extend_schema(responses=TopicNodeSerializer(many=True))
    def get(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        return Response(TopicNodeSerializer(topic_tree(bank), many=True).data)

    @extend_schema(request=TopicCreateSerializer, responses={201: TopicSerializer})
    def post(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        serializer = TopicCreateSerializer(data=request.data, context={"bank": bank})
        serializer.is_valid(raise_exception=True)
        topic = topic_ensure(bank=bank, **serializer.validated_data)
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)
