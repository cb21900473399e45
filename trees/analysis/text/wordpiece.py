"""Analysis layer: BERT's uncased WordPiece tokenizer, in plain Python.

The shipped sentence-embedding model (:mod:`trees.analysis.text.semantic`) keeps one vector per
token of all-MiniLM-L6-v2's vocabulary, so texts must be cut into the same tokens the
transformer saw: BERT's basic tokenizer (lower case, accents stripped, punctuation and CJK
characters split off) and then greedy longest-match-first WordPiece ("misgeneralisation" ->
"mis", "##gene", "##ral", "##isation"). Written here rather than taken from a package: it is
forty lines, and a tokenizer library would be a compiled dependency for that alone.
Tokens of a word are cached (labels of one workshop repeat the same words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MAX_WORD_CHARS = 100  # longer words are one unknown token, as in BERT
_CACHE_MAX = 200_000


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    # ASCII non-letters/digits count as punctuation in BERT ("$", "^", "`" included)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


# ASCII text (nearly every label and critique): words of letters and digits, and each
# punctuation mark alone; control characters deleted; every other character separates. The
# same as the general loop below, in one regular expression instead of a Python step per
# character.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")
# ASCII control characters other than tab, newline and return: BERT's clean-up deletes them
# (joining what is on either side: "a\x00b" is "ab"), it does not split there
_ASCII_CONTROL = dict.fromkeys([*range(9), 11, 12, *range(14, 32), 127])


def basic_tokens(text: str) -> list[str]:
    """BERT's basic tokenization of an uncased model: words and single punctuation marks."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower().translate(_ASCII_CONTROL))
    out: list[str] = []
    word: list[str] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        cp = ord(ch)
        category = unicodedata.category(ch)
        if cp == 0 or cp == 0xFFFD or category == "Mn":
            continue  # replacement characters and accents go
        if ch in "\t\n\r" or (ch.isspace() and category[0] != "C"):
            if word:
                out.append("".join(word))
                word = []
            continue
        if category[0] == "C":
            continue  # control and format characters (zero-width space, soft hyphen) go
        if _is_punctuation(ch) or _is_cjk(cp):
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
            continue
        word.append(ch)
    if word:
        out.append("".join(word))
    return out


class WordPiece:
    """Text -> token ids of a WordPiece vocabulary (``vocab``: token -> id)."""

    def __init__(self, vocab: Mapping[str, int], unknown: str = "[UNK]") -> None:
        self.vocab = vocab
        self.unknown = vocab[unknown]
        self._cache: dict[str, tuple[int, ...]] = {}

    def word(self, word: str) -> tuple[int, ...]:
        """Ids of one basic token, longest vocabulary piece first."""
        got = self._cache.get(word)
        if got is not None:
            return got
        vocab = self.vocab
        ids: list[int] = []
        if len(word) > MAX_WORD_CHARS:
            ids = [self.unknown]
        else:
            start = 0
            while start < len(word):
                end = len(word)
                found = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    found = vocab.get(piece)
                    if found is not None:
                        break
                    end -= 1
                if found is None:  # no piece fits: the whole word is unknown
                    ids = [self.unknown]
                    break
                ids.append(found)
                start = end
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        got = self._cache[word] = tuple(ids)
        return got

    def encode(self, text: str) -> list[int]:
        """Token ids of a text (no [CLS] / [SEP]: a static model has no use for them)."""
        out: list[int] = []
        for w in basic_tokens(text):
            out.extend(self.word(w))
        return out
