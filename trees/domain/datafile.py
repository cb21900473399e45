"""Domain layer helper: read a YAML data file shipped with the package, and check its shape.

Data that people edit (the demo trees, the failure-mode vocabulary) lives in YAML files next
to the small modules that load them. Every mistake in such a file is a `DataFileError` that
names the file and the place in it ("modes[3].cues[2]: expected text, got 12"), raised when
the file is loaded, never a KeyError somewhere later.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (about ten times faster), else Python's.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(ValueError):
    """A shipped data file that cannot be read or does not have the expected shape."""


def read_yaml(path: Path) -> Any:
    """The parsed contents of `path` (plain dicts, lists, strings and numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path}: not valid YAML: {exc}") from exc


class Reader:
    """Typed access to parsed YAML, every failure naming the file and the path inside it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> DataFileError:
        return DataFileError(f"{self.path.name}: {where}: {problem}")

    def mapping(
        self,
        value: object,
        where: str,
        *,
        required: frozenset[str] | set[str] = frozenset(),
        optional: frozenset[str] | set[str] = frozenset(),
    ) -> Mapping[str, Any]:
        """`value` as a mapping with every `required` key and, when any key is named, no key
        outside `required` and `optional` (a misspelt key is an error, not a silent default)."""
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected a mapping, got {_what(value)}")
        missing = set(required) - set(value)
        if missing:
            raise self.fail(where, f"missing {', '.join(sorted(missing))}")
        unknown = set(value) - set(required) - set(optional)
        if unknown and (required or optional):
            raise self.fail(where, f"unknown key {', '.join(sorted(map(str, unknown)))}")
        return value

    def items(self, value: object, where: str) -> list[Any]:
        """`value` as a list."""
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_what(value)}")
        return value

    def text(self, value: object, where: str, *, blank: bool = False) -> str:
        """`value` as a string (non-empty unless `blank`)."""
        if not isinstance(value, str):
            raise self.fail(where, f"expected text, got {_what(value)}")
        if not blank and not value.strip():
            raise self.fail(where, "must not be empty")
        return value

    def texts(self, value: object, where: str) -> list[str]:
        """`value` as a list of non-empty strings."""
        return [self.text(v, f"{where}[{i}]") for i, v in enumerate(self.items(value, where))]


def _what(value: object) -> str:
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"[:60]
