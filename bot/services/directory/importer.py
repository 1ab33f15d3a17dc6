"""Import and export of the directory (clusters and initiatives) as TOML or JSON.

The format is the one of ``bot/data/eip-scc.toml`` (documented at its top):
``format_version = 1``, ``[[clusters]]`` and ``[[initiatives]]`` keyed by slug.

Rules:
* A file that cannot be read as a whole (not UTF-8, not TOML/JSON, a key
  given twice in one JSON object, nested deeper than ``MAX_NESTING``, a number
  too long to read, not a table, wrong or missing ``format_version``, unknown
  top-level keys, ``clusters``/``initiatives`` not lists) changes nothing:
  InvalidInput says where and why.
* Otherwise every row is checked on its own: valid rows are imported, invalid
  rows are skipped and listed in the report with the reason. One bad row does
  not hold back a hundred good ones; the admin fixes it and imports again.
* Importing is idempotent: a row equal to what is stored is "unchanged" and
  not written. A changed row updates the initiative in place (same id, so
  memberships, documents, channel and role stay).
* Initiatives or clusters missing from the file are kept, never deleted
  (deleting takes memberships with it); the report lists them.
* Channel and role ids are not part of the file: they belong to one server.
* Names are stored NFKC-normalised; a name holding an invisible character, or
  looking the same as another cluster's or initiative's (``names.skeleton``),
  is a rejected row.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from bot.errors import InvalidInput
from bot.services.common.clock import Clock, utc_now
from bot.services.common.names import normalise_name, skeleton
from bot.services.directory.cache import DirectoryCache, GuildDirectory
from bot.services.directory.service import (
    MAX_DESCRIPTION_LENGTH,
    MAX_SOURCE_NOTE_LENGTH,
    goal_problem,
    lookalike_problem,
    name_problem,
    slug_problem,
)
from bot.storage.directory.models import ClusterDraft, InitiativeDraft, SourceCounts
from bot.storage.directory.repository import DirectoryChanges
from bot.storage.store import Store

FORMAT_VERSION = 1
MAX_FILE_BYTES = 5_000_000
# The format nests four deep (file, list, row, source_counts); anything much
# deeper is not a directory file, and deep enough would exhaust the parser's stack.
MAX_NESTING = 8
# source_counts are counts of a marketplace listing: far below this.
MAX_SOURCE_COUNT = 1_000_000
_TOP_LEVEL = ("format_version", "clusters", "initiatives")
_CLUSTER_FIELDS = ("slug", "name", "description")
_INITIATIVE_FIELDS = (
    "slug",
    "name",
    "cluster",
    "goal",
    "title_missing",
    "goal_truncated",
    "source_note",
    "source_counts",
)
_COUNT_FIELDS = ("members", "documents", "projects", "discussions")

Section = Literal["clusters", "initiatives"]
ExportFormat = Literal["toml", "json"]


@dataclass(frozen=True)
class RowRef:
    """A row of the file: its section, 1-based position, and slug (or name) if any."""

    section: Section
    index: int
    key: str

    def __str__(self) -> str:
        singular = "cluster" if self.section == "clusters" else "initiative"
        label = f" `{self.key}`" if self.key else ""
        return f"{singular} #{self.index}{label}"


@dataclass(frozen=True)
class Rejected:
    row: RowRef
    reason: str


@dataclass(frozen=True)
class Updated:
    row: RowRef
    fields: tuple[str, ...]  # what changed


@dataclass(frozen=True)
class ImportReport:
    added: tuple[RowRef, ...] = ()
    updated: tuple[Updated, ...] = ()
    unchanged: tuple[RowRef, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    # Slugs stored on this server but absent from the file (kept, not deleted).
    not_in_file: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.rejected)} rejected"
        )

    def lines(self) -> list[str]:
        """A readable report: the summary, then every change and every rejection."""
        lines = [self.summary() + "."]
        lines.extend(f"Added {row}." for row in self.added)
        lines.extend(f"Updated {u.row}: {', '.join(u.fields)}." for u in self.updated)
        lines.extend(f"Rejected {r.row}: {r.reason}." for r in self.rejected)
        if self.not_in_file:
            kept = ", ".join(f"`{slug}`" for slug in self.not_in_file)
            lines.append(f"Not in the file, kept as they are: {kept}.")
        return lines


def bundled_seed() -> bytes:
    """The EIP-SCC directory shipped with Agora."""
    return resources.files("bot").joinpath("data/eip-scc.toml").read_bytes()


def parse_document(data: bytes, filename: str) -> dict[str, Any]:
    """The file as a dict (TOML or JSON, by extension or content); InvalidInput if unreadable."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"{filename} is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}. "
            f"Split it into several files."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{filename} is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8."
        ) from None
    lowered = filename.lower()
    as_json = lowered.endswith(".json") or (
        not lowered.endswith(".toml") and text.lstrip().startswith(("{", "["))
    )
    too_deep = InvalidInput(
        f"{filename} nests lists or tables more than {MAX_NESTING} levels deep; a directory "
        f"file needs four (the file, [[initiatives]], a row, its source_counts)."
    )
    try:
        if as_json:
            document = json.loads(text, object_pairs_hook=_unique_keys)
        else:
            document = tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{filename} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{filename} is not valid TOML: {exc}.") from None
    except _DuplicateKey as exc:
        raise InvalidInput(
            f"{filename} gives the key {_shown(exc.key)} twice in one object{exc.where}; "
            f"each key may appear once (as in TOML): keep the right one and import again."
        ) from None
    except RecursionError:
        raise too_deep from None
    except ValueError:
        # Python refuses to read integers of more than 4,300 digits.
        raise InvalidInput(
            f"{filename} holds a number thousands of digits long; the only numbers in a "
            f"directory file are small counts."
        ) from None
    if _nesting(document) > MAX_NESTING:
        raise too_deep
    if not isinstance(document, dict):
        raise InvalidInput(f"{filename} must hold a table (a JSON object) at the top level.")
    _check_structure(document, filename)
    return document


class _DuplicateKey(Exception):
    def __init__(self, key: str, where: str) -> None:
        super().__init__(key)
        self.key = key
        self.where = where


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (json keeps the last silently)."""
    table: dict[str, Any] = {}
    for key, value in pairs:
        if key in table:
            named = next(
                (v for k, v in pairs if k in ("slug", "name") and isinstance(v, str)), None
            )
            raise _DuplicateKey(key, "" if named is None else f" (the one of {_shown(named)})")
        table[key] = value
    return table


def _nesting(value: object) -> int:
    """How many lists and tables deep ``value`` goes, counted without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            return depth
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _clipped_keys(keys: list[str]) -> str:
    """Keys for a message: the first ten, each at most 40 characters."""
    return ", ".join(key if len(key) <= 40 else key[:39] + "…" for key in keys[:10])


def _shown(value: object) -> str:
    """A value as quoted in a message: short, and never a wall of digits or nesting."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        digits = len(str(abs(value)))
        return repr(value) if digits <= 24 else f"a number of {digits:,} digits"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57]) + "…"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _check_structure(document: dict[str, Any], filename: str) -> None:
    unknown = sorted(set(document) - set(_TOP_LEVEL))
    if unknown:
        raise InvalidInput(
            f"{filename} has unknown top-level keys: {_clipped_keys(unknown)}. "
            f"Only {', '.join(_TOP_LEVEL)} are allowed."
        )
    version = document.get("format_version")
    if version is None:
        raise InvalidInput(
            f"{filename} has no format_version; add `format_version = 1` at the top."
        )
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise InvalidInput(
            f"{filename} has format_version {_shown(version)}; this Agora reads format_version "
            f"{FORMAT_VERSION}."
        )
    for section in ("clusters", "initiatives"):
        if not isinstance(document.get(section, []), list):
            raise InvalidInput(
                f"In {filename}, {section} must be a list of tables ([[{section}]] in TOML)."
            )


@dataclass
class _Plan:
    """What the file asks for, checked row by row."""

    clusters: list[tuple[RowRef, ClusterDraft]] = field(default_factory=list)
    initiatives: list[tuple[RowRef, InitiativeDraft]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class DirectoryImporter:
    def __init__(self, store: Store, cache: DirectoryCache, clock: Clock = utc_now) -> None:
        self._store = store
        self._cache = cache
        self._clock = clock

    async def import_directory(self, guild_id: int, data: bytes, filename: str) -> ImportReport:
        document = parse_document(data, filename)
        directory = await self._cache.get(guild_id)
        plan = _plan(document, directory)
        changes, report = _diff(plan, directory)
        if report.changed:
            await self._store.directory.apply(guild_id, changes, self._clock())
            await self._cache.refresh_directory(guild_id)
        return report

    async def import_seed_if_empty(self, guild_id: int, path: str | Path) -> ImportReport | None:
        """Load ``path`` into a guild whose directory is empty (first start); None otherwise."""
        directory = await self._cache.get(guild_id)
        if directory.clusters or directory.initiatives:
            return None
        file = Path(path)
        data = await asyncio.to_thread(file.read_bytes)
        return await self.import_directory(guild_id, data, file.name)

    async def export_directory(self, guild_id: int, fmt: ExportFormat = "toml") -> bytes:
        document = export_document(await self._cache.get(guild_id))
        if fmt == "json":
            return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        return to_toml(document, self._clock()).encode("utf-8")


# --- checking rows -----------------------------------------------------------


def _plan(document: Mapping[str, Any], directory: GuildDirectory) -> _Plan:
    plan = _Plan()
    cluster_slugs = {c.slug: c.slug for c in directory.clusters.values()}
    cluster_names = {c.name.casefold(): c.slug for c in directory.clusters.values()}
    # Skeleton of each cluster name -> (slug, name): names that look the same clash.
    cluster_looks = {skeleton(c.name): (c.slug, c.name) for c in directory.clusters.values()}
    seen_slugs: dict[str, int] = {}
    for index, row in enumerate(document.get("clusters", []), start=1):
        ref = RowRef("clusters", index, _row_key(row))
        try:
            draft = _cluster_row(row)
            if draft.slug in seen_slugs:
                raise _RowError(
                    f"duplicate slug (already used by cluster #{seen_slugs[draft.slug]})"
                )
            owner, owner_name = cluster_looks.get(skeleton(draft.name), (draft.slug, ""))
            if owner != draft.slug:
                raise _RowError(lookalike_problem(draft.name, "cluster", owner_name, owner))
        except _RowError as exc:
            plan.rejected.append(Rejected(ref, str(exc)))
            continue
        seen_slugs[draft.slug] = index
        cluster_slugs[draft.slug] = draft.slug
        cluster_names[draft.name.casefold()] = draft.slug
        cluster_looks[skeleton(draft.name)] = (draft.slug, draft.name)
        plan.clusters.append((ref, draft))

    seen_slugs = {}
    for index, row in enumerate(document.get("initiatives", []), start=1):
        ref = RowRef("initiatives", index, _row_key(row))
        try:
            initiative = _initiative_row(row, cluster_slugs, cluster_names)
            if initiative.slug in seen_slugs:
                raise _RowError(
                    f"duplicate slug (already used by initiative #{seen_slugs[initiative.slug]})"
                )
        except _RowError as exc:
            plan.rejected.append(Rejected(ref, str(exc)))
            continue
        seen_slugs[initiative.slug] = index
        plan.initiatives.append((ref, initiative))
    _reject_name_clashes(plan, directory)
    return plan


def _reject_name_clashes(plan: _Plan, directory: GuildDirectory) -> None:
    """Two initiatives may not end up with names that look the same (same skeleton)."""
    looks: dict[str, str] = {}  # name -> skeleton, each computed once

    def look(name: str) -> str:
        if name not in looks:
            looks[name] = skeleton(name)
        return looks[name]

    while True:
        accepted = {draft.slug for _, draft in plan.initiatives}
        # Names after the import: stored ones not in the file stay as they are.
        holders: dict[str, tuple[str, str]] = {
            look(i.name): (i.slug, i.name)
            for i in directory.initiatives.values()
            if i.slug not in accepted
        }
        clash: tuple[RowRef, InitiativeDraft, tuple[str, str]] | None = None
        for ref, draft in plan.initiatives:
            holder = holders.setdefault(look(draft.name), (draft.slug, draft.name))
            if holder[0] != draft.slug:
                clash = (ref, draft, holder)
                break
        if clash is None:
            return
        ref, draft, (holder_slug, holder_name) = clash
        plan.initiatives = [(r, d) for r, d in plan.initiatives if r != ref]
        plan.rejected.append(
            Rejected(ref, lookalike_problem(draft.name, "initiative", holder_name, holder_slug))
        )


class _RowError(Exception):
    """A row is invalid; the message is the reason shown in the report."""


def _row_key(row: object) -> str:
    if isinstance(row, Mapping):
        for key in ("slug", "name"):
            value = row.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:100]
    return ""


def _table(row: object, known: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(row, Mapping):
        raise _RowError("not a table (write it as [[...]] with key = value lines)")
    unknown = sorted(map(str, set(row) - set(known)))
    if unknown:
        raise _RowError(f"unknown field {_clipped_keys(unknown)} (known: {', '.join(known)})")
    return row


def _string(row: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = row.get(key)
    if value is None:
        if required:
            raise _RowError(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise _RowError(f"{key} must be text, got {_shown(value)}")
    return value.strip()


def _flag(row: Mapping[str, Any], key: str) -> bool:
    value = row.get(key, False)
    if not isinstance(value, bool):
        raise _RowError(f"{key} must be true or false, got {_shown(value)}")
    return value


def _check(problem: str | None) -> None:
    if problem is not None:
        raise _RowError(problem)


def _cluster_row(row: object) -> ClusterDraft:
    table = _table(row, _CLUSTER_FIELDS)
    slug = _string(table, "slug", required=True)
    name = normalise_name(_string(table, "name", required=True))
    description = _string(table, "description")
    _check(slug_problem(slug))
    _check(name_problem(name))
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise _RowError(
            f"the description is {len(description)} characters long; "
            f"the limit is {MAX_DESCRIPTION_LENGTH}"
        )
    return ClusterDraft(slug=slug, name=name, description=description)


def _initiative_row(
    row: object, cluster_slugs: Mapping[str, str], cluster_names: Mapping[str, str]
) -> InitiativeDraft:
    table = _table(row, _INITIATIVE_FIELDS)
    slug = _string(table, "slug", required=True)
    name = normalise_name(_string(table, "name", required=True))
    cluster = _string(table, "cluster", required=True)
    goal = _string(table, "goal")
    note = _string(table, "source_note")
    _check(slug_problem(slug))
    _check(name_problem(name))
    _check(goal_problem(goal))
    if len(note) > MAX_SOURCE_NOTE_LENGTH:
        raise _RowError(
            f"the source_note is {len(note)} characters long; the limit is {MAX_SOURCE_NOTE_LENGTH}"
        )
    cluster_slug = cluster_slugs.get(cluster) or cluster_names.get(cluster.casefold())
    if cluster_slug is None:
        raise _RowError(
            f"unknown cluster {cluster!r} (use the slug of a cluster in the file or on this server)"
        )
    return InitiativeDraft(
        slug=slug,
        name=name,
        cluster_slug=cluster_slug,
        goal=goal,
        title_missing=_flag(table, "title_missing"),
        goal_truncated=_flag(table, "goal_truncated"),
        source_counts=_source_counts(table.get("source_counts")),
        source_note=note,
    )


def _source_counts(value: object) -> SourceCounts:
    if value is None:
        return SourceCounts()
    table = _table(value, _COUNT_FIELDS)
    counts: dict[str, int | None] = {}
    for key in _COUNT_FIELDS:
        count = table.get(key)
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 0
        ):
            raise _RowError(f"source_counts.{key} must be a whole number >= 0, got {_shown(count)}")
        if count is not None and count > MAX_SOURCE_COUNT:
            raise _RowError(
                f"source_counts.{key} is {_shown(count)}; a count above {MAX_SOURCE_COUNT:,} "
                f"cannot be right (copy it from the listing again)"
            )
        counts[key] = count
    return SourceCounts(**counts)


# --- comparing with what is stored ------------------------------------------


def _diff(plan: _Plan, directory: GuildDirectory) -> tuple[DirectoryChanges, ImportReport]:
    added: list[RowRef] = []
    updated: list[Updated] = []
    unchanged: list[RowRef] = []
    new_clusters: list[ClusterDraft] = []
    changed_clusters: list[ClusterDraft] = []
    stored_clusters = {c.slug: c for c in directory.clusters.values()}
    for ref, draft in plan.clusters:
        stored = stored_clusters.get(draft.slug)
        if stored is None:
            new_clusters.append(draft)
            added.append(ref)
            continue
        fields = [
            name
            for name, old, new in (
                ("name", stored.name, draft.name),
                ("description", stored.description, draft.description),
            )
            if old != new
        ]
        if fields:
            changed_clusters.append(draft)
            updated.append(Updated(ref, tuple(fields)))
        else:
            unchanged.append(ref)

    new_initiatives: list[InitiativeDraft] = []
    changed_initiatives: list[InitiativeDraft] = []
    stored_initiatives = {i.slug: i for i in directory.initiatives.values()}
    for ref, wanted in plan.initiatives:
        existing = stored_initiatives.get(wanted.slug)
        if existing is None:
            new_initiatives.append(wanted)
            added.append(ref)
            continue
        current = InitiativeDraft.of(existing, directory.clusters[existing.cluster_id].slug)
        fields = [
            name
            for name in (
                "name",
                "cluster_slug",
                "goal",
                "title_missing",
                "goal_truncated",
                "source_counts",
                "source_note",
            )
            if getattr(current, name) != getattr(wanted, name)
        ]
        if fields:
            changed_initiatives.append(wanted)
            shown = tuple("cluster" if f == "cluster_slug" else f for f in fields)
            updated.append(Updated(ref, shown))
        else:
            unchanged.append(ref)

    rejected_keys = {(r.row.section, r.row.key) for r in plan.rejected}
    in_file = {d.slug for _, d in plan.initiatives} | {
        key for section, key in rejected_keys if section == "initiatives"
    }
    clusters_in_file = {d.slug for _, d in plan.clusters} | {
        key for section, key in rejected_keys if section == "clusters"
    }
    not_in_file = sorted(
        [c.slug for c in directory.clusters.values() if c.slug not in clusters_in_file]
        + [i.slug for i in directory.initiatives.values() if i.slug not in in_file]
    )
    changes = DirectoryChanges(
        new_clusters=new_clusters,
        changed_clusters=changed_clusters,
        new_initiatives=new_initiatives,
        changed_initiatives=changed_initiatives,
    )
    report = ImportReport(
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        rejected=tuple(plan.rejected),
        not_in_file=tuple(not_in_file),
    )
    return changes, report


# --- export ------------------------------------------------------------------


def export_document(directory: GuildDirectory) -> dict[str, Any]:
    """The directory in the import format: clusters in creation order, initiatives by cluster."""
    clusters = list(directory.clusters.values())
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "clusters": [],
        "initiatives": [],
    }
    for cluster in clusters:
        row: dict[str, Any] = {"slug": cluster.slug, "name": cluster.name}
        if cluster.description:
            row["description"] = cluster.description
        document["clusters"].append(row)
    for cluster in clusters:
        for initiative in directory.initiatives_of_cluster(cluster.id):
            entry: dict[str, Any] = {
                "slug": initiative.slug,
                "name": initiative.name,
                "cluster": cluster.slug,
                "goal": initiative.goal,
            }
            if initiative.title_missing:
                entry["title_missing"] = True
            if initiative.goal_truncated:
                entry["goal_truncated"] = True
            if initiative.source_note:
                entry["source_note"] = initiative.source_note
            counts = {
                key: getattr(initiative.source_counts, key)
                for key in _COUNT_FIELDS
                if getattr(initiative.source_counts, key) is not None
            }
            if counts:
                entry["source_counts"] = counts
            document["initiatives"].append(entry)
    return document


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes; TOML also
        # forbids a raw DEL, which JSON leaves as is.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(document: Mapping[str, Any], now: datetime) -> str:
    """Write an export document (only the shapes export_document makes) as TOML."""
    lines = [
        f"# Agora directory export, {now:%Y-%m-%d %H:%M} UTC.",
        "# Format: see bot/data/eip-scc.toml. Edit and import it again to update.",
        "",
        f"format_version = {document['format_version']}",
    ]
    for section in ("clusters", "initiatives"):
        for row in document[section]:
            lines.extend(["", f"[[{section}]]"])
            tables: list[tuple[str, Mapping[str, Any]]] = []
            for key, value in row.items():
                if isinstance(value, Mapping):
                    tables.append((key, value))
                else:
                    lines.append(f"{key} = {_toml_value(value)}")
            for key, table in tables:
                lines.append(f"[{section}.{key}]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"
