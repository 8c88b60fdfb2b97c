"""Asset list pages built by the database: each item (JSON) or feature (GeoJSON) and the joined
page are made in SQL from the rows of `build_list_query` (same WHERE, ORDER BY and LIMIT, so
`visible_assets` alone still decides what is seen), in the bytes `canonical_json` /
`canonical_feature` make in Python (the reference, tested equal on both databases).
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import (
    Dialect,
    Float,
    Select,
    String,
    and_,
    case,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from app.models import PERSON_KINDS, Asset, AssetTheme
from app.schemas.assets import PUBLIC_FIELDS
from app.services.assets.records import (
    NEAR_EXHAUSTIVE,
    AssetFilters,
    build_list_query,
    encode_cursor,
    run_near_attempts,
)
from app.services.assets.visibility import Viewer
from app.spatial import backend_of
from app.spatial.json_sql import JSONText, joined, json_text_for

Shape = Literal["json", "feature"]
_TIMESTAMPS = frozenset({"last_verified_at", "created_at", "updated_at"})
_STORED_JSON = frozenset({"opening_hours", "accessibility", "languages"})


@dataclass(frozen=True)
class AssetBodies:
    """A page of assets as JSON text: the items joined by commas (no brackets), how many, and
    the cursor of the next page (None: last page)."""

    items: bytes
    count: int
    next_cursor: str | None


def _key(name: str) -> str:
    return orjson.dumps(name).decode() + ":"


def _properties(j: JSONText, row: Any, near: bool) -> Any:
    """`"kind":...,...` in the order of asset_json's properties (no braces)."""
    parts: list[Any] = []
    for index, name in enumerate(PUBLIC_FIELDS):
        column = row[name] if name != "themes" else None
        value: Any
        if name == "themes":
            value = (
                select(j.ordered_strings(AssetTheme.theme_code, AssetTheme.theme_code))
                .where(AssetTheme.asset_id == row["id"])
                .scalar_subquery()
            )
        elif name in _TIMESTAMPS:
            value = j.timestamp(column)
        elif name in _STORED_JSON:
            value = j.stored_json(column)
        elif name == "version":
            value = j.integer(column)
        else:
            value = j.string(column)
        parts += [("," if index else "") + _key(name), value]
    parts += ["," + _key("service_area"), j.geometry(row["service_area"])]
    if near:
        parts += ["," + _key("distance_m"), j.metres(row["distance_m"])]
    consent = joined(
        "," + _key("consent") + "{" + _key("recorded_by"),
        j.string(row["consent_recorded_by"]),
        "," + _key("recorded_at"),
        j.timestamp(row["consent_recorded_at"]),
        "," + _key("expires_at"),
        j.timestamp(row["consent_expires_at"]),
        "}",
    )
    parts.append(case((row["kind"].in_(PERSON_KINDS), consent), else_=""))
    reason = row["moderation_reason"]
    parts.append(
        case(
            (
                and_(reason.is_not(None), reason != ""),
                joined("," + _key("moderation_reason"), j.string(reason)),
            ),
            else_="",
        )
    )
    return parts


def _item(j: JSONText, row: Any, shape: Shape, near: bool) -> Any:
    point = j.point(row["location"], row["lon"], row["lat"])
    properties = _properties(j, row, near)
    if shape == "json":
        return j.concatenated(
            '{"id":', j.integer(row["id"]), ',"location":', point, ",", *properties, "}"
        )
    return j.concatenated(
        '{"type":"Feature","id":',
        j.integer(row["id"]),
        ',"geometry":',
        point,
        ',"properties":{',
        *properties,
        "}}",
    )


# The page's columns, by name and type, as the item expression reads them.
_PAGE_COLUMNS = (
    *(n for n in PUBLIC_FIELDS if n != "themes"),
    "id",
    "location",
    "service_area",
    "consent_recorded_by",
    "consent_recorded_at",
    "consent_expires_at",
    "moderation_reason",
)


def _page_columns(session: Session) -> list[Any]:
    backend = backend_of(session)
    columns: list[Any] = [getattr(Asset, n) for n in _PAGE_COLUMNS]
    columns += [backend.x(Asset.location).label("lon"), backend.y(Asset.location).label("lat")]
    return columns


_ITEM_SQL: dict[tuple[str, Shape, bool], str] = {}


def _item_sql(dialect: Dialect, shape: Shape, near: bool) -> str:
    """The item expression as SQL text over a FROM named `numbered`, compiled once per
    database, shape and kind of page: built per request, its few hundred nodes cost more
    (building, cache key, compiling) than the database takes to run the statement."""
    key = (dialect.name, shape, near)
    if key not in _ITEM_SQL:
        types = {c.name: c.type for c in Asset.__table__.columns}
        names = [*_PAGE_COLUMNS, "lon", "lat"] + (["distance_m"] if near else [])
        numbered = table("numbered", *(column(n, types.get(n, Float())) for n in names))
        j = json_text_for(dialect.name)
        stmt = select(_item(j, numbered.c, shape, near).label("item")).select_from(numbered)
        compiled = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        match = re.fullmatch(r"SELECT (.*) AS item\s+FROM numbered", compiled, re.DOTALL)
        if match is None:  # pragma: no cover - a change of SQLAlchemy's rendering
            raise RuntimeError("cannot compile the asset item expression")
        _ITEM_SQL[key] = match.group(1)
    return _ITEM_SQL[key]


def build_body_query(
    stmt: Select[Any], session: Session, *, limit: int, near: bool, shape: Shape
) -> Select[Any]:
    """One row for a page: the joined items of the first `limit` rows of build_list_query's
    `stmt`, how many rows it gave (limit + 1: there are more), the last item's sort key and
    (near-me) the attempt's exhaustive flag.

    The levels above `stmt` name its columns as text (`page.id`, `numbered.rn`): SQLAlchemy's
    column objects for two subqueries of some thirty columns each cost more to make per request
    than the database takes to run the whole statement."""
    extra = [c for c in stmt.selected_columns if c.key in ("distance_m", NEAR_EXHAUSTIVE)]
    exhaustive = any(c.key == NEAR_EXHAUSTIVE for c in extra)
    page = stmt.with_only_columns(*_page_columns(session), *extra).subquery("page")
    keys = ("distance_m", "id") if near else ("id",)
    rn = func.row_number().over(order_by=[literal_column(f"page.{k}") for k in keys])
    numbered = select(literal_column("page.*"), rn.label("rn")).select_from(page)
    row: dict[str, Any] = {n: literal_column(f"numbered.{n}") for n in ("rn", "id", *keys)}
    dialect = session.get_bind().dialect
    j = json_text_for(dialect.name)
    item_sql = literal_column(_item_sql(dialect, shape, near), String)
    item = case((row["rn"] <= limit, item_sql))
    last = row["rn"] == limit
    columns: list[Any] = [
        j.ordered_join(item, row["rn"]).label("items"),
        func.count().label("rows"),
        func.max(case((last, row["id"]))).label("last_id"),
    ]
    if near:
        columns.append(func.max(case((last, row["distance_m"]))).label("last_distance"))
    if exhaustive:
        flag: Any = literal_column(f"numbered.{NEAR_EXHAUSTIVE}")
        columns.append(func.max(case((flag, 1), else_=0)).label("exhaustive"))
    return select(*columns).select_from(numbered.subquery("numbered"))


def list_asset_bodies(
    session: Session,
    *,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int = 50,
    cursor: str | None = None,
    shape: Shape = "json",
) -> AssetBodies:
    """list_assets' page as JSON text made by the database: asset items (`json`, as
    canonical_json) or GeoJSON features (`feature`, as canonical_feature)."""
    near = filters.near is not None

    def run(stmt: Select[Any]) -> tuple[Any, int, bool | None]:
        query = build_body_query(stmt, session, limit=limit, near=near, shape=shape)
        result = session.execute(query).one()
        rows = int(result.rows)
        told = rows and "exhaustive" in result._mapping  # else the database is asked
        return result, rows, bool(result.exhaustive) if told else None

    if filters.near is None:
        stmt = build_list_query(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
        result, rows, _ = run(stmt)
    else:
        result = run_near_attempts(
            session, viewer=viewer, filters=filters, limit=limit, cursor=cursor, run=run
        )
        rows = int(result.rows)
    next_cursor = None
    if rows > limit:
        key = [result.last_distance, result.last_id] if near else [result.last_id]
        next_cursor = encode_cursor(key)
    items = (result.items or "").encode()
    return AssetBodies(items=items, count=min(rows, limit), next_cursor=next_cursor)
