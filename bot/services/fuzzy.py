"""In-memory name matching for autocomplete: prefixes, substrings and typos.

Autocomplete runs on every keystroke, over up to ~10,000 names per guild, so
the work per query must stay far below a millisecond or two. The index keeps:

* every word of every name (and of its slug), sorted, for word-prefix lookups
  by bisection;
* a trigram index over the padded names, which narrows substring and typo
  searches to a few candidates before anything is compared character by
  character.

Matches are ranked in tiers, best first: exact name or slug, name starts with
the query, every query word starts a word of the name, the query is a
substring, and finally every query word is within a small edit distance of a
word (or the start of a word) of the name.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_NOT_WORD = re.compile(r"[^0-9a-z]+")

EXACT, PREFIX, WORD_PREFIX, SUBSTRING, TYPO = range(5)


def fold(text: str) -> str:
    """Lowercase, no accents, punctuation as single spaces: "Innovate.City" -> "innovate city"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", plain).strip()


def trigrams(folded: str) -> set[str]:
    """Trigrams of `` text ``, padded so word starts and ends count."""
    padded = f" {folded} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def typo_allowance(word: str) -> int:
    """How many edits a query word of this length may contain and still match."""
    if len(word) <= 2:
        return 0
    if len(word) <= 5:
        return 1
    return 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours costs 1), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, previous_previous[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return min(previous[-1], limit + 1)


def word_distance(query_word: str, word: str, limit: int) -> int:
    """Distance from a query word to a word, or to the start of it (the user is still typing)."""
    best = edit_distance(query_word, word, limit)
    for length in range(len(query_word) - limit, len(query_word) + limit + 1):
        if 0 < length < len(word):
            best = min(best, edit_distance(query_word, word[:length], limit))
    return best


@dataclass(frozen=True)
class Match:
    key: int
    tier: int  # EXACT .. TYPO, lower is better
    distance: int  # total edits, for the TYPO tier


@dataclass(frozen=True)
class _Entry:
    key: int
    name: str
    folded: str
    slug: str
    words: frozenset[str]


_CACHE_SIZE = 4096
_MAX_CLOSE_WORDS = 24
# Below this many candidates, filtering them beats another index lookup.
_FILTER_BELOW = 300


class NameIndex:
    """Names keyed by an int (initiative id); add/remove as the directory changes.

    Sorted views are rebuilt lazily on the first search after a change: writes
    are rare, keystrokes are not. Results are memoised until the next change,
    since many people type the same first letters.
    """

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._slug_keys: dict[str, int] = {}
        self._word_keys: dict[str, set[int]] = {}
        self._word_trigrams: dict[str, set[str]] = {}
        self._name_trigrams: dict[str, set[int]] = {}
        self._sorted_words: list[str] | None = None
        self._sorted_names: list[tuple[str, int]] | None = None
        # Ties are broken by this key: shorter names first, then alphabetical.
        self._order: dict[int, tuple[int, str]] = {}
        self._results: dict[tuple[str, int], list[Match]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: int, name: str, slug: str = "") -> None:
        if key in self._entries:
            self.remove(key)
        folded = fold(name)
        slug_folded = fold(slug)
        entry = _Entry(
            key=key,
            name=name,
            folded=folded,
            slug=slug_folded,
            words=frozenset(folded.split()) | frozenset(slug_folded.split()),
        )
        self._entries[key] = entry
        self._order[key] = (len(folded), folded)
        if self._sorted_names is not None:
            bisect.insort(self._sorted_names, (folded, key))
        if slug_folded:
            self._slug_keys[slug_folded] = key
        for word in entry.words:
            keys = self._word_keys.setdefault(word, set())
            if not keys:
                for gram in trigrams(word):
                    self._word_trigrams.setdefault(gram, set()).add(word)
                if self._sorted_words is not None:
                    bisect.insort(self._sorted_words, word)
            keys.add(key)
        for gram in trigrams(folded):
            self._name_trigrams.setdefault(gram, set()).add(key)
        self._changed()

    def remove(self, key: int) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        del self._order[key]
        if self._sorted_names is not None:
            _remove_sorted(self._sorted_names, (entry.folded, key))
        if self._slug_keys.get(entry.slug) == key:
            del self._slug_keys[entry.slug]
        for word in entry.words:
            if _discard(self._word_keys, word, key):
                for gram in trigrams(word):
                    _discard(self._word_trigrams, gram, word)
                if self._sorted_words is not None:
                    _remove_sorted(self._sorted_words, word)
        for gram in trigrams(entry.folded):
            _discard(self._name_trigrams, gram, key)
        self._changed()

    def search(self, query: str, limit: int = 25) -> list[Match]:
        """Best matches first, at most ``limit``; names in alphabetical order for ""."""
        folded = fold(query)
        cached = self._results.get((folded, limit))
        if cached is not None:
            return cached
        result = self._search(folded, limit)
        if len(self._results) >= _CACHE_SIZE:
            self._results.clear()
        self._results[(folded, limit)] = result
        return result

    def closest(self, query: str, limit: int = 3) -> list[int]:
        """Keys of the names sharing the most trigrams with ``query``, however few."""
        folded = fold(query)
        if not folded:
            return []
        shared: Counter[int] = Counter()
        for gram in trigrams(folded):
            shared.update(self._name_trigrams.get(gram, ()))
        order = self._ordering()
        best = heapq.nsmallest(limit, shared.items(), key=lambda item: (-item[1], order[item[0]]))
        return [key for key, _ in best]

    # --- internals -------------------------------------------------------

    def prepare(self) -> None:
        """Build the sorted views now (after a bulk load) rather than on the first keystroke."""
        self._names()
        self._words()

    def _changed(self) -> None:
        # Sorted views, once built, are kept up to date in place; only results go.
        self._results.clear()

    def _ordering(self) -> dict[int, tuple[int, str]]:
        return self._order

    def _names(self) -> list[tuple[str, int]]:
        if self._sorted_names is None:
            self._sorted_names = sorted((e.folded, e.key) for e in self._entries.values())
        return self._sorted_names

    def _words(self) -> list[str]:
        if self._sorted_words is None:
            self._sorted_words = sorted(self._word_keys)
        return self._sorted_words

    def _search(self, folded: str, limit: int) -> list[Match]:
        if not folded:
            return [Match(key, PREFIX, 0) for _, key in self._names()[:limit]]
        order = self._ordering()
        result: list[Match] = []
        taken: set[int] = set()

        def take(tier: int, keys: Iterable[int]) -> None:
            fresh = {key for key in keys if key not in taken}
            for key in heapq.nsmallest(limit - len(result), fresh, key=order.__getitem__):
                taken.add(key)
                result.append(Match(key, tier, 0))

        slug_key = self._slug_keys.get(folded)
        exact = [key for name, key in self._name_range(folded) if name == folded]
        take(EXACT, exact + ([slug_key] if slug_key is not None else []))
        if len(result) < limit:
            take(PREFIX, (key for _, key in self._name_range(folded)))
        if len(result) < limit:
            take(WORD_PREFIX, self._word_prefix_keys(folded.split()))
        if len(result) < limit and len(folded) >= 3:
            take(SUBSTRING, self._substring_keys(folded))
        if len(result) < limit:
            result.extend(self._typo_matches(folded.split(), taken, limit - len(result)))
        return result

    def _name_range(self, prefix: str) -> Iterable[tuple[str, int]]:
        names = self._names()
        for index in range(bisect.bisect_left(names, (prefix, -1)), len(names)):
            if not names[index][0].startswith(prefix):
                break
            yield names[index]

    def _words_with_prefix(self, prefix: str) -> Iterable[str]:
        words = self._words()
        for index in range(bisect.bisect_left(words, prefix), len(words)):
            if not words[index].startswith(prefix):
                break
            yield words[index]

    def _word_prefix_keys(self, query_words: list[str]) -> set[int]:
        # Longest words first: they select the fewest names. Once few candidates
        # are left, the shorter words are checked against those names directly
        # instead of collecting every name with a word starting with "a".
        result: set[int] | None = None
        for query_word in sorted(set(query_words), key=len, reverse=True):
            if result is not None and len(result) <= _FILTER_BELOW:
                result = {
                    key
                    for key in result
                    if any(word.startswith(query_word) for word in self._entries[key].words)
                }
            else:
                keys: set[int] = set()
                for word in self._words_with_prefix(query_word):
                    keys |= self._word_keys[word]
                result = keys if result is None else result & keys
            if not result:
                return set()
        return result or set()

    def _substring_keys(self, folded: str) -> set[int]:
        # Only the trigrams inside the query: its ends need not be word boundaries.
        grams = {folded[i : i + 3] for i in range(len(folded) - 2)}
        postings = sorted((self._name_trigrams.get(gram, set()) for gram in grams), key=len)
        candidates = set(postings[0])
        for keys in postings[1:]:
            candidates &= keys
            if not candidates:
                return set()
        return {key for key in candidates if folded in self._entries[key].folded}

    def _close_words(self, query_word: str) -> dict[str, int]:
        """Known words within the typo allowance of ``query_word``, or starting with it."""
        close = dict.fromkeys(self._words_with_prefix(query_word), 0)
        allowance = typo_allowance(query_word)
        if allowance == 0:
            return close
        grams = trigrams(query_word)
        shared: Counter[str] = Counter()
        for gram in grams:
            shared.update(self._word_trigrams.get(gram, ()))
        # A typo spoils up to three trigrams; keep the words sharing the most and
        # compare only those character by character.
        needed = max(1, len(grams) // 3)
        candidates = heapq.nlargest(
            _MAX_CLOSE_WORDS,
            (word for word, count in shared.items() if count >= needed and word not in close),
            key=shared.__getitem__,
        )
        for word in candidates:
            distance = word_distance(query_word, word, allowance)
            if distance <= allowance:
                close[word] = distance
        return close

    def _typo_matches(self, query_words: list[str], taken: set[int], limit: int) -> list[Match]:
        """Names where every query word is close to one of their words, fewest edits first."""
        totals: dict[int, int] | None = None  # key -> edits so far
        for query_word in sorted(set(query_words), key=len, reverse=True):
            close = self._close_words(query_word)
            if totals is not None and len(totals) <= _FILTER_BELOW:
                narrowed: dict[int, int] = {}
                for key, edits in totals.items():
                    found = [close[w] for w in self._entries[key].words if w in close]
                    if found:
                        narrowed[key] = edits + min(found)
                totals = narrowed
            else:
                # {key: edits to its closest word}, built with C-level dict updates
                # (largest distance first, so the smaller ones overwrite).
                by_key: dict[int, int] = {}
                for word in sorted(close, key=close.__getitem__, reverse=True):
                    by_key.update(dict.fromkeys(self._word_keys[word], close[word]))
                if totals is None:
                    totals = by_key
                else:
                    totals = {k: e + by_key[k] for k, e in totals.items() if k in by_key}
            if not totals:
                return []
        order = self._ordering()
        final = totals or {}
        candidates = [key for key in final if key not in taken]
        best = heapq.nsmallest(limit, candidates, key=lambda key: (final[key], order[key]))
        return [Match(key, TYPO, final[key]) for key in best]


def _remove_sorted(items: list[Any], item: Any) -> None:
    index = bisect.bisect_left(items, item)
    if index < len(items) and items[index] == item:
        del items[index]


def _discard(index: dict[str, set[T]], token: str, item: T) -> bool:
    """Remove ``item`` under ``token``; True when that emptied (and dropped) the entry."""
    items = index.get(token)
    if items is None:
        return False
    items.discard(item)
    if items:
        return False
    del index[token]
    return True
