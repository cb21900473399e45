"""Formats layer: inline markup in labels (Markdown marks, HTML tags) and how to escape it.

Labels are stored as plain text, so imports strip formatting marks (links keep their text)
and exports escape characters that an importer would otherwise read as marks.
"""

from __future__ import annotations

import html
import re

# CommonMark lets any ASCII punctuation be backslash-escaped. The private-use characters are
# set aside too so that they can serve as placeholders without clashing with real text.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])|([\ue000\ue001])")
_PLACEHOLDER = re.compile(r"\ue000(\d+)\ue001")
_CODE = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WIKI = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]*)>")
_CHECKBOX = re.compile(r"^\[[ xX]\]\s+")
_EMPHASIS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"),
    re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"),
    re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"),
    re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"),
)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]~<>#])")
_MD_LEADING = re.compile(r"^([-+#>=|!])")
_HTML_TAG = re.compile(r"</?(?:b|i|u|s|a|em|strong|span|code|mark|del|br|font)\b[^>]*>", re.I)


def strip_markdown(text: str) -> str:
    """Plain text of a Markdown label: marks removed, links reduced to their text."""
    return restore(*hide_and_strip(text))


def hide_and_strip(text: str) -> tuple[str, list[str]]:
    """Strip marks but keep escaped characters hidden as placeholders.

    Callers that look for a `Critique:` prefix do so on this form, so that an escaped
    `Critique\\:` written by an export is never mistaken for a prefix.
    """
    text, stash = hide_escapes(text)
    return strip_marks(text, stash), stash


def hide_escapes(text: str) -> tuple[str, list[str]]:
    """Escaped characters and code spans set aside as placeholders (see `restore`)."""
    stash: list[str] = []

    def hide(value: str) -> str:
        stash.append(value)
        return f"\ue000{len(stash) - 1}\ue001"

    text = _ESCAPED.sub(lambda m: hide(m.group(1) or m.group(2)), text)
    text = _CODE.sub(lambda m: hide(m.group(2)), text)
    return text, stash


def strip_marks(text: str, stash: list[str]) -> str:
    """Marks and links removed from a label whose escapes `hide_escapes` set aside."""
    text = _CHECKBOX.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _WIKI.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    for pattern in _EMPHASIS:
        # Repeat so that nested marks (`**_both_**`) come off too.
        previous = None
        while previous != text:
            previous, text = text, pattern.sub(r"\1", text)
    return text


# Tags in Markdown labels, as Obsidian and Logseq write them: `#tag` (with at least one
# letter, so `#5` stays text) or `#[[a tag with spaces]]`, trailing the label.
_SIMPLE_TAG = r"[\w/-]*[^\W\d_][\w/-]*"
_SIMPLE_TAG_RE = re.compile(_SIMPLE_TAG)
_TRAILING_TAG = re.compile(rf"(?:^|(?<=\s))#(?:\[\[([^\]\n]+?)\]\]|({_SIMPLE_TAG}))[ \t]*$")


def take_tags(hidden: str, stash: list[str]) -> tuple[str, list[str]]:
    """Trailing `#tag` / `#[[tag]]` words off a label whose escapes are hidden.

    An exported label escapes its own `#`, so only tags written as tags are taken.
    """
    tags: list[str] = []
    while match := _TRAILING_TAG.search(hidden):
        tags.append(restore(match.group(1) or match.group(2), stash).strip())
        hidden = hidden[: match.start()].rstrip()
    return hidden, list(dict.fromkeys(t for t in reversed(tags) if t))


def write_tags(tags: list[str]) -> str:
    """The tags as a label suffix that `take_tags` reads back: ` #tag #[[two words]]`."""
    out = []
    for tag in tags:
        if _SIMPLE_TAG_RE.fullmatch(tag):
            out.append(f" #{tag}")
        else:
            escaped = _MD_SPECIAL.sub(r"\\\1", tag.replace("\n", " "))
            out.append(f" #[[{escaped}]]")
    return "".join(out)


def restore(text: str, stash: list[str]) -> str:
    return _PLACEHOLDER.sub(lambda m: stash[int(m.group(1))], text)


def escape_markdown(text: str) -> str:
    """Escape a label so that `strip_markdown` gives it back unchanged."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A leading `-`, `#` ... would make the line read as a rule, heading or nested list.
    return _MD_LEADING.sub(r"\\\1", text)


def strip_html(text: str) -> str:
    """Plain text of an HTML-formatted label (Workflowy writes <b>, <i>, <a href> in OPML)."""
    return html.unescape(_HTML_TAG.sub("", text))


def escape_html(text: str) -> str:
    return html.escape(text, quote=False)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters at all, escaped or not: drop them."""
    return _XML_ILLEGAL.sub("", text)
