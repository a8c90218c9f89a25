"""Indonesian text normalisation for matching: case, punctuation, elongation, slang, synonyms, stems.

`normalise()` gives the readable standard form (used for fuzzy scoring and for the
rules of the router); `stems()` gives the Sastrawi stems of its content words (used
for lexical retrieval). Both are pure and cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Protocol

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from knowledge.lexicon import FUNCTION_WORDS, SLANG, SYNONYMS

MAX_CHARS = 2000  # longer messages are judged on their beginning: keeps matching bounded

_TOKEN = re.compile(r"[a-z0-9]+(?:[./-][a-z0-9]+)*")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_REDUPLICATED = re.compile(r"\b([a-z]+)-\1\b")  # anak-anak -> anak
_SYN_PATTERNS = sorted(SYNONYMS.items(), key=lambda kv: -len(kv[0]))
_SYN_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k, _ in _SYN_PATTERNS) + r")\b")
_STEM_EXCEPTIONS = {"pmi", "p3mi", "kp2mi", "bp3mi", "tppo", "kbri", "kjri", "bpjs", "blk", "lpk",
                    "visa", "paspor", "medical", "calo", "agen", "majikan", "malaysia", "singapura"}


def fold(text: str) -> str:
    """Lowercase, strip accents and control characters, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS])
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.lower().split())


def _collapse_elongation(word: str) -> str:
    # "tolonggg" -> "tolong", "pleasee" stays readable; Indonesian has no triple letters
    word = _ELONGATED.sub(r"\1", word)
    if word in SLANG or len(word) < 4:
        return word
    # "makasiih", "kaaak": double letters are rare in Indonesian outside loanwords
    squeezed = re.sub(r"([aiueo])\1", r"\1", word)
    return squeezed if squeezed in SLANG else word


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Standard-Indonesian, lowercase, punctuation-free form of a chat message."""
    text = _REDUPLICATED.sub(r"\1", fold(text))
    words: list[str] = []
    for raw in _TOKEN.findall(text):
        if "/" in raw or "." in raw:  # licence numbers and abbreviations like "hk.04.01"
            parts = [raw] if any(c.isdigit() for c in raw) else re.split(r"[./]", raw)
        else:
            parts = raw.split("-")
        for part in parts:
            if not part:
                continue
            word = _collapse_elongation(part)
            if word not in SLANG and word.endswith("nya") and word[:-3] in SLANG:
                word = SLANG[word[:-3]] + "nya"  # "dapetnya" -> "dapatnya"
            words.append(SLANG.get(word, word))
    joined = " ".join(words)
    return _SYN_RE.sub(lambda m: SYNONYMS[m.group(1)], joined)


class _Stemmer(Protocol):
    """What we use of Sastrawi's stemmer (the package ships no types)."""

    def stem(self, text: str) -> str: ...


@lru_cache(maxsize=1)
def _stemmer() -> _Stemmer:
    stemmer: _Stemmer = StemmerFactory().create_stemmer()
    return stemmer


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word in _STEM_EXCEPTIONS or not word.isalpha() or len(word) <= 3:
        return word
    return _stemmer().stem(word) or word


def tokens(text: str) -> list[str]:
    """Words of the normalised text."""
    return normalise(text).split()


def stems(text: str, keep_function_words: bool = False) -> list[str]:
    """Stems of the normalised text, function words removed unless asked to keep them."""
    return [stem(w) for w in tokens(text) if keep_function_words or w not in FUNCTION_WORDS]
