"""The copies of each asset's areas on its theme links (asset_themes.area_<level>), which gap
analysis counts from; areas.py calls these wherever it assigns or reassigns assets to areas,
so the copies always equal asset_areas (tests/services/test_link_areas.py compares them)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from sqlalchemy import Table, exists, select, update
from sqlalchemy.orm import Session

from app.models import LEVELS, Area, AssetArea, AssetTheme

_CHUNK = 5000


def set_asset_link_areas(session: Session, asset_id: int, chosen: Mapping[str, int]) -> None:
    """Put one asset's areas (area id per level; a level left out is none) on its theme links,
    in the database and on any links the session holds."""
    values = {f"area_{level}": chosen.get(level) for level in LEVELS}
    session.execute(update(AssetTheme).where(AssetTheme.asset_id == asset_id).values(**values))


def stored_areas(session: Session, asset_id: int) -> dict[str, int]:
    """Per level, the area the assignment (asset_areas) holds the asset in."""
    rows = session.execute(
        select(Area.level, AssetArea.area_id)
        .join(Area, Area.id == AssetArea.area_id)
        .where(AssetArea.asset_id == asset_id)
    )
    return {level: area_id for level, area_id in rows}


def copy_link_areas(
    session: Session, *, levels: Iterable[str], asset_ids: Sequence[int] | None = None
) -> None:
    """Copy the assignment of these levels (asset_areas, already rewritten) onto the theme
    links: of every asset, or of the given ones. Set-based, and only the links whose copy
    differs are written (a re-import that moves a few boundaries rewrites a few rows)."""
    links = cast(Table, AssetTheme.__table__)
    chunks: list[Sequence[int] | None] = [None]
    if asset_ids is not None:
        chunks = [asset_ids[i : i + _CHUNK] for i in range(0, len(asset_ids), _CHUNK)]
    levels = list(levels)
    for level in levels:
        column = links.c[f"area_{level}"]
        for chunk in chunks:
            placed = select(AssetArea.asset_id, AssetArea.area_id).join(
                Area, Area.id == AssetArea.area_id
            )
            placed = placed.where(Area.level == level)
            if chunk is not None:
                placed = placed.where(AssetArea.asset_id.in_(chunk))
            held = placed.subquery()
            session.execute(
                update(links)
                .values({column: held.c.area_id})
                .where(held.c.asset_id == links.c.asset_id, column.is_distinct_from(held.c.area_id))
            )
            # Links whose area of the level is no longer the asset's: it has none now.
            gone = (
                update(links)
                .values({column: None})
                .where(
                    column.is_not(None),
                    ~exists().where(
                        AssetArea.asset_id == links.c.asset_id, AssetArea.area_id == column
                    ),
                )
            )
            if chunk is not None:
                gone = gone.where(links.c.asset_id.in_(chunk))
            session.execute(gone)
    # Links the session holds read their copies afresh.
    names = [f"area_{level}" for level in levels]
    for held_link in list(session.identity_map.values()):
        if isinstance(held_link, AssetTheme) and names:
            session.expire(held_link, names)
