"""Queries filter on a signed-in user's id, never on a missing one (mypy with the Django
plugin found views and selectors that passed `AnonymousUser.pk`, which is None)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from trees.api.errors import http_status
from trees.domain.errors import ActionError
from trees.selectors import trees_for_user, user_id_of


def test_an_anonymous_user_is_refused_rather_than_looked_up_as_nobody() -> None:
    with pytest.raises(ActionError) as caught:
        user_id_of(AnonymousUser())
    assert caught.value.code == "not_authenticated"
    assert http_status(caught.value.code) == 401


def test_listing_trees_for_an_anonymous_user_is_refused_not_an_empty_query() -> None:
    with pytest.raises(ActionError) as caught:
        trees_for_user(AnonymousUser())
    assert caught.value.code == "not_authenticated"


@pytest.mark.django_db
def test_a_signed_in_user_is_looked_up_by_their_own_id(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("idcheck", password="pw-idcheck-1")
    assert user_id_of(user) == user.pk
    assert isinstance(user_id_of(user), int)
