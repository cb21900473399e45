"""Formats layer: the workshop's Markdown report.

Per group: its members, surviving proposals and top failure modes (problem trees: how many
problems); across groups: each exercise's taut-constraint ranking. Every text a person typed
(titles, names, labels, tags) goes through `escape_markdown`, so that it reads as text in any
CommonMark viewer: no heading, link, image or HTML can come from a participant.
"""

from __future__ import annotations

from trees.formats.inline import escape_markdown
from trees.formats.workshop.doc import REPORT_ROWS, WorkshopDoc


def _text(value: object) -> str:
    # one line: a newline in a label would end the list item
    return escape_markdown(" ".join(str(value or "").split()))


def render(doc: WorkshopDoc) -> bytes:
    out: list[str] = [f"# {_text(doc.title) or 'Workshop'}", "", f"Exported {doc.exported_at}.", ""]
    out += ["## Across groups: the taut constraints", ""]
    if not doc.exercises:
        out += ["No exercises yet.", ""]
    for ex in doc.exercises:
        phase = f" ({_text(ex.get('phase'))})" if ex.get("phase") else ""
        out += [f"### {_text(ex.get('title'))}{phase}", ""]
        items = (ex.get("ranking") or {}).get("items") or []
        if not items:
            out += ["Nothing ranked yet.", ""]
            continue
        for n, item in enumerate(items, start=1):
            groups = int(item.get("groups") or 0)
            out.append(
                f"{n}. **{_text(item.get('label'))}**: score {item.get('score')}, "
                f"in {groups} group{'s' if groups != 1 else ''}; {_text(item.get('explanation'))}"
            )
        out.append("")
    out += ["## Groups", ""]
    for group in doc.groups:
        out += [f"### {_text(group.get('name'))}", ""]
        members = group.get("members") or []
        if members:
            out += ["Members: " + ", ".join(_text(m) for m in members) + ".", ""]
        surviving = group.get("surviving") or []
        out += ["Surviving proposals:", ""]
        if surviving:
            out += [f"- {_text(p.get('label'))}" for p in surviving[:REPORT_ROWS]]
            if len(surviving) > REPORT_ROWS:
                out.append(f"- and {len(surviving) - REPORT_ROWS} more")
        else:
            out.append("- none")
        out.append("")
        modes = group.get("failure_modes") or []
        out += ["Top failure modes:", ""]
        if modes:
            out += [
                f"- {_text(m.get('tag'))}: {m.get('critiques')} critiques, "
                f"{m.get('broken')} proposals broken"
                for m in modes[:REPORT_ROWS]
            ]
        else:
            out.append("- none tagged")
        out.append("")
        if group.get("problems"):
            out += [f"Problems drawn: {int(group['problems'])}.", ""]
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")
