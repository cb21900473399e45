"""Formats layer: the workshop's lossless JSON backup.

`{"format": "gametree-workshop", "version": 1, "workshop": {"title", "exported_at"},
"groups": [{"id", "name", "members"}], "exercises": [{"id", "title", "kind", "phase"}],
"trees": [{"id", "group", "exercise", "round", "participant", "kind", "backup": {...}}]}`,
where each `backup` is the tree's own JSON backup (trees/formats/jsonbackup.py), which
`POST /api/import/` reads back as it is.
"""

from __future__ import annotations

import json

from trees.formats.jsonbackup import backup_payload
from trees.formats.workshop.doc import WorkshopDoc

FORMAT_TAG = "gametree-workshop"
VERSION = 1


def render(doc: WorkshopDoc) -> bytes:
    payload = {
        "format": FORMAT_TAG,
        "version": VERSION,
        "workshop": {"title": doc.title, "exported_at": doc.exported_at},
        "groups": [
            {"id": g.get("id"), "name": g.get("name"), "members": list(g.get("members") or [])}
            for g in doc.groups
        ],
        "exercises": [
            {k: ex.get(k) for k in ("id", "title", "kind", "phase")} for ex in doc.exercises
        ],
        "trees": [
            {
                "id": t.id,
                "group": t.group,
                "exercise": t.exercise,
                "round": t.round,
                "participant": t.participant,
                "kind": t.link_kind,
                "backup": backup_payload(t.doc),
            }
            for t in doc.trees
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
