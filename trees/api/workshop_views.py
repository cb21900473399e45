"""REST layer (thin): workshops, joining, one-time sign-in links, first passwords, sign-up and
tree share links. Rules live in trees/actions/workshops.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from trees import selectors
from trees.actions import workshop_groups
from trees.actions import workshops as w
from trees.api import serializers as s
from trees.api import workshop_serializers as ws
from trees.api.views import _valid
from trees.domain.errors import ActionError
from trees.models import Workshop, WorkshopParticipant, WorkshopRole

_CSRF = SessionAuthentication()
# Sessions made here name ModelBackend like every other session (trees/loginguard.py).
_BACKEND = "django.contrib.auth.backends.ModelBackend"


class JoinThrottle(SimpleRateThrottle):
    """Joins, sign-in links and sign-ups per client address (signed in or not), so that codes
    cannot be guessed fast nor accounts made in bulk. Per process, in the local cache."""

    scope = "join"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _check_csrf(request: Request) -> None:
    # DRF checks CSRF only for signed-in sessions; a request that signs someone in must check
    # it too, or a page elsewhere could sign the visitor into an account of its choosing.
    try:
        _CSRF.enforce_csrf(request)
    except exceptions.PermissionDenied:
        raise ActionError("forbidden", "CSRF check failed: GET /api/auth/csrf/ first.") from None


def _workshop_out(workshop: Workshop, seat: WorkshopParticipant) -> dict[str, Any]:
    facilitator = seat.role == WorkshopRole.FACILITATOR
    return {
        "id": workshop.pk,
        "title": workshop.title,
        "open": workshop.open,
        "created_at": workshop.created_at,
        "role": seat.role,
        "display_name": seat.display_name,
        "code": workshop.code if facilitator else None,
        "join_token": workshop.join_token if facilitator else None,
    }


class WorkshopListView(APIView):
    @extend_schema(responses=s.WorkshopSerializer(many=True), summary="Workshops I am in")
    def get(self, request: Request) -> Response:
        rows = [
            _workshop_out(seat.workshop, seat)
            for seat in selectors.workshops_for_user(request.user)
        ]
        return Response(s.WorkshopSerializer(rows, many=True).data)

    @extend_schema(
        request=s.WorkshopCreateSerializer,
        responses={201: s.WorkshopSerializer},
        summary="Create a workshop (I am its facilitator)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.WorkshopCreateSerializer, request.data)
        workshop = w.workshop_create(user=request.user, **data)
        _, seat = selectors.access_workshop(request.user, workshop.pk)
        return Response(
            s.WorkshopSerializer(_workshop_out(workshop, seat)).data,
            status=status.HTTP_201_CREATED,
        )


class WorkshopDetailView(APIView):
    @extend_schema(responses=s.WorkshopSerializer)
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id)
        return Response(s.WorkshopSerializer(_workshop_out(workshop, seat)).data)

    @extend_schema(
        request=s.WorkshopUpdateSerializer,
        responses=s.WorkshopSerializer,
        summary="Rename, close or reopen a workshop (facilitators)",
    )
    def patch(self, request: Request, workshop_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(s.WorkshopUpdateSerializer, request.data)
        workshop = w.workshop_update(workshop=workshop, **data)
        return Response(s.WorkshopSerializer(_workshop_out(workshop, seat)).data)


class ParticipantListView(APIView):
    @extend_schema(responses=s.ParticipantSerializer(many=True), summary="Who is in the workshop")
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id)
        return Response(
            s.ParticipantSerializer(selectors.participants_of(workshop), many=True).data
        )


class ParticipantDetailView(APIView):
    @extend_schema(
        request=ws.ParticipantMoveSerializer,
        responses=ws.ParticipantMovedSerializer,
        summary="Move a participant to a group, or to none (facilitators)",
        description=(
            "Drag and drop. They can open the new group's trees at once (they become members "
            "of its group trees) and lose the old group's (their open sockets on those trees "
            "are closed). Their individual trees of rounds not ended yet move with them, so "
            "the new group's merge includes them; a round that has ended was merged where it "
            "was and its tree stays: `trees` and `message` say which."
        ),
    )
    def patch(self, request: Request, workshop_id: int, participant_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.ParticipantMoveSerializer, request.data)
        moved = workshop_groups.participant_move(
            workshop=workshop, participant_id=participant_id, group_id=data["group"]
        )
        return Response(
            {
                **s.ParticipantSerializer(moved.seat).data,
                "trees": ws.TreeFateSerializer(moved.trees, many=True).data,
                "message": moved.message,
            }
        )

    @extend_schema(
        responses={204: None},
        summary="Remove a participant (facilitators)",
        description=(
            "An account made by joining this workshop is closed at once: inactive, sessions "
            "and tokens revoked, out of every tree it does not own, its open sockets closed."
        ),
    )
    def delete(self, request: Request, workshop_id: int, participant_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        w.participant_remove(workshop=workshop, participant_id=participant_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ParticipantResetView(APIView):
    @extend_schema(
        request=None,
        responses={200: s.AccessLinkSerializer},
        summary="Reset a participant's access (facilitators)",
        description=(
            "Only for accounts made by joining this workshop: a new one-time sign-in key "
            "(24 hours); the account's password, sessions, tokens and earlier key stop working."
        ),
    )
    def post(self, request: Request, workshop_id: int, participant_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        key, expires_at = w.participant_reset_access(
            workshop=workshop, participant_id=participant_id
        )
        return Response({"key": key, "expires_at": expires_at})


class JoinView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [JoinThrottle]

    @extend_schema(
        request=s.JoinSerializer,
        responses={200: s.JoinResultSerializer, 404: s.ErrorSerializer, 409: s.ErrorSerializer},
        summary="Join a workshop by its link's token or its code",
        description=(
            "Signed in: I join as myself. Signed out: an account is made for me (no password, "
            "no email) and this session is signed in to it; I can set a password later with "
            "POST /api/auth/password/set/."
        ),
    )
    def post(self, request: Request) -> Response:
        _check_csrf(request)
        data = _valid(s.JoinSerializer, request.data)
        workshop = w.workshop_for_join(code=data.get("code"), token=data.get("token"))
        seat, made = w.workshop_join(
            workshop=workshop, user=request.user, display_name=data["display_name"]
        )
        if made:
            login(request._request, seat.user, backend=_BACKEND)
        return Response(
            {
                "workshop": _workshop_out(workshop, seat),
                "participant": s.ParticipantSerializer(seat).data,
                "user": selectors.user_ref(seat.user),
                "account_created": made,
            }
        )


class AccessView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [JoinThrottle]

    @extend_schema(
        request=s.AccessRedeemSerializer,
        responses={200: s.UserRefSerializer, 410: s.ErrorSerializer},
        summary="Sign in with a one-time sign-in key from a facilitator",
    )
    def post(self, request: Request) -> Response:
        _check_csrf(request)
        data = _valid(s.AccessRedeemSerializer, request.data)
        user = w.access_redeem(key=data["key"])
        login(request._request, user, backend=_BACKEND)
        return Response(selectors.user_ref(user))


class PasswordSetView(APIView):
    @extend_schema(
        request=s.PasswordSetSerializer,
        responses={204: None, 403: s.ErrorSerializer},
        summary="Set a first password (accounts made by joining)",
        description="Needs the session (not a token) of an account that has no password yet.",
    )
    def post(self, request: Request) -> Response:
        if request.auth is not None or not request.session.session_key:
            raise ActionError("forbidden", "Setting a first password needs the signed-in session.")
        data = _valid(s.PasswordSetSerializer, request.data)
        user = request.user
        if not user.is_authenticated:
            raise ActionError("not_authenticated", "Sign in first.")
        w.password_set_first(user=user, new_password=data["new_password"])
        update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignupView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [JoinThrottle]

    @extend_schema(
        request=s.SignupSerializer,
        responses={201: s.UserRefSerializer, 403: s.ErrorSerializer},
        summary="Make an account (only when GAMETREE_SELF_SIGNUP is on)",
    )
    def post(self, request: Request) -> Response:
        _check_csrf(request)
        data = _valid(s.SignupSerializer, request.data)
        user = w.signup(username=data["username"], password=data["password"])
        login(request._request, user, backend=_BACKEND)
        return Response(selectors.user_ref(user), status=status.HTTP_201_CREATED)


def _link_out(link: Any) -> dict[str, Any]:
    return dict(s.ShareLinkSerializer(link).data)


class ShareLinkListView(APIView):
    @extend_schema(responses=s.ShareLinkSerializer(many=True), summary="A tree's share links")
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        return Response([_link_out(link) for link in selectors.share_links_of(tree)])

    @extend_schema(
        request=s.ShareLinkCreateSerializer,
        responses={201: s.ShareLinkSerializer},
        summary="Make a share link (owners)",
    )
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        data = _valid(s.ShareLinkCreateSerializer, request.data)
        link = w.sharelink_create(
            tree=tree, user=request.user, role=data["role"], expires_at=data.get("expires_at")
        )
        return Response(_link_out(link), status=status.HTTP_201_CREATED)


class ShareLinkDetailView(APIView):
    @extend_schema(
        responses={204: None},
        summary="Revoke a share link (owners)",
        description="Memberships the link granted stay; remove those members to end them.",
    )
    def delete(self, request: Request, tree_id: int, link_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.ADMIN)
        w.sharelink_revoke(tree=tree, link_id=link_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShareRedeemView(APIView):
    @extend_schema(
        request=s.ShareRedeemSerializer,
        responses={
            200: s.ShareRedeemResultSerializer,
            404: s.ErrorSerializer,
            410: s.ErrorSerializer,
        },
        summary="Open a share link: become a member of its tree",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ShareRedeemSerializer, request.data)
        membership, changed = w.sharelink_redeem(user=request.user, token=data["token"])
        return Response({"tree": membership.tree_id, "role": membership.role, "changed": changed})


class ShareEnterView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [JoinThrottle]

    @extend_schema(
        request=s.ShareEnterSerializer,
        responses={
            200: s.ShareEnterResultSerializer,
            403: s.ErrorSerializer,
            404: s.ErrorSerializer,
            409: s.ErrorSerializer,
            410: s.ErrorSerializer,
        },
        summary="Open a share link signed in or not (as a guest under a display name)",
        description=(
            "Signed in: like POST /api/share/ (display_name unused). Signed out: a guest "
            "account is made (no password, no email), named display_name, made a member with "
            "the link's role, and this session is signed in to it. 409 name_taken when a "
            "member of the tree is shown by that name; 403 signup_closed when "
            "GAMETREE_SHARE_GUESTS is off."
        ),
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            _check_csrf(request)  # it signs in (signed-in sessions DRF checks itself)
        data = _valid(s.ShareEnterSerializer, request.data)
        membership, user, made = w.sharelink_enter(
            user=request.user, token=data["token"], display_name=data.get("display_name")
        )
        if made:
            login(request._request, user, backend=_BACKEND)
        return Response(
            {
                "tree": membership.tree_id,
                "role": membership.role,
                "user": selectors.user_ref(user),
                "account_created": made,
            }
        )
