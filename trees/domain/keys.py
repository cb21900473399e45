"""Domain layer: fractional-index sibling keys.

A port of the `fractional-indexing` algorithm (the npm package of the same name) so that keys
made by the web client and by the server are the same strings and order the same way when
compared as plain byte strings.
"""

from __future__ import annotations

import math

BASE_62_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ZERO = BASE_62_DIGITS[0]
_SMALLEST_INTEGER = "A" + _ZERO * 26
MAX_KEY_LENGTH = 128


class KeyError_(ValueError):
    """A key that the algorithm cannot accept (malformed, or a >= b)."""


def _midpoint(a: str, b: str | None) -> str:
    digits = BASE_62_DIGITS
    if b is not None and a >= b:
        raise KeyError_(f"{a!r} >= {b!r}")
    if a[-1:] == _ZERO or (b is not None and b[-1:] == _ZERO):
        raise KeyError_("trailing zero")
    if b is not None:
        n = 0
        while (a[n] if n < len(a) else _ZERO) == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = digits.index(a[0]) if a else 0
    digit_b = digits.index(b[0]) if b is not None else len(digits)
    if digit_b - digit_a > 1:
        # Math.round in JavaScript rounds halves up; Python's round() would not.
        return digits[math.floor(0.5 * (digit_a + digit_b) + 0.5)]
    if b is not None and len(b) > 1:
        return b[:1]
    return digits[digit_a] + _midpoint(a[1:], None)


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise KeyError_(f"invalid order key head: {head!r}")


def _integer_part(key: str) -> str:
    length = _integer_length(key[0])
    if length > len(key):
        raise KeyError_(f"invalid order key: {key!r}")
    return key[:length]


def _validate(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or any(c not in BASE_62_DIGITS for c in key):
        raise KeyError_(f"invalid order key: {key!r}")
    if key == _SMALLEST_INTEGER:
        raise KeyError_(f"invalid order key: {key!r}")
    integer = _integer_part(key)
    if key[len(integer) :][-1:] == _ZERO:
        raise KeyError_(f"invalid order key: {key!r}")


def is_valid_key(key: object) -> bool:
    """True when `key` is a well-formed fractional-index key."""
    if not isinstance(key, str):
        return False
    try:
        _validate(key)
    except KeyError_:
        return False
    return True


def _increment_integer(x: str) -> str | None:
    head, digs = x[0], list(x[1:])
    carry = True
    for i in reversed(range(len(digs))):
        d = BASE_62_DIGITS.index(digs[i]) + 1
        if d == len(BASE_62_DIGITS):
            digs[i] = _ZERO
        else:
            digs[i] = BASE_62_DIGITS[d]
            carry = False
            break
    if carry:
        if head == "Z":
            return "a" + _ZERO
        if head == "z":
            return None
        h = chr(ord(head) + 1)
        if h > "a":
            digs.append(_ZERO)
        else:
            digs.pop()
        return h + "".join(digs)
    return head + "".join(digs)


def _decrement_integer(x: str) -> str | None:
    head, digs = x[0], list(x[1:])
    borrow = True
    for i in reversed(range(len(digs))):
        d = BASE_62_DIGITS.index(digs[i]) - 1
        if d == -1:
            digs[i] = BASE_62_DIGITS[-1]
        else:
            digs[i] = BASE_62_DIGITS[d]
            borrow = False
            break
    if borrow:
        if head == "a":
            return "Z" + BASE_62_DIGITS[-1]
        if head == "A":
            return None
        h = chr(ord(head) - 1)
        if h < "Z":
            digs.append(BASE_62_DIGITS[-1])
        else:
            digs.pop()
        return h + "".join(digs)
    return head + "".join(digs)


def key_between(a: str | None, b: str | None) -> str:
    """A key strictly between `a` and `b` (None = open end). Raises KeyError_ if a >= b."""
    if a is not None:
        _validate(a)
    if b is not None:
        _validate(b)
    if a is not None and b is not None and a >= b:
        raise KeyError_(f"{a!r} >= {b!r}")
    if a is None:
        if b is None:
            return "a" + _ZERO
        ib = _integer_part(b)
        fb = b[len(ib) :]
        if ib == _SMALLEST_INTEGER:
            return ib + _midpoint("", fb)
        if ib < b:
            return ib
        res = _decrement_integer(ib)
        if res is None:
            raise KeyError_("cannot decrement any more")
        return res
    if b is None:
        ia = _integer_part(a)
        fa = a[len(ia) :]
        i = _increment_integer(ia)
        return ia + _midpoint(fa, None) if i is None else i
    ia = _integer_part(a)
    fa = a[len(ia) :]
    ib = _integer_part(b)
    fb = b[len(ib) :]
    if ia == ib:
        return ia + _midpoint(fa, fb)
    i = _increment_integer(ia)
    if i is None:
        raise KeyError_("cannot increment any more")
    if i < b:
        return i
    return ia + _midpoint(fa, None)


def keys_after(a: str | None, count: int) -> list[str]:
    """`count` increasing keys after `a`: what an import uses to lay out siblings."""
    keys: list[str] = []
    prev = a
    for _ in range(count):
        prev = key_between(prev, None)
        keys.append(prev)
    return keys
