"""Mapping files: how another publisher's columns and categories become asset fields.

The format is described in data/mappings/README.md. A mapping is JSON:
`{"format": "assetmap-mapping/1", "lookups": {...}, "fields": {FIELD: RULE or [RULE, ...]}}`.
"""

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.schemas.tabular import CSV_COLUMNS

FORMAT = "assetmap-mapping/1"
# Fields a mapping may fill: the asset's own fields. id, version and timestamps belong to the
# database that holds the asset, so a mapping from someone else's data never sets them.
TARGETS = tuple(c for c in CSV_COLUMNS if c not in ("id", "version", "created_at", "updated_at"))
LIST_TARGETS = ("themes", "accessibility", "languages")
RULE_KEYS = {"column", "value", "template", "map", "unmapped", "split", "transform", "create_only"}
UNMAPPED = ("error", "keep", "skip")
TRANSFORMS = ("url", "upper", "lower", "strip")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)(?:\|([A-Za-z0-9_]+))?\}")


class MappingError(ValueError):
    """The mapping file itself is wrong (says where)."""


class UnmappedValue(ValueError):
    """A source value has no entry in a rule's `map` (field: the target field, when known)."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Rule:
    """One way to get a field's value from a source record."""

    columns: tuple[str, ...] = ()
    value: Any = None
    template: str | None = None
    map: dict[str, Any] | None = None
    unmapped: str = "error"
    split: str | None = None
    transform: str | None = None
    create_only: bool = False

    def apply(self, row: MappingABC[str, Any], lookups: dict[str, dict[str, Any]]) -> Any:
        """The value this rule gives for the row (None or [] when it gives nothing)."""
        if self.template is not None:
            found: Any = _render(self.template, row, lookups)
        elif self.columns:
            found = next((row[c] for c in self.columns if not _empty(row.get(c))), None)
        else:
            found = self.value
        if _empty(found):
            return None
        if self.split is not None and isinstance(found, str):
            found = [part.strip() for part in found.split(self.split) if part.strip()]
        if self.map is not None:
            found = self._mapped(found)
        if self.transform is not None and isinstance(found, str):
            found = _TRANSFORM[self.transform](found)
        return None if _empty(found) else found

    def _mapped(self, found: Any) -> Any:
        assert self.map is not None
        if isinstance(found, list):
            out: list[Any] = []
            for item in found:
                mapped = self._mapped(item)
                if mapped is not None:
                    out.extend(mapped if isinstance(mapped, list) else [mapped])
            return out
        key = str(found)
        if key in self.map:
            return self.map[key]
        if self.unmapped == "keep":
            return found
        if self.unmapped == "skip":
            return None
        raise UnmappedValue(f"{key!r} is not in the mapping's `map` for this field")


@dataclass(frozen=True)
class Mapped:
    """One record through a mapping: our fields, and those only a new asset takes."""

    values: dict[str, Any]
    create_only: frozenset[str]


@dataclass
class Mapping:
    """A parsed mapping file: rules per target field, and named lookup tables."""

    fields: dict[str, tuple[Rule, ...]]
    lookups: dict[str, dict[str, Any]] = field(default_factory=dict)
    title: str = ""

    def apply(self, row: MappingABC[str, Any]) -> Mapped:
        """Our fields for one source record; UnmappedValue names the field when a map fails."""
        values: dict[str, Any] = {}
        create_only: set[str] = set()
        for name, rules in self.fields.items():
            try:
                values[name], only_new = _combine(name, rules, row, self.lookups)
            except UnmappedValue as exc:
                raise UnmappedValue(exc.reason, name) from exc
            if only_new:
                create_only.add(name)
        return Mapped(values=values, create_only=frozenset(create_only))


def _combine(
    name: str, rules: tuple[Rule, ...], row: MappingABC[str, Any], lookups: dict[str, Any]
) -> tuple[Any, bool]:
    """The field's value, and whether it came from a create_only rule."""
    if name in LIST_TARGETS:
        # List fields collect from every rule (e.g. themes from category and subcategory).
        values: list[Any] = []
        only_new = False
        for rule in rules:
            got = rule.apply(row, lookups)
            if got is not None:
                values.extend(got if isinstance(got, list) else [got])
                only_new = only_new or rule.create_only
        return list(dict.fromkeys(values)), only_new
    for rule in rules:
        got = rule.apply(row, lookups)
        if got is not None:
            return got, rule.create_only
    return None, False


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list) and not value)


def _render(template: str, row: MappingABC[str, Any], lookups: dict[str, dict[str, Any]]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = row.get(match.group(1))
        if value is None:
            return ""
        text = str(value)
        if match.group(2):
            text = str(lookups[match.group(2)].get(text, text))
        return text

    return _PLACEHOLDER.sub(replace, template).strip()


def _url(value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        return "https://" + value
    return value


_TRANSFORM = {"url": _url, "upper": str.upper, "lower": str.lower, "strip": str.strip}


# ---- loading -----------------------------------------------------------------------------------


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; MappingError says what is wrong and where."""
    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise MappingError(f"{path}: cannot read as JSON: {exc}") from exc
    return parse_mapping(document, where=str(path))


def parse_mapping(document: Any, *, where: str = "mapping") -> Mapping:
    """Check a mapping document (already parsed JSON) and build the Mapping."""
    if not isinstance(document, dict):
        raise MappingError(f"{where}: must be a JSON object")
    if document.get("format") != FORMAT:
        raise MappingError(f"{where}: `format` must be {FORMAT!r}")
    unknown = set(document) - {"format", "title", "notes", "lookups", "fields"}
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
    lookups = document.get("lookups", {})
    if not isinstance(lookups, dict) or not all(isinstance(v, dict) for v in lookups.values()):
        raise MappingError(f"{where}: `lookups` must map names to objects")
    fields = document.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise MappingError(f"{where}: `fields` must be a non-empty object")
    parsed: dict[str, tuple[Rule, ...]] = {}
    for name, spec in fields.items():
        if name not in TARGETS:
            raise MappingError(f"{where}: fields.{name}: not an asset field ({', '.join(TARGETS)})")
        specs = spec if isinstance(spec, list) else [spec]
        parsed[name] = tuple(
            _rule(s, lookups, f"{where}: fields.{name}[{i}]") for i, s in enumerate(specs)
        )
    if "kind" not in parsed:
        raise MappingError(f"{where}: fields.kind is required (every asset needs a kind)")
    return Mapping(fields=parsed, lookups=lookups, title=str(document.get("title", "")))


def _rule(spec: Any, lookups: dict[str, Any], where: str) -> Rule:
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: a rule must be an object")
    unknown = set(spec) - RULE_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
    sources = [k for k in ("column", "value", "template") if k in spec]
    if len(sources) != 1:
        raise MappingError(f"{where}: give exactly one of column, value, template")
    columns = spec.get("column", ())
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    if not all(isinstance(c, str) and c for c in columns):
        raise MappingError(f"{where}: column must be a name or a list of names")
    template = spec.get("template")
    if template is not None:
        for _, lookup in _PLACEHOLDER.findall(template):
            if lookup and lookup not in lookups:
                raise MappingError(f"{where}: template uses unknown lookup {lookup!r}")
    table = spec.get("map")
    if isinstance(table, str):
        if table not in lookups:
            raise MappingError(f"{where}: map names unknown lookup {table!r}")
        table = lookups[table]
    if table is not None and not isinstance(table, dict):
        raise MappingError(f"{where}: map must be an object or the name of a lookup")
    unmapped = spec.get("unmapped", "error")
    if unmapped not in UNMAPPED:
        raise MappingError(f"{where}: unmapped must be one of {', '.join(UNMAPPED)}")
    transform = spec.get("transform")
    if transform is not None and transform not in TRANSFORMS:
        raise MappingError(f"{where}: transform must be one of {', '.join(TRANSFORMS)}")
    if not isinstance(spec.get("create_only", False), bool):
        raise MappingError(f"{where}: create_only must be true or false")
    if spec.get("split") is not None and not isinstance(spec["split"], str):
        raise MappingError(f"{where}: split must be a separator string")
    return Rule(
        columns=columns,
        value=spec.get("value"),
        template=template,
        map=table,
        unmapped=unmapped,
        split=spec.get("split"),
        transform=transform,
        create_only=spec.get("create_only", False),
    )
