"""Disclosure control: people counted only for whole areas of one level, at their public square,
perturbed consistently by up to 2 (cell key), under 5 shown as "fewer than 5", zero included."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Asset, PublicLocation, Theme
from app.schemas.assets import AssetCreate
from app.services.assets import records as asset_service
from app.services.needs.areas import AreaInput, save_areas
from app.services.people.disclosure import (
    KEYS,
    MAX_NOISE,
    PERTURBATION,
    THRESHOLD,
    near_answer,
    people_counts,
    people_level,
    publish,
)
from app.services.people.grid import public_square
from tests.conftest import Patches, person_body, set_noise

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
FROM_BNG = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
# A cell key that draws each noise from the perturbation table.
KEY_FOR_NOISE = {noise: PERTURBATION.index(noise) for noise in range(-MAX_NOISE, MAX_NOISE + 1)}


def _person(session: Session, where: tuple[float, float], **overrides: Any) -> int:
    body = person_body(location={"type": "Point", "coordinates": list(where)}, **overrides)
    asset = asset_service.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()
    return asset.id


def _with_noise(session: Session, people: list[int], noise: int) -> None:
    set_noise(session, people, noise)


def _row(session: Session, code: str, theme: str = "food") -> int | None:
    _level, rows = people_counts(session, themes=[theme], area_codes=[code])
    (row,) = rows
    return row.people


def test_the_perturbation_table_is_bounded_and_balanced() -> None:
    counts = Counter(PERTURBATION)
    assert len(PERTURBATION) == KEYS
    assert set(counts) == set(range(-MAX_NOISE, MAX_NOISE + 1))
    assert sum(PERTURBATION) == 0
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("count", range(0, 40))
def test_a_published_count_is_within_2_of_the_truth_and_never_under_5(count: int) -> None:
    published = {publish(count, key) for key in range(KEYS)}
    shown = {p for p in published if p is not None}
    assert all(abs(p - count) <= MAX_NOISE and p >= THRESHOLD for p in shown)
    if count <= THRESHOLD - 1 - MAX_NOISE:  # 0, 1, 2: never a number
        assert published == {None}
    if count >= THRESHOLD + MAX_NOISE:  # 7 and more: always a number
        assert None not in published
    if THRESHOLD - MAX_NOISE <= count < THRESHOLD + MAX_NOISE:  # 3-6: either, by cell key
        assert None in published and shown


def test_every_area_and_theme_has_a_row_and_zero_looks_like_one(
    session: Session, patches: Patches
) -> None:
    _person(session, patches.west_point)
    active = session.query(Theme).filter(Theme.active).count()

    level, rows = people_counts(session)

    assert level == "lsoa"
    assert len(rows) == 2 * active
    by_cell = {(r.area_code, r.theme): (r.people, r.shown_as) for r in rows}
    assert by_cell[(patches.west, "food")] == by_cell[(patches.east, "food")]
    assert by_cell[(patches.west, "food")] == (None, "fewer than 5")


def test_the_same_people_give_the_same_answer_and_the_noise_is_bounded(
    session: Session, patches: Patches
) -> None:
    people = [_person(session, patches.west_point) for _ in range(7)]
    first = _row(session, patches.west)
    assert all(_row(session, patches.west) == first for _ in range(5))
    assert first is not None and abs(first - 7) <= MAX_NOISE

    for noise in KEY_FOR_NOISE:
        _with_noise(session, people, noise)
        assert _row(session, patches.west) == 7 + noise


def test_one_more_person_draws_the_noise_afresh(session: Session, patches: Patches) -> None:
    people = [_person(session, patches.west_point) for _ in range(8)]
    _with_noise(session, people, +2)
    before = _row(session, patches.west)
    joined = _person(session, patches.west_point)
    session.execute(
        update(PublicLocation)
        .where(PublicLocation.asset_id == joined)
        .values(record_key=KEY_FOR_NOISE[-2] - KEY_FOR_NOISE[2] + KEYS)
    )
    session.commit()

    after = _row(session, patches.west)

    assert (before, after) == (10, 7)  # 8 + 2, then 9 - 2: one more person, three fewer shown


def test_counts_use_the_public_square_not_the_exact_point(
    session: Session, patches: Patches
) -> None:
    # The square across the border of the two areas (lon -3.2): a point on one side whose
    # square centre lies on the other is counted where the centre is.
    e, n = TO_BNG.transform(-3.2, 51.45)
    for offset in range(1, 1000, 20):
        lon, lat = FROM_BNG.transform(e // 1000 * 1000 + offset, n // 1000 * 1000 + 500)
        square = public_square(lon, lat)
        if (lon > -3.2) != (square.lon > -3.2):
            break
    else:
        pytest.fail("no point of the square lies across the border from its centre")
    people = [_person(session, (lon, lat)) for _ in range(7)]
    _with_noise(session, people, 0)

    centre, other = (
        (patches.east, patches.west) if square.lon > -3.2 else (patches.west, patches.east)
    )
    assert (_row(session, centre), _row(session, other)) == (7, None)


def test_only_published_people_with_current_consent_count(
    session: Session, patches: Patches
) -> None:
    counted = [_person(session, patches.west_point) for _ in range(7)]
    pending = _person(session, patches.west_point, status="pending")
    session.execute(
        update(Asset)
        .where(Asset.id == counted[0])
        .values(consent_expires_at=datetime.now(UTC) - timedelta(days=1))
    )
    session.commit()
    _with_noise(session, [*counted[1:], counted[0], pending], 0)

    assert _row(session, patches.west) == 6


def test_people_are_counted_at_the_finest_level_only(session: Session, patches: Patches) -> None:
    both = box(-3.3, 51.4, -3.1, 51.5)
    save_areas(
        session,
        level="msoa",
        areas=[AreaInput(1, "X02000001", "Both", None, 3000, None, MultiPolygon([both]))],
        centroids={"X02000001": Point(both.centroid.x, both.centroid.y)},
        source="test",
    )
    session.commit()
    [_person(session, patches.west_point) for _ in range(9)]

    level, rows = people_counts(session, themes=["food"])

    assert people_level(session) == level == "lsoa"
    assert [r.area_code for r in rows] == [patches.west, patches.east]
    assert people_counts(session, themes=["food"], area_codes=["X02000001"])[1] == []


def test_near_here_is_the_area_holding_the_point_named_in_the_answer(
    session: Session, patches: Patches
) -> None:
    people = [_person(session, patches.west_point) for _ in range(7)]
    _with_noise(session, people, 1)

    answer = near_answer(session, -3.29, 51.41, themes=["food"])
    nowhere = near_answer(session, -4.5, 51.41, themes=["food"])

    assert answer["area"] == {
        "code": patches.west, "level": "lsoa", "name_en": "Area X01000001",
        "name_cy": "Ardal X01000001",
    }  # fmt: skip
    assert [(i["theme"], i["people"], i["text"]) for i in answer["items"]] == [
        ("food", 8, "8 people near here offer food")
    ]
    assert nowhere["area"] is None and nowhere["items"] == []
