"""Domain layer tests: fractional-index keys behave like the npm `fractional-indexing` package."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trees.domain import key_between, keys_after
from trees.domain.keys import BASE_62_DIGITS, KeyError_, is_valid_key

# Expected values from the npm package's own test suite (generateKeyBetween).
NPM_CASES = [
    (None, None, "a0"),
    (None, "a0", "Zz"),
    (None, "Zz", "Zy"),
    ("a0", None, "a1"),
    ("a1", None, "a2"),
    ("a0", "a1", "a0V"),
    ("a1", "a2", "a1V"),
    ("a0V", "a1", "a0l"),
    ("Zz", "a0", "ZzV"),
    ("Zz", "a1", "a0"),
    (None, "Y00", "Xzzz"),
    ("bzz", None, "c000"),
    ("a0", "a0V", "a0G"),
    ("a0", "a0G", "a08"),
    ("b125", "b129", "b127"),
    ("a0", "a1V", "a1"),
    ("Zz", "a01", "a0"),
    (None, "a0V", "a0"),
    (None, "b999", "b99"),
    (None, "A000000000000000000000000001", "A000000000000000000000000000V"),
    ("zzzzzzzzzzzzzzzzzzzzzzzzzzy", None, "zzzzzzzzzzzzzzzzzzzzzzzzzzz"),
    ("zzzzzzzzzzzzzzzzzzzzzzzzzzz", None, "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"),
]


@pytest.mark.parametrize(("a", "b", "expected"), NPM_CASES)
def test_key_between_matches_the_npm_package(a: str | None, b: str | None, expected: str) -> None:
    assert key_between(a, b) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (None, "A00000000000000000000000000"),
        ("a00", None),
        ("a00", "a1"),
        ("0", "1"),
        ("a1", "a0"),
        ("a1", "a1"),
    ],
)
def test_key_between_rejects_malformed_or_unordered_keys(a: str | None, b: str | None) -> None:
    with pytest.raises(KeyError_):
        key_between(a, b)


def test_keys_after_gives_increasing_keys() -> None:
    assert keys_after(None, 3) == ["a0", "a1", "a2"]
    assert keys_after("a0", 2) == ["a1", "a2"]
    assert keys_after("a0", 0) == []


def test_is_valid_key_accepts_only_well_formed_strings() -> None:
    assert is_valid_key("a0")
    assert is_valid_key("Zz")
    assert is_valid_key("a0V")
    for bad in ("", "a", "a00", "a0 ", "é0", "0", 5, None, "a" + "1" * 128):
        assert not is_valid_key(bad), bad


_FRACTION_DIGIT = st.sampled_from(BASE_62_DIGITS)


@st.composite
def valid_keys(draw: st.DrawFn) -> str:
    """Any well-formed key: an integer part whose head gives its length, then a fraction that
    does not end in 0."""
    head = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    length = ord(head) - ord("a") + 2 if head.islower() else ord("Z") - ord(head) + 2
    integer = head + "".join(
        draw(st.lists(_FRACTION_DIGIT, min_size=length - 1, max_size=length - 1))
    )
    fraction = "".join(draw(st.lists(_FRACTION_DIGIT, max_size=6))).rstrip("0")
    key = integer + fraction
    if key == "A" + "0" * 26:  # the one integer with nothing below it
        key += "1"
    return key


@settings(max_examples=300)
@given(valid_keys(), valid_keys())
def test_key_between_is_strictly_between_as_byte_strings(x: str, y: str) -> None:
    assert is_valid_key(x) and is_valid_key(y)
    if x == y:
        return
    a, b = min(x, y), max(x, y)
    key = key_between(a, b)
    assert is_valid_key(key)
    assert a.encode() < key.encode() < b.encode()
    assert a < key_between(a, None)
    assert key_between(None, b) < b


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=60))
def test_repeated_insertions_keep_a_sorted_list_of_distinct_keys(positions: list[int]) -> None:
    keys: list[str] = []
    for position in positions:
        i = position % (len(keys) + 1)
        left = keys[i - 1] if i > 0 else None
        right = keys[i] if i < len(keys) else None
        keys.insert(i, key_between(left, right))
    assert keys == sorted(keys, key=str.encode)
    assert len(set(keys)) == len(keys)
    assert all(is_valid_key(k) for k in keys)
