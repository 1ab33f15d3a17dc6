"""In-memory name matching for autocomplete: prefixes, substrings and typos.

Autocomplete runs on every keystroke, over up to ~10,000 names per guild, so
the work per query must stay far below a millisecond or two. The index keeps:

* every word of every name (and of its slug), sorted, for word-prefix lookups
  by bisection;
* a trigram index over the padded words (and the few trigrams spanning two
  words of a name), which narrows substring and typo searches to a few
  candidates before anything is compared character by character.

A guild's index is built at start for every initiative at once (``add_many``)
and then lives as long as the process, so it is kept compact: posting lists
are plain lists rather than sets (a set costs several times the memory per
key), and every word is one shared string object however many names use it.

Matches are ranked in tiers, best first: exact name or slug, name starts with
the query, every query word starts a word of the name, the query is a
substring, and finally every query word is within a small edit distance of a
word (or the start of a word) of the name.
"""

from __future__ import annotations

import bisect
import heapq
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple, TypeVar

from rapidfuzz.distance import OSA

from bot.services.common.names import fold_lookalikes

T = TypeVar("T")

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Byte by byte, what fold() makes of ASCII: letters lowercased, digits kept,
# everything else a space.
_ASCII_FOLD = bytes(
    code + 32 if 65 <= code <= 90 else code if 97 <= code <= 122 or 48 <= code <= 57 else 32
    for code in range(256)
)

EXACT, PREFIX, WORD_PREFIX, SUBSTRING, TYPO = range(5)


def fold(text: str) -> str:
    """Lowercase, no accents, punctuation as single spaces: "Innovate.City" -> "innovate city"."""
    if text.isascii():
        # Nearly every name is ASCII, where there is nothing to decompose and
        # casefold is lower: a byte table gives the same result several times
        # faster than the general path (a directory load folds 20,000 names).
        return " ".join(text.encode("ascii").translate(_ASCII_FOLD).decode("ascii").split())
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    # Invisible characters go and look-alike letters become the Latin ones they
    # imitate: a disguised spelling ("Hum\u200bble Lаmppost", Cyrillic а) matches
    # as the name it imitates, never as a better match than it.
    decomposed = unicodedata.normalize("NFKD", fold_lookalikes(text).casefold())
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
    return OSA.distance(a, b, score_cutoff=limit)


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


class _Entry(NamedTuple):
    folded: str
    slug: str  # folded
    words: tuple[str, ...]  # distinct words of the name, then of the slug; interned
    name_word_count: int  # how many of ``words`` are the name's

    def name_words(self) -> tuple[str, ...]:
        return self.words[: self.name_word_count]


_CACHE_SIZE = 4096
_MAX_CLOSE_WORDS = 24
# Below this many candidates, filtering them beats another index lookup.
_FILTER_BELOW = 300


class NameIndex:
    """Names keyed by an int (initiative id); add/remove as the directory changes.

    Sorted views are rebuilt lazily on the first search after a change: writes
    are rare, keystrokes are not. Results are memoised until the next change,
    since many people type the same first letters.

    The trigrams of a name are not stored name by name. Each is either a
    trigram of one of its words, padded (" sm", "mar", "rt "), or spans the
    space between two words ("t c" in "smart city"). So the names having a
    trigram are those with a word having it (``_word_trigrams``, then
    ``_name_words``) plus those listed under it in ``_spanning``: a directory
    of 10,000 names keeps ~35,000 name-word and ~25,000 spanning postings
    instead of ~220,000 name-trigram ones, and builds them that much faster.
    """

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        # Every key with a slug is under it: the first one here, any others sharing
        # the slug (rare) in ``_more_slug_keys``, so one int per slug in the usual case.
        self._slug_keys: dict[str, int] = {}
        self._more_slug_keys: dict[str, list[int]] = {}
        # Posting lists hold each key (or word) once, in the order they were added.
        self._word_keys: dict[str, list[int]] = {}  # word of a name or slug -> keys
        self._word_trigrams: dict[str, list[str]] = {}  # trigram -> words having it
        self._name_words: dict[str, list[int]] = {}  # word of a name (not slug) -> keys
        self._spanning: dict[str, list[int]] = {}  # "x y" trigram -> keys
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
        entry = _entry(name, slug)
        self._entries[key] = entry
        self._order[key] = (len(entry.folded), entry.folded)
        if self._sorted_names is not None:
            bisect.insort(self._sorted_names, (entry.folded, key))
        if entry.slug:
            self._add_slug(entry.slug, key)
        for word in entry.words:
            keys = self._word_keys.setdefault(word, [])
            if not keys:
                self._index_word(word)
                if self._sorted_words is not None:
                    bisect.insort(self._sorted_words, word)
            keys.append(key)
        for word in entry.name_words():
            self._name_words.setdefault(word, []).append(key)
        for gram in _spanning_trigrams(entry.folded):
            self._spanning.setdefault(gram, []).append(key)
        self._changed()

    def add_many(self, items: Iterable[tuple[int, str, str]]) -> None:
        """``add(key, name, slug)`` for each item, in one pass (loading a directory).

        Searches answer exactly as after adding them one by one, for a fraction
        of the time: postings are gathered per word and trigram, and the sorted
        views are built once rather than kept sorted name by name.
        """
        entries: dict[int, _Entry] = {}
        for key, name, slug in items:
            if key in self._entries:
                self.remove(key)
            entries.pop(key, None)  # a key given twice: the later one, in its place
            entries[key] = _entry(name, slug)
        if not entries:
            return
        had_views = self._sorted_names is not None or self._sorted_words is not None
        self._sorted_names = self._sorted_words = None
        self._entries.update(entries)
        word_keys: defaultdict[str, list[int]] = defaultdict(list)
        name_words: defaultdict[str, list[int]] = defaultdict(list)
        spanning: defaultdict[str, list[int]] = defaultdict(list)
        for key, entry in entries.items():
            self._order[key] = (len(entry.folded), entry.folded)
            if entry.slug:
                self._add_slug(entry.slug, key)
            for word in entry.words:
                word_keys[word].append(key)
            for word in entry.name_words():
                name_words[word].append(key)
            for gram in _spanning_trigrams(entry.folded):
                spanning[gram].append(key)
        for word, keys in word_keys.items():
            known = self._word_keys.get(word)
            if known:
                known.extend(keys)
            else:
                self._word_keys[word] = keys
                self._index_word(word)
        _merge(self._name_words, name_words)
        _merge(self._spanning, spanning)
        if had_views:
            self.prepare()
        self._changed()

    def remove(self, key: int) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        del self._order[key]
        if self._sorted_names is not None:
            _remove_sorted(self._sorted_names, (entry.folded, key))
        if entry.slug:
            self._remove_slug(entry.slug, key)
        for word in entry.words:
            if _discard(self._word_keys, word, key):
                for gram in trigrams(word):
                    _discard(self._word_trigrams, gram, word)
                if self._sorted_words is not None:
                    _remove_sorted(self._sorted_words, word)
        for word in entry.name_words():
            _discard(self._name_words, word, key)
        for gram in _spanning_trigrams(entry.folded):
            _discard(self._spanning, gram, key)
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
            shared.update(self._names_with(gram))
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

    def _add_slug(self, slug: str, key: int) -> None:
        if self._slug_keys.setdefault(slug, key) != key:
            self._more_slug_keys.setdefault(slug, []).append(key)

    def _remove_slug(self, slug: str, key: int) -> None:
        # Another key may have the same slug: it stays an exact match for it.
        if self._slug_keys.get(slug) != key:
            _discard(self._more_slug_keys, slug, key)
            return
        more = self._more_slug_keys.get(slug)
        if more:
            self._slug_keys[slug] = more.pop(0)
            if not more:
                del self._more_slug_keys[slug]
        else:
            del self._slug_keys[slug]

    def _slug_matches(self, folded: str) -> list[int]:
        first = self._slug_keys.get(folded)
        if first is None:
            return []
        return [first, *self._more_slug_keys.get(folded, ())]

    def _index_word(self, word: str) -> None:
        """Index a word seen for the first time by its trigrams."""
        for gram in trigrams(word):
            self._word_trigrams.setdefault(gram, []).append(word)

    def _names_with(self, gram: str) -> set[int]:
        """Keys of the names having ``gram`` among their (padded) trigrams."""
        keys = set(self._spanning.get(gram, ()))
        for word in self._word_trigrams.get(gram, ()):
            keys.update(self._name_words.get(word, ()))
        return keys

    def _names_with_at_most(self, gram: str) -> int:
        """A cheap upper bound of ``len(self._names_with(gram))``, 0 only when it is empty."""
        name_words = self._name_words
        return len(self._spanning.get(gram, ())) + sum(
            len(name_words.get(word, ())) for word in self._word_trigrams.get(gram, ())
        )

    def _ordering(self) -> dict[int, tuple[int, str]]:
        return self._order

    def _names(self) -> list[tuple[str, int]]:
        if self._sorted_names is None:
            self._sorted_names = sorted((e.folded, key) for key, e in self._entries.items())
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

        exact = [key for name, key in self._name_range(folded) if name == folded]
        take(EXACT, exact + self._slug_matches(folded))
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
                    keys.update(self._word_keys[word])
                result = keys if result is None else result & keys
            if not result:
                return set()
        return result or set()

    def _substring_keys(self, folded: str) -> set[int]:
        # Only the trigrams inside the query: its ends need not be word boundaries.
        # Every name containing the query has all of them, so the names having
        # the rarest one include every answer; checking those names for the query
        # directly costs less than intersecting with the others first.
        grams = {folded[i : i + 3] for i in range(len(folded) - 2)}
        rarest, fewest = "", -1
        for gram in grams:
            count = self._names_with_at_most(gram)
            if count == 0:
                return set()
            if fewest < 0 or count < fewest:
                rarest, fewest = gram, count
        entries = self._entries
        return {key for key in self._names_with(rarest) if folded in entries[key].folded}

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


def _discard(index: dict[str, list[T]], token: str, item: T) -> bool:
    """Remove ``item`` under ``token``; True when that emptied (and dropped) the entry."""
    items = index.get(token)
    if items is None:
        return False
    try:
        items.remove(item)  # a scan, but writes are rare and postings short
    except ValueError:
        return False
    if items:
        return False
    del index[token]
    return True


def _merge(index: dict[str, list[T]], postings: dict[str, list[T]]) -> None:
    """Append each posting list to the one already under its token."""
    for token, items in postings.items():
        known = index.get(token)
        if known is None:
            index[token] = items
        else:
            known.extend(items)


def _spanning_trigrams(folded: str) -> set[str]:
    """The trigrams of ``folded`` that span a space: "smart city" -> {"t c"}."""
    words = folded.split()
    return {f"{left[-1]} {right[0]}" for left, right in pairwise(words)}


def _entry(name: str, slug: str) -> _Entry:
    folded = fold(name)
    slug_folded = fold(slug)
    if slug_folded == folded:
        slug_folded = folded  # slugs are usually the name: one string for both
    name_words = dict.fromkeys(folded.split())
    # Interned: the same word in 500 names is one string, shared by every entry
    # and index that holds it.
    words = tuple(map(sys.intern, {**name_words, **dict.fromkeys(slug_folded.split())}))
    return _Entry(folded, slug_folded, words, len(name_words))
