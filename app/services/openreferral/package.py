"""The profile's CSV data package: fully nested services to tables of rows, and back.

An ORUK (HSDS 3) data package is a folder with `datapackage.json` and one CSV per table
(`services.csv`, `organizations.csv`, `locations.csv`, `service_at_location.csv`,
`schedule.csv`, `phones.csv`, ...): each table's columns are the schema's scalar fields, and a
child row carries its parent's id (`phones.service_id`, `schedule.service_at_location_id`,
`attribute.link_id` with `link_type`/`link_entity` and `taxonomy_term_id`). `flatten` turns
nested service documents into those tables (dropping no scalar field: a column the profile does
not name, such as `languages.code`, is kept after the profile's own), `write_package` writes
them, and `read_package` assembles the nested services again, numbers typed as the schemas say.

A row that another names but that is missing (a service's organization, a location, a taxonomy
term) makes that service a *missing* one with the reason, not a crash; a child whose parent is
not in the package is noted; a package that cannot be read as tables is an OrukSourceError.
"""

import csv
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATAPACKAGE = "datapackage.json"


@dataclass(frozen=True)
class Table:
    """One table of the profile: its file, its scalar fields (schema order), which are numbers."""

    name: str
    path: str
    fields: tuple[str, ...]
    numbers: frozenset[str] = frozenset()


# From the profile's schemas (../shared/standards/oruk-3.0/schema/*.json: `name`, `path`, the
# properties that are not arrays or objects; tests/api/test_openreferral_csv.py checks them).
TABLES = {
    t.name: t
    for t in (
        Table("organization", "organizations.csv",
              ("id", "name", "description", "email", "website", "logo", "uri",
               "parent_organization_id")),
        Table("attribute", "attribute.csv", ("id", "link_id", "taxonomy_term_id", "link_type")),
        Table("service", "services.csv",
              ("id", "organization_id", "name", "description", "url", "email", "status", "fees",
               "accreditations", "minimum_age", "maximum_age", "assured_date", "assurer_email",
               "alert", "last_modified"),
              frozenset({"minimum_age", "maximum_age"})),
        Table("service_at_location", "service_at_location.csv",
              ("id", "service_id", "location_id")),
        Table("location", "locations.csv",
              ("id", "location_type", "name", "description", "latitude", "longitude",
               "external_identifier", "external_identifier_type"),
              frozenset({"latitude", "longitude"})),
        Table("phone", "phones.csv", ("id", "contact_id", "number", "description")),
        Table("contact", "contacts.csv", ("id", "service_id", "name", "title")),
        Table("address", "address.csv",
              ("id", "location_id", "attention", "address_1", "city", "region",
               "state_province", "postal_code", "country", "address_type")),
        Table("schedule", "schedule.csv",
              ("id", "service_id", "service_at_location_id", "valid_from", "valid_to",
               "dtstart", "freq", "interval", "byday", "bymonthday", "description", "opens_at",
               "closes_at", "schedule_link", "attending_type", "notes"),
              frozenset({"interval"})),
        Table("funding", "funding.csv", ("id", "service_id", "source")),
        Table("service_area", "service_areas.csv",
              ("id", "service_id", "name", "extent", "extent_type", "uri", "service_area")),
        Table("language", "languages.csv", ("id", "service_id", "phone_id")),
        Table("accessibility", "accessibility.csv",
              ("id", "location_id", "description", "details", "url", "accessibility")),
        Table("taxonomy_term", "taxonomy_terms.csv",
              ("id", "name", "description", "parent_id", "taxonomy", "taxonomy_id", "term_uri",
               "term")),
        Table("cost_option", "cost_options.csv",
              ("id", "service_id", "valid_from", "valid_to", "option", "amount",
               "amount_description"),
              frozenset({"amount"})),
        Table("organization_identifier", "organization_identifiers.csv",
              ("id", "organization_id", "identifier_scheme", "identifier_type", "identifier")),
        Table("taxonomy", "taxonomies.csv", ("id", "name", "description", "uri", "version")),
    )
}  # fmt: skip

# Lists of children, by the key that holds them, for each table that has them (HSDS 3 also
# hangs phones and languages on a service, which the export does).
CHILDREN: dict[str, dict[str, str]] = {
    "service": {
        "service_at_locations": "service_at_location",
        "schedules": "schedule",
        "service_areas": "service_area",
        "languages": "language",
        "phones": "phone",
        "contacts": "contact",
        "funding": "funding",
        "cost_options": "cost_option",
        "attributes": "attribute",
    },
    "service_at_location": {"schedules": "schedule", "attributes": "attribute"},
    "location": {
        "addresses": "address",
        "accessibility": "accessibility",
        "attributes": "attribute",
    },
    "organization": {
        "organization_identifiers": "organization_identifier",
        "attributes": "attribute",
    },
    "contact": {"phones": "phone", "attributes": "attribute"},
    "phone": {"languages": "language"},
    "address": {"attributes": "attribute"},
    "accessibility": {"attributes": "attribute"},
    "organization_identifier": {"attributes": "attribute"},
}
CHILD_TABLES = frozenset(c for children in CHILDREN.values() for c in children.values())
# Objects a row names by id (one each), by the key that holds them and the id column.
REFERENCES: dict[str, dict[str, tuple[str, str]]] = {
    "service": {"organization": ("organization", "organization_id")},
    "service_at_location": {"location": ("location", "location_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
}


class PackageError(ValueError):
    """The package cannot be read as the profile's tables (the message says where)."""


class MissingRow(Exception):
    """A row names another that is not in the package (the message says which)."""


# ---- nested -> tables ---------------------------------------------------------------------------


Rows = dict[str, dict[str, dict[str, Any]]]  # table -> id -> row


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _add(rows: Rows, table: str, document: dict[str, Any], parent: tuple[str, str] | None) -> str:
    """Add a document and everything under it to `rows`; its id."""
    row = {k: v for k, v in document.items() if _is_scalar(v)}
    if parent is not None:
        parent_table, parent_id = parent
        if table == "attribute":
            row.setdefault("link_id", parent_id)
            row.setdefault("link_type", parent_table)
        elif table == "schedule" and parent_table == "service_at_location":
            row["service_at_location_id"] = parent_id
        else:
            row[f"{parent_table}_id"] = parent_id
    for key, (other, column) in REFERENCES.get(table, {}).items():
        if isinstance(document.get(key), dict):
            row[column] = _add(rows, other, document[key], None)
    for key, child in CHILDREN.get(table, {}).items():
        for item in document.get(key) or []:
            if isinstance(item, dict):
                _add(rows, child, item, (table, str(row.get("id"))))
    row_id = str(row.get("id"))
    rows[table].setdefault(row_id, {}).update(row)
    return row_id


@dataclass(frozen=True)
class Tables:
    """A package's tables: each table's columns and rows, in the profile's order."""

    columns: dict[str, list[str]]
    rows: dict[str, list[dict[str, Any]]]


def flatten(
    services: Iterable[dict[str, Any]], taxonomies: Iterable[dict[str, Any]] = ()
) -> Tables:
    """The profile's tables of fully nested services (and of taxonomies, when given)."""
    rows: Rows = defaultdict(dict)
    for service in services:
        _add(rows, "service", service, None)
    for taxonomy in taxonomies:
        _add(rows, "taxonomy", taxonomy, None)
    columns, out = {}, {}
    for name, table in TABLES.items():
        if name not in rows:
            continue
        extra = sorted({k for row in rows[name].values() for k in row} - set(table.fields))
        columns[name] = [*table.fields, *extra]
        out[name] = list(rows[name].values())
    return Tables(columns, out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_package(tables: Tables, folder: Path, name: str = "openreferral-uk") -> Path:
    """Write `tables` as a data package in `folder` (created); the datapackage.json path."""
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for table_name, columns in tables.columns.items():
        table = TABLES[table_name]
        with (folder / table.path).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in tables.rows[table_name]:
                writer.writerow([_cell(row.get(column)) for column in columns])
        resources.append(
            {
                "name": table.name,
                "path": table.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": c, "type": "number" if c in table.numbers else "string"}
                        for c in columns
                    ],
                    "primaryKey": "id",
                },
            }
        )
    descriptor = {"name": name, "profile": "tabular-data-package", "resources": resources}
    path = folder / DATAPACKAGE
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return path


# ---- tables -> nested ---------------------------------------------------------------------------


def _number(text: str, where: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise PackageError(f"{where}: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise PackageError(f"{where}: {text!r} is not a finite number")
    return value


def _boolean(text: str, where: str) -> bool:
    folded = text.strip().lower()
    if folded in ("true", "yes", "1"):
        return True
    if folded in ("false", "no", "0"):
        return False
    raise PackageError(f"{where}: {text!r} is not true or false")


def _resources(descriptor_path: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The package's folder, and its resources by table name."""
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"cannot read {descriptor_path}: {exc}") from None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise PackageError(f"{descriptor_path}: not a data package (no list of resources)")
    by_table: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            raise PackageError(f"{descriptor_path}: a resource without a path: {resource!r}")
        stem = Path(resource["path"]).stem
        for table in TABLES.values():
            if resource.get("name") in (table.name, Path(table.path).stem) or stem in (
                table.name,
                Path(table.path).stem,
            ):
                by_table.setdefault(table.name, resource)
    return descriptor_path.parent, by_table


def _read_table(folder: Path, table: Table, resource: dict[str, Any] | None) -> list[dict]:
    """A table's rows, typed; [] when the package has no such table."""
    if resource is not None:
        path = (folder / resource["path"]).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise PackageError(f"{resource['path']}: a resource outside the package's folder")
        if not path.is_file():
            raise PackageError(f"{path.name} is listed in {DATAPACKAGE} but missing")
    else:
        found = [folder / table.path, folder / f"{table.name}.csv"]
        path = next((p for p in found if p.is_file()), found[0])
        if not path.is_file():
            return []
    declared = {
        f.get("name"): f.get("type")
        for f in ((resource or {}).get("schema") or {}).get("fields") or []
        if isinstance(f, dict)
    }
    try:
        with path.open(encoding="utf-8-sig", newline="") as source:
            reader = csv.reader(source, strict=True)
            header = next(reader, None)
            if not header or "id" not in header:
                raise PackageError(f"{path.name}: the first row must name the columns, with id")
            if len(set(header)) != len(header):
                raise PackageError(f"{path.name}: a column is named twice in {header}")
            rows = []
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    raise PackageError(
                        f"{path.name} row {number}: {len(values)} values for {len(header)} columns"
                    )
                rows.append(_typed(table, dict(zip(header, values, strict=True)), declared,
                                   f"{path.name} row {number}"))  # fmt: skip
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PackageError(f"cannot read {path.name}: {exc}") from None
    return rows


def _typed(table: Table, row: dict[str, str], declared: dict[Any, Any], where: str) -> dict:
    typed: dict[str, Any] = {"_where": where}
    for column, text in row.items():
        if text == "":
            continue  # an empty cell is a field the row does not have
        kind = "number" if column in table.numbers else declared.get(column)
        if kind in ("number", "integer"):
            typed[column] = _number(text.strip(), f"{where}, {column}")
        elif kind == "boolean":
            typed[column] = _boolean(text, f"{where}, {column}")
        else:
            typed[column] = text
    return typed


@dataclass
class Package:
    """A package's services, assembled; those that name a missing row; notes on the rest."""

    services: list[dict[str, Any]] = field(default_factory=list)
    missing: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Assembler:
    """Nested documents from the typed rows of every table."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.by_id: dict[str, dict[str, dict[str, Any]]] = {}
        for name, rows in tables.items():
            self.by_id[name] = {}
            for row in rows:
                if "id" not in row:
                    raise PackageError(f"{row['_where']}: no id")
                if row["id"] in self.by_id[name]:
                    raise PackageError(f"{row['_where']}: id {row['id']} is used twice")
                self.by_id[name][row["id"]] = row
        self.children: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        self.notes: list[str] = []
        for name, rows in tables.items():
            for row in rows:
                self._place(name, row)

    def _place(self, name: str, row: dict[str, Any]) -> None:
        """File a child row under its parent (table, id, key); note it when that is not here."""
        if name not in CHILD_TABLES:
            return
        if name == "attribute":
            entity = row.get("link_entity") or row.get("link_type")
            holders = [t for t, children in CHILDREN.items() if name in children.values()]
            # A free-text link_type (the profile's example has one): the id says which.
            parents = [
                (t, row.get("link_id")) for t in ([entity] if entity in holders else holders)
            ]
        elif name == "schedule" and row.get("service_at_location_id"):
            parents = [("service_at_location", row["service_at_location_id"])]
        else:
            parents = [
                (p, row.get(f"{p}_id"))
                for p, children in CHILDREN.items()
                if name in children.values() and row.get(f"{p}_id")
            ]
        for parent, parent_id in parents:
            if parent_id in self.by_id.get(parent, {}):
                key = next(k for k, c in CHILDREN[parent].items() if c == name)
                self.children[(parent, str(parent_id), key)].append(row)
                return
        named = sorted({f"{p}_id {i!r}" for p, i in parents if i})
        if name == "attribute" and row.get("link_id"):
            named = [f"link_id {row['link_id']!r}"]
        said = ", ".join(named) if named else "no parent's id"
        self.notes.append(f"{row['_where']}: {said} names no row here: not read")

    def build(self, name: str, row: dict[str, Any]) -> dict[str, Any]:
        """The nested document of a row (MissingRow when it names a row that is not here)."""
        document = {k: v for k, v in row.items() if k != "_where"}
        for key, (other, column) in REFERENCES.get(name, {}).items():
            if column in row:
                found = self.by_id.get(other, {}).get(row[column])
                if found is None:
                    path = TABLES[other].path
                    raise MissingRow(f"its {column} {row[column]!r} names no row of {path}")
                document[key] = self.build(other, found)
        for key in CHILDREN.get(name, {}):
            rows = self.children.get((name, str(row["id"]), key), [])
            document[key] = [self.build(CHILDREN[name][key], r) for r in rows]
        return document


def read_package(path: Path) -> Package:
    """The services of a data package (its folder, or its datapackage.json), fully nested."""
    descriptor = path / DATAPACKAGE if path.is_dir() else path
    if not descriptor.is_file():
        raise PackageError(f"no {DATAPACKAGE} in {path}")
    folder, resources = _resources(descriptor)
    if "service" not in resources and not any(
        (folder / n).is_file() for n in (TABLES["service"].path, "service.csv")
    ):
        raise PackageError(f"{descriptor}: no services table (services.csv)")
    tables = {
        name: _read_table(folder, table, resources.get(name)) for name, table in TABLES.items()
    }
    assembler = _Assembler(tables)
    package = Package(notes=assembler.notes)
    for row in tables["service"]:
        try:
            package.services.append(assembler.build("service", row))
        except MissingRow as exc:
            document = {k: v for k, v in row.items() if k != "_where"}
            package.missing.append((document, str(exc)))
    return package
