"""REST layer (thin): validate input, call one selector or action, serialise the result."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from trees import actions, selectors
from trees.api import serializers as s
from trees.errors import ActionError
from trees.models import Membership
from trees.realtime.reads import MAX_CATCH_UP_OPS

_CSRF = SessionAuthentication()


class LoginThrottle(AnonRateThrottle):
    scope = "login"


def _user_ref(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "username": user.get_username()}


class CsrfView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.CsrfSerializer, summary="Get a CSRF token (sets the cookie)")
    def get(self, request: Request) -> Response:
        return Response({"csrfToken": get_token(request)})


class LoginView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=s.LoginSerializer, responses={200: s.UserRefSerializer, 400: s.ErrorSerializer}
    )
    def post(self, request: Request) -> Response:
        # DRF checks CSRF only for signed-in sessions; a login form must check it too, or a
        # page elsewhere could sign the visitor into the attacker's account.
        try:
            _CSRF.enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise ActionError(
                "forbidden", "CSRF check failed: GET /api/auth/csrf/ first."
            ) from None
        user = _authenticate(request)
        login(request._request, user)
        return Response(_user_ref(user))


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=s.UserRefSerializer)
    def get(self, request: Request) -> Response:
        return Response(_user_ref(request.user))


class TokenView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=s.LoginSerializer, responses={200: s.TokenSerializer, 400: s.ErrorSerializer}
    )
    def post(self, request: Request) -> Response:
        user = _authenticate(request)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def _authenticate(request: Request) -> Any:
    data = _valid(s.LoginSerializer, request.data)
    user = authenticate(request, username=data["username"], password=data["password"])
    if user is None:
        raise ActionError("invalid_credentials", "Wrong username or password.")
    return user


def _valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _tree_out(request: Request, tree: Any, role: str) -> dict[str, Any]:
    return dict(s.TreeSerializer(tree, context={"roles": {tree.pk: role}}).data)


class TreeListView(APIView):
    @extend_schema(responses=s.TreeSerializer(many=True), summary="Trees I am a member of")
    def get(self, request: Request) -> Response:
        trees = list(selectors.trees_for_user(request.user))
        roles = selectors.role_map(request.user, [t.pk for t in trees])
        return Response(s.TreeSerializer(trees, many=True, context={"roles": roles}).data)

    @extend_schema(request=s.TreeCreateSerializer, responses={201: s.TreeSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.TreeCreateSerializer, request.data)
        tree = actions.tree_create(owner_id=request.user.pk, **data)
        return Response(_tree_out(request, tree, "owner"), status=status.HTTP_201_CREATED)


class TreeDetailView(APIView):
    @extend_schema(responses=s.TreeSerializer)
    def get(self, request: Request, tree_id: int) -> Response:
        tree, role = selectors.access_tree(request.user, tree_id)
        return Response(_tree_out(request, tree, role))

    @extend_schema(request=s.TreeUpdateSerializer, responses=s.TreeSerializer)
    def patch(self, request: Request, tree_id: int) -> Response:
        tree, role = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(s.TreeUpdateSerializer, request.data)
        tree = actions.tree_update(tree=tree, **data)
        return Response(_tree_out(request, tree, role))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        actions.tree_delete(tree=tree)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TreeLeaveView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Leave a tree shared with me")
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        actions.tree_leave(tree=tree, user_id=request.user.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(APIView):
    @extend_schema(responses=s.MemberSerializer(many=True))
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        members = Membership.objects.filter(tree=tree).select_related("user").order_by("id")
        return Response(s.MemberSerializer(members, many=True).data)

    @extend_schema(request=s.MemberAddSerializer, responses={201: s.MemberSerializer})
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        data = _valid(s.MemberAddSerializer, request.data)
        membership = actions.member_add(tree=tree, **data)
        return Response(s.MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    @extend_schema(request=s.MemberRoleSerializer, responses=s.MemberSerializer)
    def patch(self, request: Request, tree_id: int, user_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        data = _valid(s.MemberRoleSerializer, request.data)
        membership = actions.member_set_role(tree=tree, user_id=user_id, role=data["role"])
        return Response(s.MemberSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, tree_id: int, user_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        actions.member_remove(tree=tree, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SnapshotView(APIView):
    @extend_schema(responses=s.SnapshotSerializer, summary="The whole tree at its version")
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        return Response(actions.tree_snapshot(tree_id=tree.pk))


class OpsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("since", int, description="Last seq you have (default 0)")],
        responses=s.OpsPageSerializer,
        summary="Read the operation log after a seq",
    )
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        raw = request.query_params.get("since", "0")
        try:
            since = int(raw)
        except ValueError:
            raise ActionError("invalid", "since must be an integer.") from None
        if since < 0:
            raise ActionError("invalid", "since must be >= 0.")
        ops = selectors.ops_since(tree.pk, since, limit=MAX_CATCH_UP_OPS + 1)
        more = len(ops) > MAX_CATCH_UP_OPS
        return Response({"seq": tree.version, "ops": ops[:MAX_CATCH_UP_OPS], "more": more})

    @extend_schema(
        request=s.OpSubmitSerializer,
        responses={200: s.OpResultSerializer, 400: s.ErrorSerializer, 409: s.ErrorSerializer},
        summary="Submit one operation (same write path as the websocket)",
    )
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(s.OpSubmitSerializer, request.data)
        result = actions.tree_apply_op(
            tree_id=tree.pk,
            actor_id=request.user.pk,
            client_id=data["client_id"],
            n=data["n"],
            op=data["op"],
        )
        return Response(
            {"seq": result.seq, "dup": result.dup, "overwrote": result.overwrote, "op": result.op}
        )
