"""One matcher for every option that names a thing: initiatives, clusters, meetings,
sessions, documents, projects and zones.

A typed name is compared with each candidate's name (and aliases, e.g. a slug),
both folded as ``fuzzy.fold`` does, and lands in one tier, best first:

* exact: the same name;
* partial: the name starts with it, every typed word starts a word of the name,
  or it is part of the name;
* close: a typo of the whole name, within ``typo_bound`` edits (a swap of
  neighbours is one edit);
* related: every typed word is a typo of a word of the name, or the two share
  most of their trigrams (``SIMILAR``). Only ever suggested, never used.

Anything else is unrelated and never suggested ("Flying Cars" names nothing).

``pick`` turns the tiers into one decision, the same for every kind of thing:
one exact match is used; otherwise one partial match, or one close match with no
other candidate within the bound, is used when the caller accepts it (reads and
reversible writes) and suggested otherwise ("Did you mean ...? Run the command
again with that name."); several matches are listed, up to five. ``rank_names``
orders autocomplete choices by the same tiers.

For initiatives (up to ~10,000 names) the candidates come from the guild's
``fuzzy.NameIndex``, which narrows them to a few; every other kind is small
enough to be compared whole.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from bot.errors import InvalidInput, NotFound
from bot.services.common.fuzzy import edit_distance, fold, trigrams, typo_allowance, word_distance

K = TypeVar("K")

EXACT, PARTIAL, CLOSE, RELATED = range(4)

# What a command may use without asking: "exact" for destructive commands,
# "partial" where a typo must be confirmed, "close" for reads and reversible writes.
Accept = Literal["exact", "partial", "close"]

# Trigram similarity (Dice) from which an otherwise unmatched name is suggested.
SIMILAR = 0.5
MAX_LISTED = 5
MAX_SHOWN = 100  # characters of the typed text repeated in a reply


def typo_bound(folded: str) -> int:
    """Edits allowed in a typed name of this length: max(1, length / 4)."""
    return max(1, len(folded) // 4)


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the padded trigrams of two folded names (0..1)."""
    first, second = _trigrams(a), _trigrams(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


# Candidates come back on every keystroke (600 zones, a guild's meetings): their
# folded forms and trigrams are kept rather than recomputed each time.
@functools.lru_cache(maxsize=20_000)
def _folded(name: str) -> str:
    return fold(name)


@functools.lru_cache(maxsize=20_000)
def _trigrams(folded: str) -> frozenset[str]:
    return frozenset(trigrams(folded))


def split_names(text: str) -> list[str]:
    """A multi-value option: names separated by ";" or new lines (names may hold commas)."""
    return [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]


def join_names(names: Iterable[str]) -> str:
    """Names in a reply, separated so that a comma inside a name stays readable."""
    return "; ".join(names)


def shown(text: str) -> str:
    """The typed text as repeated in a reply: one line, at most 100 characters."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= MAX_SHOWN else one_line[: MAX_SHOWN - 1] + "…"


@dataclass(frozen=True)
class Candidate(Generic[K]):
    """Something that can be named: ``key`` is what the caller gets back."""

    key: K
    name: str
    aliases: tuple[str, ...] = ()  # other spellings that name it exactly (a slug)
    detail: str = ""  # shown after the name when several are listed (a meeting's date)

    def listed(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name


@dataclass(frozen=True)
class Scored(Generic[K]):
    candidate: Candidate[K]
    tier: int  # EXACT .. RELATED
    distance: int  # edits to the whole name (CLOSE), else 0
    closeness: float  # similarity, to order the related ones


@dataclass(frozen=True)
class Found(Generic[K]):
    """The candidate used for what was typed; ``corrected`` when it was a typo."""

    key: K
    name: str
    typed: str
    corrected: bool

    def note(self, verb: str = "Showing") -> str:
        """'Showing Humble Lamppost (you typed "humble lampost").', or "" when exact."""
        if not self.corrected:
            return ""
        return f'{verb} {self.name} (you typed "{shown(self.typed)}").'


@dataclass(frozen=True)
class Kind:
    """How replies speak of one kind of thing."""

    singular: str  # "initiative"
    plural: str  # "initiatives"
    missing: str  # 'No initiative named “{typed}”.'
    where: str = ""  # "/initiative list shows them all."
    list_all_below: int = 0  # with fewer candidates than this, an unknown name lists them all


def score(typed: str, candidate: Candidate[K]) -> Scored[K] | None:
    """The tier of ``candidate`` for the folded ``typed``; None when unrelated."""
    forms = [_folded(candidate.name), *(_folded(alias) for alias in candidate.aliases)]
    best: Scored[K] | None = None
    for form in forms:
        found = _score_form(typed, form, candidate)
        if found is not None and (best is None or _order(found) < _order(best)):
            best = found
    return best


def _score_form(typed: str, form: str, candidate: Candidate[K]) -> Scored[K] | None:
    if not typed or not form:
        return None
    if form == typed:
        return Scored(candidate, EXACT, 0, 1.0)
    words = form.split()
    typed_words = typed.split()
    if (
        form.startswith(typed)
        or all(any(word.startswith(part) for word in words) for part in typed_words)
        or (len(typed) >= 3 and typed in form)
    ):
        return Scored(candidate, PARTIAL, 0, similarity(typed, form))
    bound = typo_bound(typed)
    closeness = similarity(typed, form)
    if abs(len(typed) - len(form)) <= bound:
        distance = edit_distance(typed, form, bound)
        if distance <= bound:
            return Scored(candidate, CLOSE, distance, closeness)
    if closeness >= SIMILAR or (closeness > 0 and _every_word_close(typed_words, words)):
        return Scored(candidate, RELATED, 0, closeness)
    return None


def _every_word_close(typed_words: Sequence[str], words: Sequence[str]) -> bool:
    """Every typed word is a typo of a word of the name (or of its start)."""
    for part in typed_words:
        allowance = typo_allowance(part)
        if allowance == 0 or not any(
            word_distance(part, word, allowance) <= allowance for word in words
        ):
            return False
    return True


def _order(scored: Scored[K]) -> tuple[int, int, float, int, str]:
    name = _folded(scored.candidate.name)
    return (scored.tier, scored.distance, -scored.closeness, len(name), name)


def rank_names(
    typed: str, candidates: Iterable[Candidate[K]], limit: int = 25
) -> list[Candidate[K]]:
    """Autocomplete: the candidates matching ``typed``, best first, at most ``limit``.

    With nothing typed, every candidate in the order given.
    """
    folded = fold(typed)
    if not folded:
        return list(candidates)[:limit]
    scored = [found for found in (score(folded, c) for c in candidates) if found is not None]
    scored.sort(key=_order)
    return [found.candidate for found in scored[:limit]]


def pick(
    typed: str, candidates: Sequence[Candidate[K]], kind: Kind, accept: Accept = "exact"
) -> Found[K]:
    """The one candidate ``typed`` names, or an error saying what to type instead.

    NotFound when nothing matches (with suggestions when some are related);
    InvalidInput when several match equally well.
    """
    text = typed.strip()
    folded = fold(text)
    scored = sorted(
        (found for found in (score(folded, c) for c in candidates) if found is not None),
        key=_order,
    )
    by_tier: dict[int, list[Scored[K]]] = {}
    for found in scored:
        by_tier.setdefault(found.tier, []).append(found)
    exact = _distinct(by_tier.get(EXACT, []))
    if len(exact) == 1:
        return Found(exact[0].key, exact[0].name, text, corrected=False)
    if exact:
        raise InvalidInput(_several(kind, text, exact))
    partial = _distinct(by_tier.get(PARTIAL, []))
    if len(partial) == 1:
        if accept != "exact":
            return Found(partial[0].key, partial[0].name, text, corrected=False)
        raise NotFound(_did_you_mean(kind, text, partial))
    if partial:
        raise InvalidInput(_several(kind, text, partial))
    close = _distinct(by_tier.get(CLOSE, []))
    if len(close) == 1 and accept == "close":
        return Found(close[0].key, close[0].name, text, corrected=True)
    if close:
        raise NotFound(_did_you_mean(kind, text, close))
    related = _distinct(by_tier.get(RELATED, []))
    if related:
        raise NotFound(_did_you_mean(kind, text, related[:3]))
    raise NotFound(_missing(kind, text, candidates))


def _distinct(scored: list[Scored[K]]) -> list[Candidate[K]]:
    seen: set[K] = set()
    result = []
    for found in scored:
        if found.candidate.key not in seen:
            seen.add(found.candidate.key)
            result.append(found.candidate)
    return result


def _several(kind: Kind, typed: str, matches: Sequence[Candidate[K]]) -> str:
    listed = join_names(c.listed() for c in matches[:MAX_LISTED])
    more = len(matches) - MAX_LISTED
    if more > 0:
        listed += f"; and {more} more"
    return (
        f"Several {kind.plural} match “{shown(typed)}”: {listed}; "
        "pick one from the list or type more of its name."
    )


def _did_you_mean(kind: Kind, typed: str, suggestions: Sequence[Candidate[K]]) -> str:
    missing = kind.missing.replace("{typed}", shown(typed))
    if len(suggestions) == 1:
        return (
            f"{missing} Did you mean: {suggestions[0].listed()}? "
            "Run the command again with that name."
        )
    listed = join_names(c.listed() for c in suggestions[:MAX_LISTED])
    return f"{missing} Did you mean one of: {listed}? Run the command again with one of them."


def _missing(kind: Kind, typed: str, candidates: Sequence[Candidate[K]]) -> str:
    missing = kind.missing.replace("{typed}", shown(typed))
    if not candidates:
        return f"{missing} There are no {kind.plural} yet."
    if len(candidates) < kind.list_all_below:
        names = join_names(c.name for c in candidates)
        return f"{missing} The {kind.plural} are: {names}."
    return f"{missing} {kind.where}".rstrip()
