"""Group challenges from different initiatives that are about the same thing.

A challenge workshop starts with tables of 2-6 challenges, each from a different
initiative, that share a problem. :func:`match_challenges` proposes those tables and
says which words they share; a challenge with no close partner is left unmatched,
because no table is better than a wrong one.

Method, and why:

1. Words. Title and description are cut into words at every non-letter (so
   "bike-sharing" reads as "bike sharing"), numbers and English and domain stop words
   are dropped ("city", "smart", "challenge", "need", "how", "we want", ...), and each
   word is reduced to its Snowball stem, so "lights" and "lighting" meet as "light",
   and "sharing" meets "share".
2. Weights. TF-IDF over the challenges being matched (smoothed IDF, sublinear TF,
   vectors of length 1): a word most challenges use ("residents", "data") counts for
   little, a word two challenges share and the others lack ("luminaires") for a lot.
3. Similarity. Cosine of the vectors, computed only for pairs that share a term
   (an inverted index), so 500 challenges take a fraction of a second.
4. Tables. Agglomerative clustering with average linkage: the two groups with the
   highest mean pairwise similarity merge, while that mean is at least ``threshold``,
   the merged table has at most 6 challenges, and no initiative would sit twice at it.
   Groups left alone are the unmatched challenges.
5. Explanation. A table's shared terms are the strongest words at least two of its
   challenges use, shown as people wrote them; two of them that two challenges write
   side by side are shown as a pair, in either order ("data sharing" for "sharing of
   data"). Pairs only explain: as terms of the similarity they diluted the vectors
   (recall 0.62 against 1.00, precision 0.94 against 0.96).

Why this and not a library's model (bench/challenges.py measures all of it): on the
labelled set in tests/services/challenges/challenges.toml (56 challenges, 52 pairs that
belong together), this gives precision 0.96 and recall 1.00 at thresholds 0.06-0.10.
scikit-learn's TfidfVectorizer over the same stemmed words computes the same vectors and
scores the same; its character n-grams do worse (at best precision 0.90, recall 0.85)
and rapidfuzz's token ratios much worse (recall 0.50). scikit-learn with NumPy and
SciPy is over 200 MB and takes about a second to import; Snowball is 2 MB and pure
Python, and this module imports in tens of milliseconds. 500 challenges match in about
0.3 s. Everything is deterministic: challenges are sorted by id first, and ties are
broken by the smallest ids.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

# At most this many challenges at one table, and at least two.
MAX_TABLE = 6
MIN_TABLE = 2
# Mean cosine similarity at or above which two groups may share a table. Chosen on the
# labelled set (bench/challenges.py prints precision and recall around it).
DEFAULT_THRESHOLD = 0.08
# Shared terms shown per table.
MAX_SHARED_TERMS = 4

# English function words: Snowball's English stop list, the pieces contractions leave
# once apostrophes split words ("don", "ll", "ve"), and a few more modal verbs.
ENGLISH_STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing would should could ought a an the and but if or because as
    until while of at by for with about against between into through during before
    after above below to from up down in out on off over under again further then once
    here there when where why how all any both each few more most other some such no
    nor not only own same so than too very s t d ll m re ve can will just don shouldn
    now also may might must shall us
    """.split()
)
# Words every challenge in this domain uses, or uses to ask for help: they say nothing
# about what a challenge is about.
DOMAIN_STOP_WORDS = frozenset(
    """
    city cities smart initiative initiatives challenge challenges need needs needed how
    municipality municipalities municipal town towns want wants wanted wish like look
    looking know help way ways others another many much every one two three first next
    last year years new use used using make get still yet whether well example instance
    """.split()
)

# Words are runs of letters and digits; a clause ends at punctuation, and pairs of
# adjacent words never cross it.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”/]+|\s[-–—]\s")
_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Challenge:
    """A challenge as the matcher reads it."""

    id: int
    initiative_id: int
    title: str
    description: str


@dataclass(frozen=True)
class Table:
    """Challenges proposed to sit together, in id order, and what they share."""

    challenge_ids: tuple[int, ...]
    shared_terms: tuple[str, ...]
    # Mean pairwise similarity of the table's challenges, 0-1.
    cohesion: float


@dataclass(frozen=True)
class Matching:
    """Proposed tables, closest first, and the ids of the challenges left unmatched."""

    tables: tuple[Table, ...]
    unmatched: tuple[int, ...]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    stem: str = _STEMMER.stemWord(word)
    return stem


_DOMAIN_STOP_STEMS = frozenset(_stem(word) for word in DOMAIN_STOP_WORDS)


# Words that may stand between the two words of a pair: "sharing of data".
_PAIR_JOINERS = frozenset({"of", "the"})


def _content_words(text: str) -> list[list[tuple[str, str, str | None]]]:
    """Each clause of ``text`` as its content words, stop words dropped: (stem, word,
    and the words between it and the previous one when the two make a pair, else None)."""
    clauses = []
    for clause in _CLAUSE_BREAK.split(text.lower()):
        words: list[tuple[str, str, str | None]] = []
        between: str | None = None
        for word in _WORD.findall(clause):
            stem = _stem(word)
            if (
                len(word) < 2
                or word.isdigit()
                or word in ENGLISH_STOP_WORDS
                or word in DOMAIN_STOP_WORDS
                or stem in _DOMAIN_STOP_STEMS
            ):
                between = (
                    f"{between}{word} " if between is not None and word in _PAIR_JOINERS else None
                )
                continue
            words.append((stem, word, between))
            between = ""
        if words:
            clauses.append(words)
    return clauses


def terms(text: str) -> list[tuple[str, str]]:
    """The terms of ``text`` as (key, words as written): every content word's stem, and
    every unordered pair of content words next to each other ("data sharing" and
    "sharing of data" give one key)."""
    found: list[tuple[str, str]] = []
    for clause in _content_words(text):
        found.extend((stem, word) for stem, word, _ in clause)
        for (stem_a, word_a, _), (stem_b, word_b, between) in itertools.pairwise(clause):
            if between is not None and stem_a != stem_b:
                key = " ".join(sorted((stem_a, stem_b)))
                found.append((key, f"{word_a} {between}{word_b}"))
    return found


@dataclass(frozen=True)
class _Vectors:
    weights: list[dict[str, float]]  # per challenge: term -> weight, length 1
    surfaces: list[Counter[tuple[str, str]]]  # per challenge: (term, words) -> count


def _vectorize(texts: Sequence[str]) -> _Vectors:
    counts: list[Counter[str]] = []
    surfaces: list[Counter[tuple[str, str]]] = []
    for text in texts:
        found = terms(text)
        # Similarity rests on single words; pairs only name what a table shares.
        counts.append(Counter(key for key, _ in found if " " not in key))
        surfaces.append(Counter(found))
    document_frequency: Counter[str] = Counter()
    for count in counts:
        document_frequency.update(count.keys())
    n = len(texts)
    idf = {term: math.log((1 + n) / (1 + df)) + 1 for term, df in document_frequency.items()}
    weights = []
    for count in counts:
        vector = {term: (1 + math.log(tf)) * idf[term] for term, tf in sorted(count.items())}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        weights.append({term: w / norm for term, w in vector.items()})
    return _Vectors(weights, surfaces)


def cosine_similarities(weights: Sequence[dict[str, float]]) -> dict[tuple[int, int], float]:
    """Cosine similarity of every pair of length-1 vectors that share a term, keyed by
    (i, j) with i < j."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(weights):
        for term, weight in vector.items():
            postings[term].append((index, weight))
    totals: dict[tuple[int, int], float] = defaultdict(float)
    for term in sorted(postings):
        posting = postings[term]
        if len(posting) < 2:
            continue
        for position, (i, weight_i) in enumerate(posting):
            for j, weight_j in posting[position + 1 :]:
                totals[i, j] += weight_i * weight_j
    return dict(totals)


def cluster(
    groups: Sequence[int],
    similarities: dict[tuple[int, int], float],
    threshold: float,
    max_size: int = MAX_TABLE,
) -> list[list[int]]:
    """Average-linkage clustering of items 0..len(groups)-1 with a similarity threshold.

    ``groups[i]`` is item i's initiative: two items of one initiative never end up
    together. Clusters never exceed ``max_size``. Ties go to the pair whose smallest
    items come first. Returns every cluster (singletons included) as sorted item lists.
    """
    members: dict[int, list[int]] = {i: [i] for i in range(len(groups))}
    owners: dict[int, set[int]] = {i: {g} for i, g in enumerate(groups)}
    version: dict[int, int] = dict.fromkeys(members, 0)
    links: dict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), similarity in similarities.items():
        links[i][j] = similarity
        links[j][i] = similarity

    heap: list[tuple[float, int, int, int, int]] = []

    def push_links(a: int) -> None:
        """Queue every merge of cluster ``a`` that is allowed and close enough."""
        size = len(members[a])
        for other, total in links[a].items():
            other_size = len(members[other])
            if size + other_size > max_size or not owners[a].isdisjoint(owners[other]):
                continue  # clusters only grow: this merge stays forbidden
            mean = total / (size * other_size)
            if mean >= threshold:
                low, high = (a, other) if a < other else (other, a)
                heapq.heappush(heap, (-mean, low, high, version[low], version[high]))

    for item in range(len(groups)):
        push_links(item)  # each pair twice, once from either side: harmless

    while heap:
        _, a, b, version_a, version_b = heapq.heappop(heap)
        if version.get(a) != version_a or version.get(b) != version_b:
            continue  # one of them merged since: a newer entry stands for this pair
        # b joins a (a is the smaller id, so a cluster is named by its smallest item).
        members[a] = sorted(members[a] + members.pop(b))
        owners[a] |= owners.pop(b)
        version[a] += 1
        del version[b]
        links_a = links[a]
        links_a.pop(b, None)
        for other, total in links.pop(b).items():
            if other == a:
                continue
            del links[other][b]
            links_a[other] = links_a.get(other, 0.0) + total
            links[other][a] = links_a[other]
        push_links(a)
    return [members[key] for key in sorted(members)]


def _shared_terms(
    table: Sequence[int], vectors: _Vectors, limit: int = MAX_SHARED_TERMS
) -> tuple[str, ...]:
    """The strongest words at least two of the table's challenges use, as written; two of
    them that two challenges write side by side are shown as the pair ("data sharing")."""
    strength: dict[str, float] = defaultdict(float)
    users: Counter[str] = Counter()
    for index in table:
        for term, weight in vectors.weights[index].items():
            strength[term] += weight
            users[term] += 1
    words = sorted(
        (term for term in strength if users[term] >= MIN_TABLE),
        key=lambda term: (-users[term], -strength[term], term),
    )[:limit]
    rank = {word: position for position, word in enumerate(words)}
    pair_users: Counter[str] = Counter()
    for index in table:
        pair_users.update({key for key, _ in vectors.surfaces[index] if " " in key})
    pairs = sorted(
        (
            pair
            for pair, count in pair_users.items()
            if count >= MIN_TABLE and all(part in rank for part in pair.split())
        ),
        key=lambda pair: (-pair_users[pair], sorted(rank[part] for part in pair.split())),
    )
    chosen: list[tuple[int, str]] = []
    placed: set[str] = set()
    for pair in pairs:
        parts = pair.split()
        if not placed.issuperset(parts):
            chosen.append((min(rank[part] for part in parts), pair))
            placed.update(parts)
    chosen.extend((rank[word], word) for word in words if word not in placed)
    written: Counter[tuple[str, str]] = Counter()
    for index in table:
        written.update(vectors.surfaces[index])
    labels = []
    for _, term in sorted(chosen):
        forms = sorted((-count, words) for (key, words), count in written.items() if key == term)
        labels.append(forms[0][1])
    return tuple(labels)


def match_challenges(
    challenges: Iterable[Challenge], threshold: float = DEFAULT_THRESHOLD
) -> Matching:
    """Propose workshop tables for ``challenges``; see the module docstring."""
    ordered = sorted(challenges, key=lambda challenge: challenge.id)
    ids = [challenge.id for challenge in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("challenge ids must be unique")
    vectors = _vectorize([f"{c.title}. {c.description}" for c in ordered])
    similarities = cosine_similarities(vectors.weights)
    clusters = cluster([c.initiative_id for c in ordered], similarities, threshold)
    tables: list[Table] = []
    unmatched: list[int] = []
    for items in clusters:
        if len(items) < MIN_TABLE:
            unmatched.extend(ids[i] for i in items)
            continue
        pairs = [(i, j) for n, i in enumerate(items) for j in items[n + 1 :]]
        cohesion = sum(similarities.get(pair, 0.0) for pair in pairs) / len(pairs)
        tables.append(
            Table(
                challenge_ids=tuple(ids[i] for i in items),
                shared_terms=_shared_terms(items, vectors),
                cohesion=cohesion,
            )
        )
    tables.sort(key=lambda table: (-table.cohesion, table.challenge_ids))
    return Matching(tables=tuple(tables), unmatched=tuple(sorted(unmatched)))
