"""REST layer (thin): import a tree from a file or pasted text, preview an import, export."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trees import selectors
from trees.api.parsers import JSONParser
from trees.api.serializers import ErrorSerializer, TreeSerializer
from trees.api.views import tree_context
from trees.domain.errors import ActionError
from trees.formats import FORMATS, FormatError, detect_format, import_tree
from trees.transfer import export_bytes, import_bytes

_IMPORT_FORMATS = ["auto", *sorted(name for name, f in FORMATS.items() if f.can_import)]
_EXPORT_FORMATS = sorted(name for name, f in FORMATS.items() if f.can_export)


class ImportSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["game", "problem"])
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    format = serializers.ChoiceField(choices=_IMPORT_FORMATS, default="auto")
    text = serializers.CharField(
        required=False, trim_whitespace=False, help_text="Pasted text (instead of a file)."
    )
    file = serializers.FileField(required=False, help_text="A file to import.")


class ImportPreviewSerializer(serializers.Serializer[Any]):
    format = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    nodes = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="What the reader had to guess, in sentences."
    )


def _payload(request: Request) -> tuple[dict[str, Any], bytes | str, str | None]:
    try:
        serializer = ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
    except RequestDataTooBig:
        raise ActionError("too_large", "Imports are at most 5 MB.") from None
    data = dict(serializer.validated_data)
    upload = data.get("file")
    if upload is not None:
        if upload.size > 6 * 1024 * 1024:
            raise ActionError("too_large", "Imports are at most 5 MB.")
        return data, upload.read(), upload.name
    if "text" in data:
        return data, data["text"], None
    raise ActionError("invalid", "Send a file or text to import.")


class ImportView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": ImportSerializer, "multipart/form-data": ImportSerializer},
        responses={201: TreeSerializer, 400: ErrorSerializer, 413: ErrorSerializer},
        summary="Create a tree from a file or pasted text (all or nothing)",
    )
    def post(self, request: Request) -> Response:
        data, raw, filename = _payload(request)
        tree = import_bytes(
            owner_id=selectors.user_id_of(request.user),
            data=raw,
            fmt=data["format"],
            kind=data["kind"],
            title=data.get("title") or None,
            filename=filename,
        )
        body = TreeSerializer(tree, context=tree_context([tree], {tree.pk: "owner"})).data
        return Response(body, status=status.HTTP_201_CREATED)


class ImportPreviewView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": ImportSerializer, "multipart/form-data": ImportSerializer},
        responses={200: ImportPreviewSerializer, 400: ErrorSerializer},
        summary="Parse an import and return the tree it would create, creating nothing",
    )
    def post(self, request: Request) -> Response:
        data, raw, filename = _payload(request)
        try:
            name = detect_format(raw, filename) if data["format"] == "auto" else data["format"]
            doc = import_tree(raw, fmt=name, kind=data["kind"], title=data.get("title") or None)
        except FormatError as exc:
            raise ActionError(exc.code, str(exc)) from None
        return Response(
            {
                "format": name,
                "title": doc.title,
                "kind": doc.kind,
                "nodes": doc.nodes,
                "warnings": doc.warnings,
            }
        )


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def content_disposition(title: str, tree_id: int, extension: str) -> str:
    """`attachment` named after the tree's title: an ASCII slug in `filename` for old
    clients, the title itself (without characters file systems refuse) in `filename*`."""
    slug = slugify(unicodedata.normalize("NFKD", title))[:80].strip("-") or f"tree-{tree_id}"
    name = " ".join(_UNSAFE_NAME.sub(" ", title).split())[:120].strip(". ") or slug
    return (
        f'attachment; filename="{slug}{extension}"; '
        f"filename*=UTF-8''{quote(name + extension, safe='')}"
    )


class _ExportNegotiation(DefaultContentNegotiation):
    # `?format=` names the export format here; DRF would read it as a renderer override and
    # answer 404 for every format without a renderer (md, svg, ...). Errors render as JSON.
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _ExportNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=_EXPORT_FORMATS, required=True)],
        responses={(200, "*/*"): OpenApiTypes.BINARY, 404: ErrorSerializer},
        summary="Download the tree in a format",
    )
    def get(self, request: Request, tree_id: int) -> HttpResponse:
        tree, _ = selectors.access_tree(request.user, tree_id)
        fmt = request.query_params.get("format", "")
        if fmt not in _EXPORT_FORMATS:
            raise ActionError("invalid", f"format must be one of {', '.join(_EXPORT_FORMATS)}.")
        found = FORMATS[fmt]
        data = export_bytes(tree, fmt)
        extension = found.extensions[0] if found.extensions else f".{fmt}"
        response = HttpResponse(data, content_type=found.media_type)
        response["Content-Disposition"] = content_disposition(tree.title, tree.pk, extension)
        return response
