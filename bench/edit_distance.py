"""Edit-distance micro-benchmark: the typo checks of the name index and the name matcher.

    python bench/edit_distance.py [--repeat 5]

Cases, on the names bench/lookups.py seeds (10,000 initiatives, a fixed seed):

* ``word distance``: ``word_distance`` for query words with one dropped letter against
  the index's candidate words (what ``NameIndex._close_words`` compares), per call;
* ``edit distance, names``: ``edit_distance`` of a typed name with a typo against whole
  names within the matcher's bound (what ``name_matcher`` does for each candidate);
* ``index typo search``: ``NameIndex.search`` of two-word queries with a typo in each
  word, its result memo cleared before each query;
* ``rank_names``: the name matcher over 600 names with a typo in the typed name.

Prints microseconds per call (best of ``--repeat``) and a checksum of the answers, so
two versions of the code can be compared side by side from their own trees.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lookups import initiative_names, typo
from bot.services.common import fuzzy
from bot.services.common.name_matcher import Candidate, rank_names


def _cases() -> dict[str, tuple[Callable[[], object], int, int]]:
    rng = random.Random(7)
    names = initiative_names(10_000, rng)
    folded = [fuzzy.fold(name) for name in names]
    words = sorted({word for name in folded for word in name.split() if not word.isdigit()})
    pairs = [(typo(rng.choice(words), rng), rng.choice(words)) for _ in range(2_000)]
    pairs += [(typo(word, rng), word) for word in words]
    typed_names = [(typo(name, rng), name) for name in rng.sample(folded, 500)]
    index = fuzzy.NameIndex()
    index.add_many((key, name, f"initiative-{key}") for key, name in enumerate(names))
    index.prepare()
    queries = [
        " ".join(typo(word, rng) for word in rng.choice(folded).split()[:2]) for _ in range(200)
    ]
    candidates = [Candidate(key, name) for key, name in enumerate(rng.sample(names, 600))]
    typed = [typo(candidate.name, rng) for candidate in rng.sample(candidates, 20)]

    def word_distances() -> object:
        return sum(fuzzy.word_distance(a, b, fuzzy.typo_allowance(a)) for a, b in pairs) / len(
            pairs
        )

    def name_distances() -> object:
        return sum(fuzzy.edit_distance(a, b, max(1, len(a) // 4)) for a, b in typed_names) / len(
            typed_names
        )

    def index_search() -> object:
        total = 0
        for query in queries:
            index._results.clear()
            total += sum(match.key for match in index.search(query))
        return total

    def ranking() -> object:
        return sum(len(rank_names(text, candidates)) for text in typed)

    return {
        "word distance": (word_distances, 5, len(pairs)),
        "edit distance, names": (name_distances, 5, len(typed_names)),
        "index typo search": (index_search, 3, len(queries)),
        "rank_names": (ranking, 3, len(typed)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    for name, (call, number, calls) in _cases().items():
        answer = call()
        best = min(timeit.repeat(call, number=number, repeat=args.repeat)) / number / calls
        results[name] = {"us_per_call": round(best * 1e6, 2), "answer": answer}
        print(f"{name:22} {best * 1e6:9.2f} us   answer {answer}")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
