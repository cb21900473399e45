"""Action layer: workshops (create, open/close, join, reset a participant's access, remove a
participant), first passwords, self sign-up and tree share links (docs/security.md).

Joining makes an account when the visitor is signed out: a generated username, an unusable
password, no email; the view signs it in by session. Such an account (`account_made_here`) is
the only kind a facilitator may reset or close: an account of one's own that joined a workshop
is never handed to the facilitator.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trees import selectors
from trees.actions.accounts import _end_sessions, _set_password, key_hash
from trees.actions.trees import _lock_tree
from trees.domain.errors import ActionError
from trees.models import (
    ApiToken,
    ExerciseTree,
    Membership,
    Role,
    ShareLink,
    Tree,
    Workshop,
    WorkshopParticipant,
    WorkshopRole,
)
from trees.realtime.broadcast import (
    broadcast_access_changed,
    broadcast_workshop,
    broadcast_workshop_access,
)
from trees.selectors import display_name as shown_name

# Letters only, without the ones read or heard ambiguously (I/L, O, U/V): a code is read aloud.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 6
# A one-time sign-in link made by a facilitator is good for this long.
ACCESS_LINK_TTL = timedelta(hours=24)
_NAME_MAX = 60
_TITLE_MAX = 200


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ActionError("invalid", "A workshop needs a title.")
    if len(title) > _TITLE_MAX:
        raise ActionError("too_large", f"Titles are at most {_TITLE_MAX} characters.")
    return title.strip()


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ActionError("invalid", "Pick a display name.")
    clean = " ".join(name.split())
    if len(clean) > _NAME_MAX:
        raise ActionError("too_large", f"Display names are at most {_NAME_MAX} characters.")
    if any(not ch.isprintable() for ch in clean):
        raise ActionError("invalid", "A display name is printable text.")
    return clean


def _seat_name(user: Any) -> str:
    """The name a facilitator who gave none sits under: the one their trees show them by, cut
    to fit a seat (an account's name may be longer than a display name can be)."""
    shown = "".join(ch for ch in " ".join(shown_name(user).split()) if ch.isprintable())
    return shown[:_NAME_MAX].rstrip() or str(user.get_username())[:_NAME_MAX]


def normalise_code(code: str) -> str:
    """What a person typed, as stored: case and spaces or dashes between letters ignored."""
    return re.sub(r"[\s-]+", "", code).upper()


def _new_code() -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Workshop.objects.filter(code=code).exists():
            return code
    raise ActionError("internal", "Could not find a free workshop code; try again.")


def workshop_create(*, user: Any, title: object, display_name: object = None) -> Workshop:
    """A new open workshop with `user` as its facilitator, seated under `display_name`, else
    under the name their trees show them by (not the username: one person, one name)."""
    clean_title = _clean_title(title)
    name = _clean_name(display_name) if display_name else _seat_name(user)
    with transaction.atomic():
        workshop = Workshop.objects.create(
            title=clean_title,
            code=_new_code(),
            join_token=secrets.token_urlsafe(32),
            created_by=user,
        )
        WorkshopParticipant.objects.create(
            workshop=workshop, user=user, display_name=name, role=WorkshopRole.FACILITATOR
        )
        if display_name:
            _name_account(user, name)
    return workshop


def workshop_update(*, workshop: Workshop, title: object = None, open: object = None) -> Workshop:
    fields = []
    if title is not None:
        workshop.title = _clean_title(title)
        fields.append("title")
    if open is not None:
        if not isinstance(open, bool):
            raise ActionError("invalid", "open must be true or false.")
        workshop.open = open
        fields.append("open")
    if fields:
        workshop.save(update_fields=fields)
    return workshop


def workshop_for_join(*, code: object = None, token: object = None) -> Workshop:
    """The open workshop a join code or join link names. Unknown ones are `not_found`; closed
    ones `workshop_closed` (the link was real: say why it no longer works)."""
    workshop = None
    if isinstance(token, str) and token:
        workshop = Workshop.objects.filter(join_token=token[:64]).first()
    elif isinstance(code, str) and code:
        workshop = Workshop.objects.filter(code=normalise_code(code)[:16]).first()
    else:
        raise ActionError("invalid", "Give the workshop's code or its join link.")
    if workshop is None:
        raise ActionError("not_found", "No workshop with this code or link.")
    if not workshop.open:
        raise ActionError("workshop_closed", "This workshop no longer takes new participants.")
    return workshop


def _new_username(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:20] or "guest"
    users = get_user_model().objects
    for _ in range(20):
        username = f"{slug}-{secrets.token_hex(3)}"
        if not users.filter(username=username).exists():
            return username
    raise ActionError("internal", "Could not find a free username; try again.")


def _guest_account(name: str) -> Any:
    """An account for someone with no account, made by a workshop join or a tree's share
    link: a generated username, an unusable password, no email, named by the display name
    given. The view signs the session in to it; a first password may come later."""
    user = get_user_model()(username=_new_username(name), first_name=name[:150])
    user.set_unusable_password()
    user.save()
    return user


def _name_account(user: Any, name: str) -> None:
    """An account with no name takes the one given here, so that its other trees and the
    session show it, not the username (trees.selectors.display_name). An account's own name
    is kept (it may be in several workshops): this workshop's trees show the seat's name
    anyway (trees.selectors.people_in_tree)."""
    if not user.get_full_name().strip():
        user.first_name = name[:150]
        user.save(update_fields=["first_name"])


def workshop_join(
    *, workshop: Workshop, user: Any, display_name: object
) -> tuple[WorkshopParticipant, bool]:
    """Join `workshop` as a participant. A signed-in user joins as themself (joining again
    returns their seat); a signed-out visitor gets a new account with an unusable password.
    Returns the seat and whether an account was made (the view signs it in)."""
    name = _clean_name(display_name)
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        seat = WorkshopParticipant.objects.filter(workshop=workshop, user=user).first()
        if seat is not None:
            return seat, False
    try:
        with transaction.atomic():
            if WorkshopParticipant.objects.filter(workshop=workshop, display_name=name).exists():
                raise ActionError(
                    "name_taken", f"Someone in this workshop is already called {name!r}."
                )
            if not signed_in:
                user = _guest_account(name)
            seat = WorkshopParticipant.objects.create(
                workshop=workshop,
                user=user,
                display_name=name,
                role=WorkshopRole.PARTICIPANT,
                account_made_here=not signed_in,
            )
            _name_account(user, name)
            workshop_id = workshop.pk
            transaction.on_commit(lambda: broadcast_workshop(workshop_id, {"type": "participants"}))
    except IntegrityError:
        # Two people took the same name at the same moment: the second one is told so.
        raise ActionError(
            "name_taken", f"Someone in this workshop is already called {name!r}."
        ) from None
    return seat, not signed_in


def _seat(workshop: Workshop, participant_id: int) -> WorkshopParticipant:
    seat = WorkshopParticipant.objects.filter(workshop=workshop, pk=participant_id).first()
    if seat is None:
        raise ActionError("not_found", "No such participant.")
    return seat


def _revoke_all(user_id: int) -> None:
    ApiToken.objects.filter(user_id=user_id).delete()
    _end_sessions(user_id)


def participant_reset_access(*, workshop: Workshop, participant_id: int) -> tuple[str, datetime]:
    """A new one-time sign-in key for an account this workshop made (the old key, the password,
    every session and token of that account stop working). Returns the key, shown once, and
    its expiry."""
    with transaction.atomic():
        seat = _seat(workshop, participant_id)
        if not seat.account_made_here:
            raise ActionError(
                "forbidden",
                "This account was not made by joining this workshop; its owner signs in as usual.",
            )
        key = secrets.token_urlsafe(32)
        seat.access_hash = key_hash(key)
        seat.access_expires_at = timezone.now() + ACCESS_LINK_TTL
        seat.save(update_fields=["access_hash", "access_expires_at"])
        user = seat.user
        user.set_unusable_password()
        user.save(update_fields=["password"])
        _revoke_all(user.pk)
    return key, seat.access_expires_at


def access_redeem(*, key: object) -> Any:
    """The user a one-time sign-in key belongs to; the key is used up."""
    if not isinstance(key, str) or not key:
        raise ActionError("invalid", "key is required.")
    with transaction.atomic():
        seat = (
            WorkshopParticipant.objects.select_for_update()
            .select_related("user")
            .filter(access_hash=key_hash(key))
            .first()
        )
        if seat is None:
            raise ActionError("link_invalid", "This sign-in link was used or replaced.")
        expired = seat.access_expires_at is None or seat.access_expires_at <= timezone.now()
        seat.access_hash = ""
        seat.access_expires_at = None
        seat.save(update_fields=["access_hash", "access_expires_at"])
        if expired:
            raise ActionError("link_expired", "This sign-in link has expired; ask for a new one.")
        if not seat.user.is_active:
            raise ActionError("link_invalid", "This sign-in link was used or replaced.")
        return seat.user


def participant_remove(*, workshop: Workshop, participant_id: int) -> None:
    """Take a participant out of the workshop. An account the workshop made is closed: made
    inactive, its sessions and tokens revoked, and it leaves every tree it does not own alone
    (open sockets are told at once and closed). A facilitator cannot be removed this way."""
    tree_ids: list[int] = []
    with transaction.atomic():
        seat = _seat(workshop, participant_id)
        if seat.role == WorkshopRole.FACILITATOR:
            raise ActionError("forbidden", "A facilitator cannot be removed.")
        if seat.account_made_here:
            user = seat.user
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])
            _revoke_all(user.pk)
            memberships = Membership.objects.filter(user=user).exclude(role=Role.OWNER)
            tree_ids = list(memberships.values_list("tree_id", flat=True))
            memberships.delete()
            # Trees it owns keep their only owner; inactive, it can no longer open them.
            tree_ids += list(
                Membership.objects.filter(user=user, role=Role.OWNER).values_list(
                    "tree_id", flat=True
                )
            )
        # The workshop's trees: what the seat gave is gone with it; an account of one's own
        # also leaves the ones it was made a member of here (its own individual trees too).
        workshop_trees = list(
            ExerciseTree.objects.filter(exercise__workshop=workshop).values_list(
                "tree_id", flat=True
            )
        )
        Membership.objects.filter(user_id=seat.user_id, tree_id__in=workshop_trees).delete()
        tree_ids = sorted(set(tree_ids) | set(workshop_trees))
        seat.delete()
        workshop_id = workshop.pk

        def tell() -> None:
            for tree_id in tree_ids:
                broadcast_access_changed(tree_id)
            broadcast_workshop_access(workshop_id)
            broadcast_workshop(workshop_id, {"type": "participants"})

        transaction.on_commit(tell)


def password_set_first(*, user: Any, new_password: object) -> None:
    """A first password for an account made by joining (its password is unusable). An account
    that has a password changes it with the old one instead."""
    if user.has_usable_password():
        raise ActionError(
            "forbidden", "This account already has a password; change it with the old one."
        )
    _set_password(user, new_password)


def signup(*, username: object, password: object) -> Any:
    """Self sign-up, only when GAMETREE_SELF_SIGNUP is on."""
    if not settings.GAMETREE_SELF_SIGNUP:
        raise ActionError("signup_closed", "Sign-up is closed here; join a workshop's link.")
    if not isinstance(username, str) or not re.fullmatch(r"[\w.@+-]{1,150}", username):
        raise ActionError("invalid", "A username is letters, digits and @ . + - _ only.")
    if not isinstance(password, str) or not password:
        raise ActionError("invalid", "password is required.")
    users = get_user_model().objects
    try:
        password_validation.validate_password(password, users.model(username=username))
    except ValidationError as exc:
        raise ActionError("invalid", " ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            if users.filter(username__iexact=username).exists():
                raise ActionError("conflict", "This username is taken.")
            return users.create_user(username=username, password=password)
    except IntegrityError:
        raise ActionError("conflict", "This username is taken.") from None


# ---- tree share links ---------------------------------------------------------------------

_ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


def sharelink_create(
    *, tree: Tree, user: Any, role: object, expires_at: object = None
) -> ShareLink:
    if role not in (Role.EDITOR, Role.VIEWER):
        raise ActionError("invalid", "A share link's role is editor or viewer.")
    if expires_at is not None:
        if not isinstance(expires_at, datetime):
            raise ActionError("invalid", "expires_at must be a date and time.")
        if expires_at <= timezone.now():
            raise ActionError("invalid", "expires_at must be in the future.")
    return ShareLink.objects.create(
        tree=tree,
        token=secrets.token_urlsafe(32),
        role=str(role),
        created_by=user,
        expires_at=expires_at,
    )


def sharelink_revoke(*, tree: Tree, link_id: int) -> None:
    """Stop the link granting anything (memberships it granted stay)."""
    updated = ShareLink.objects.filter(tree=tree, pk=link_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated and not ShareLink.objects.filter(tree=tree, pk=link_id).exists():
        raise ActionError("not_found", "No such link.")


def _live_link(token: object) -> ShareLink:
    """The share link `token` names, if it still grants anything."""
    if not isinstance(token, str) or not token:
        raise ActionError("invalid", "token is required.")
    link = ShareLink.objects.filter(token=token[:64]).first()
    if link is None:
        raise ActionError("not_found", "No such share link.")
    if link.revoked_at is not None:
        raise ActionError("link_revoked", "This share link was revoked.")
    if link.expires_at is not None and link.expires_at <= timezone.now():
        raise ActionError("link_expired", "This share link has expired.")
    return link


def sharelink_redeem(*, user: Any, token: object) -> tuple[Membership, bool]:
    """Make the signed-in `user` a member of the link's tree with the link's role. A member
    already there keeps a role at least as high (an editor opening a viewer link stays an
    editor; a viewer opening an editor link becomes one). Returns the membership and whether
    it changed."""
    link = _live_link(token)
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            tree_id=link.tree_id, user=user, defaults={"role": link.role}
        )
        changed = created
        if not created and _ROLE_RANK[Role(membership.role)] < _ROLE_RANK[Role(link.role)]:
            membership.role = link.role
            membership.save(update_fields=["role"])
            changed = True
        if changed:
            tree_id = link.tree_id
            transaction.on_commit(lambda: broadcast_access_changed(tree_id))
    return membership, changed


def sharelink_enter(
    *, user: Any, token: object, display_name: object
) -> tuple[Membership, Any, bool]:
    """Open a share link signed in or not. Signed in: exactly `sharelink_redeem` (the name is
    not used: one's trees show one by one's account). Signed out: a guest, like a workshop
    seat without an account (`_guest_account`), made a member with the link's role, unless
    GAMETREE_SHARE_GUESTS is off (`signup_closed`). The name is cleaned like a seat's and may
    not be the name or username of a member of the tree, in any case (`name_taken`: two
    "Ada"s in one tree's presence and history could not be told apart, and a guest must not
    pass for the owner by their username). Returns the
    membership, its user and whether an account was made (the view signs it in)."""
    if user is not None and user.is_authenticated:
        membership, _ = sharelink_redeem(user=user, token=token)
        return membership, user, False
    link = _live_link(token)
    if not settings.GAMETREE_SHARE_GUESTS:
        raise ActionError(
            "signup_closed", "Guests cannot open share links here: sign in first, then open it."
        )
    name = _clean_name(display_name)
    with transaction.atomic():
        # The tree's row lock: two guests typing the same name at once are checked one after
        # the other, so only the first gets it (a no-op on SQLite, whose writers queue).
        _lock_tree(link.tree)
        rows = Membership.objects.filter(tree_id=link.tree_id).select_related("user")
        members = [m.user for m in rows]
        shown = selectors.people_in_tree(link.tree_id, members).values()
        taken = {p["name"].casefold() for p in shown} | {p["username"].casefold() for p in shown}
        if name.casefold() in taken:
            raise ActionError("name_taken", f"Someone in this tree is already called {name!r}.")
        guest = _guest_account(name)
        membership = Membership.objects.create(tree_id=link.tree_id, user=guest, role=link.role)
        tree_id = link.tree_id
        transaction.on_commit(lambda: broadcast_access_changed(tree_id))
    return membership, guest, True
