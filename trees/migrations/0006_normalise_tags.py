"""Tags in their one spelling ("#Goodhart" = "goodhart", "scalable oversight" =
"scalable-oversight"): the rule of `trees.domain.tags`, copied here so this migration keeps
doing what it did if that module changes. The op log is left as it was: replaying it applies
the same rule (`validate.tags_value`), so it still replays to the stored nodes."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

_SEPARATORS = re.compile(r"[\s_\-]+")


def _norm(raw: str) -> str:
    return _SEPARATORS.sub("-", raw.strip().lstrip("#").lower()).strip("-")


def normalise_tags(apps: Any, schema_editor: Any) -> None:
    Node = apps.get_model("trees", "Node")
    changed = []
    for node in Node.objects.only("pk", "tags").iterator(chunk_size=2000):
        tags = list(dict.fromkeys(t for t in (_norm(str(t)) for t in node.tags or ()) if t))
        if tags != node.tags:
            node.tags = tags
            changed.append(node)
        if len(changed) >= 500:
            Node.objects.bulk_update(changed, ["tags"])
            changed = []
    if changed:
        Node.objects.bulk_update(changed, ["tags"])


class Migration(migrations.Migration):
    dependencies = [("trees", "0005_tree_created_by")]

    operations = [migrations.RunPython(normalise_tags, migrations.RunPython.noop)]
