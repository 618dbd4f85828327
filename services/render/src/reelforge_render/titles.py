"""Offline titles: the clip's key phrase, scored against the whole transcript.

Words and two-word phrases without stop words are scored by their frequency
in the clip times their inverse frequency across the transcript's sentences
(TF-IDF), so what the clip is about beats what the whole talk repeats.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

_APOSTROPHE = "\N{RIGHT SINGLE QUOTATION MARK}"
_WORD = re.compile(rf"[A-Za-z][A-Za-z'{_APOSTROPHE}-]*")
_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where which while who whom why
will with would you your yours yourself yourselves one also us may might must shall upon ever every thus yet oh well
yes like get got go going know say said let's i'm it's that's
"""
_STOP = frozenset(_STOP_WORDS.split())
_MAX_WORDS = 5


def _terms(text: str) -> list[str]:
    return [word.lower().strip(f"'{_APOSTROPHE}-") for word in _WORD.findall(text)]


def _phrases(terms: Sequence[str]) -> list[str]:
    """Content words and two-word phrases of content words."""
    content = [term if term not in _STOP and len(term) > 2 else "" for term in terms]
    found = [term for term in content if term]
    found += [f"{a} {b}" for a, b in itertools.pairwise(content) if a and b]
    return found


_CLAUSE = re.compile(r"[^,;:.!?\N{EM DASH}\N{EN DASH}]+")
_CLAUSE_WORDS = (2, 9)


def title_for(clip_text: str, corpus: Sequence[str]) -> str:
    """A short title for ``clip_text`` given every sentence of the transcript:
    its most telling clause (of 2 to 9 words), else its key phrase."""
    documents = [set(_phrases(_terms(sentence))) for sentence in corpus] or [set()]

    def weight(phrase: str) -> float:
        seen_in = sum(phrase in document for document in documents)
        return math.log((1 + len(documents)) / (1 + seen_in)) + 1e-6

    counts = Counter(_phrases(_terms(clip_text)))
    if not counts:
        words = clip_text.split()
        return " ".join(words[:_MAX_WORDS]) + ("\N{HORIZONTAL ELLIPSIS}" if len(words) > _MAX_WORDS else "")
    clauses: list[str] = [clause.strip() for clause in _CLAUSE.findall(clip_text)]
    fitting = [c for c in clauses if _CLAUSE_WORDS[0] <= len(c.split()) <= _CLAUSE_WORDS[1]]
    if fitting:

        def telling(clause: str) -> tuple[float, int]:
            terms = [term for term in _terms(clause) if term not in _STOP and len(term) > 2]
            value = sum(counts[term] * weight(term) for term in terms) / math.sqrt(len(clause.split()))
            return value, -clauses.index(clause)

        best = max(fitting, key=telling)
        return best[0].upper() + best[1:]
    phrase: str = max(counts, key=lambda p: (counts[p] * weight(p) * (1.6 if " " in p else 1.0), len(p), p))
    return phrase.title()
