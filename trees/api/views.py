"""REST layer (thin): validate input, call one selector or action, serialise the result."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from trees import actions, loginguard, selectors
from trees.actions import accounts
from trees.api import serializers as s
from trees.domain.errors import ActionError
from trees.models import ApiToken, Membership
from trees.realtime.reads import MAX_CATCH_UP_OPS

_CSRF = SessionAuthentication()


class LoginThrottle(SimpleRateThrottle):
    """Sign-in attempts per client address, signed in or not (DRF's anonymous throttle let
    a caller with a session or token guess without limit). Per process, in the local cache:
    a cheap first bound; `trees.loginguard` holds the shared per-account and per-address
    limits."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


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
        return Response(selectors.user_ref(user))


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=None,
        responses={204: None},
        description=(
            "Ends the session, revokes the token the request came with and the tokens "
            "obtained while signed in with this session."
        ),
    )
    def post(self, request: Request) -> Response:
        accounts.logout_revoke(token=request.auth, session_key=request.session.session_key)
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=s.UserRefSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.user_ref(request.user))


class SessionView(APIView):
    """Who the caller is, for the web client's first request: signed out is an answer here,
    not an error (a 401 would show in every signed-out visitor's browser console). The other
    endpoints, `/api/auth/me/` included, keep answering 401 to a caller not signed in."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: s.SessionSerializer, 401: s.ErrorSerializer},
        summary="Whether the caller is signed in, and as whom",
        description=(
            "Always 200 for a session or no credentials: `{authenticated: false, user: null}` "
            "when signed out. A bad `Authorization: Token` header is still 401."
        ),
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            return Response({"authenticated": False, "user": None})
        return Response({"authenticated": True, "user": selectors.user_ref(request.user)})


class TokenView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=s.LoginSerializer,
        responses={200: s.TokenSerializer, 400: s.ErrorSerializer},
        description=(
            "A new API token (each call makes one; the oldest go past "
            "GAMETREE_MAX_TOKENS_PER_USER). It expires GAMETREE_TOKEN_DAYS after it is made."
        ),
    )
    def post(self, request: Request) -> Response:
        user = _authenticate(request)
        token, key = accounts.token_create(
            user_id=user.pk, session_key=request.session.session_key or ""
        )
        return Response({"token": key, "id": token.pk, "expires_at": token.expires_at})


class TokenListView(APIView):
    @extend_schema(responses=s.TokenInfoSerializer(many=True), summary="My live API tokens")
    def get(self, request: Request) -> Response:
        current = request.auth.pk if isinstance(request.auth, ApiToken) else None
        rows = [
            {
                "id": t.pk,
                "prefix": t.prefix,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "current": t.pk == current,
            }
            for t in accounts.tokens_of(selectors.user_id_of(request.user))
        ]
        return Response(s.TokenInfoSerializer(rows, many=True).data)


class TokenDetailView(APIView):
    @extend_schema(responses={204: None, 404: s.ErrorSerializer}, summary="Revoke my token")
    def delete(self, request: Request, token_id: int) -> Response:
        accounts.token_revoke(user_id=selectors.user_id_of(request.user), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(APIView):
    @extend_schema(
        request=s.PasswordChangeSerializer,
        responses={204: None, 400: s.ErrorSerializer, 429: s.ErrorSerializer},
        summary="Change my password",
        description=(
            "Needs the old password (a wrong one counts as a failed sign-in). Revokes my "
            "other tokens and ends my other sessions; this session or token stays signed in."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.PasswordChangeSerializer, request.data)
        accounts.password_change(
            user=request.user,
            old_password=data["old_password"],
            new_password=data["new_password"],
            keep_token=request.auth,
            address=loginguard.address_of(request),
        )
        user = request.user
        if request.session.session_key and request.auth is None and user.is_authenticated:
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _authenticate(request: Request) -> Any:
    data = _valid(s.LoginSerializer, request.data)
    user = authenticate(request, username=data["username"], password=data["password"])
    if user is None:
        refused = loginguard.refusal_of(request)
        if refused is not None:
            raise ActionError(refused.code, refused.message, retry_after=refused.retry_after)
        raise ActionError("invalid_credentials", "Wrong username or password.")
    return user


def _valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def tree_context(trees: list[Any], roles: dict[int, str]) -> dict[str, Any]:
    """What TreeSerializer needs to write `trees`: the caller's `roles` and the owners'
    names (one query for all the trees)."""
    return {"roles": roles, "owners": selectors.owners_in_trees(trees)}


def _tree_out(tree: Any, role: str) -> dict[str, Any]:
    return dict(s.TreeSerializer(tree, context=tree_context([tree], {tree.pk: role})).data)


class TreeListView(APIView):
    @extend_schema(responses=s.TreeSerializer(many=True), summary="Trees I am a member of")
    def get(self, request: Request) -> Response:
        trees = list(selectors.trees_for_user(request.user))
        roles = selectors.role_map(request.user, [t.pk for t in trees])
        context = tree_context(trees, roles)
        return Response(s.TreeSerializer(trees, many=True, context=context).data)

    @extend_schema(request=s.TreeCreateSerializer, responses={201: s.TreeSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.TreeCreateSerializer, request.data)
        tree = actions.tree_create(owner_id=selectors.user_id_of(request.user), **data)
        return Response(_tree_out(tree, "owner"), status=status.HTTP_201_CREATED)


def _tree_detail(tree: Any, role: str) -> dict[str, Any]:
    context = tree_context([tree], {tree.pk: role})
    context["workshop"] = selectors.workshop_of_tree(tree.pk)
    return dict(s.TreeDetailSerializer(tree, context=context).data)


class TreeDetailView(APIView):
    @extend_schema(responses=s.TreeDetailSerializer)
    def get(self, request: Request, tree_id: int) -> Response:
        tree, role = selectors.access_tree(request.user, tree_id)
        return Response(_tree_detail(tree, role))

    @extend_schema(request=s.TreeUpdateSerializer, responses=s.TreeDetailSerializer)
    def patch(self, request: Request, tree_id: int) -> Response:
        tree, role = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(s.TreeUpdateSerializer, request.data)
        tree = actions.tree_update(tree=tree, **data)
        return Response(_tree_detail(tree, role))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        actions.tree_delete(tree=tree)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TreeLeaveView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Leave a tree shared with me")
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        actions.tree_leave(tree=tree, user_id=selectors.user_id_of(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _members_out(tree_id: int, members: list[Membership]) -> list[dict[str, Any]]:
    names = selectors.people_in_tree(tree_id, [m.user for m in members])
    return list(s.MemberSerializer(members, many=True, context={"names": names}).data)


class MemberListView(APIView):
    @extend_schema(responses=s.MemberSerializer(many=True))
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        members = Membership.objects.filter(tree=tree).select_related("user").order_by("id")
        return Response(_members_out(tree.pk, list(members)))

    @extend_schema(request=s.MemberAddSerializer, responses={201: s.MemberSerializer})
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        data = _valid(s.MemberAddSerializer, request.data)
        membership = actions.member_add(tree=tree, **data)
        return Response(_members_out(tree.pk, [membership])[0], status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    @extend_schema(request=s.MemberRoleSerializer, responses=s.MemberSerializer)
    def patch(self, request: Request, tree_id: int, user_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        data = _valid(s.MemberRoleSerializer, request.data)
        membership = actions.member_set_role(tree=tree, user_id=user_id, role=data["role"])
        return Response(_members_out(tree.pk, [membership])[0])

    @extend_schema(responses={204: None})
    def delete(self, request: Request, tree_id: int, user_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        actions.member_remove(tree=tree, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SnapshotView(APIView):
    @extend_schema(responses=s.SnapshotSerializer, summary="The whole tree at its version")
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        return Response(selectors.tree_snapshot(tree_id=tree.pk))


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
            actor_id=selectors.user_id_of(request.user),
            client_id=data["client_id"],
            n=data["n"],
            op=data["op"],
        )
        return Response(
            {"seq": result.seq, "dup": result.dup, "overwrote": result.overwrote, "op": result.op}
        )
