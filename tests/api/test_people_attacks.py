"""An attacker in the test suite: people counts must survive combination, not only single answers
(DESIGN.md section 4.6; issue 10).

A seeded population (1 km squares of 1, 2, 3, 5 and 6 people per theme, in small areas of four
squares, two middle-sized areas above them) is asked every public question an outsider can
ask: counts for any bbox and level, "near" at every square centre and between squares with
several radii, every area's profile, everything repeated. The attacker turns every answer into
(set of squares, theme, value), then tries to pin down each cell holding 1-4 people (an area, or
one square) by differencing: a region minus regions that exactly cover the rest of it (bbox and
radius differencing, inclusion-exclusion, parent minus children). Then one person joins each
small cell and the attacker compares before with after.

The attacker's guesses are scored against the truth beside a baseline: a guess from the cell's
own published answer alone (its number if shown, else the commonest true value among the
targets, an oracle's best constant guess). On main before issue 10 every differencing attack
recovered every target exactly.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Asset
from app.schemas.assets import AssetCreate
from app.services.assets.records import create_asset
from app.services.needs.areas import AreaInput, save_areas
from tests.conftest import person_body

FROM_BNG = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
E0, N0 = 262000, 196000  # south-west corner of the seeded squares (mid Wales, BNG metres)
COLS, ROWS = 8, 4  # 1 km squares
THEMES = ("carers", "mental_health")
# Square counts of each small area (2 x 2 squares), by pattern; each theme uses them shifted.
PATTERNS = (
    (1, 0, 0, 0),
    (2, 0, 0, 0),
    (3, 0, 0, 0),
    (1, 3, 0, 0),
    (5, 1, 0, 0),
    (6, 2, 3, 0),
    (5, 6, 1, 2),
    (0, 0, 0, 0),
)
Square = tuple[int, int]
Region = frozenset[Square]
Answer = int | None  # a shown number, or None: "fewer than 5" (or not listed)


def lonlat(e: float, n: float) -> tuple[float, float]:
    """A BNG point in WGS84."""
    lon, lat = FROM_BNG.transform(e, n)
    return float(lon), float(lat)


def square_centre(square: Square) -> tuple[float, float]:
    """The centre of a seeded 1 km square (its public point) in WGS84."""
    return lonlat(E0 + square[0] * 1000 + 500, N0 + square[1] * 1000 + 500)


def _polygon(col0: int, row0: int, cols: int, rows: int) -> MultiPolygon:
    """A block of squares as a WGS84 polygon, its edges densified every 100 m."""
    e0, n0, e1, n1 = (
        E0 + col0 * 1000,
        N0 + row0 * 1000,
        E0 + (col0 + cols) * 1000,
        N0 + (row0 + rows) * 1000,
    )
    ring = [(e0 + (e1 - e0) * i / (10 * cols), n0) for i in range(10 * cols)]
    ring += [(e1, n0 + (n1 - n0) * i / (10 * rows)) for i in range(10 * rows)]
    ring += [(e1 - (e1 - e0) * i / (10 * cols), n1) for i in range(10 * cols)]
    ring += [(e0, n1 - (n1 - n0) * i / (10 * rows)) for i in range(10 * rows)]
    return MultiPolygon([Polygon([lonlat(e, n) for e, n in ring])])


@dataclass
class World:
    """The seeded areas and people, and the truth the attacker is scored against."""

    areas: dict[str, Region]  # code -> squares (small and middle-sized areas)
    small: list[str]
    truth: dict[tuple[Square, str], int] = field(default_factory=dict)

    def count(self, region: Region, theme: str) -> int:
        """The true number of people offering a theme in a region."""
        return sum(self.truth.get((s, theme), 0) for s in region)


def _small_area_squares(index: int) -> list[Square]:
    col0, row0 = 2 * (index % 4), 2 * (index // 4)
    return [(col0, row0), (col0 + 1, row0), (col0, row0 + 1), (col0 + 1, row0 + 1)]


def add_person(session: Session, square: Square, theme: str) -> int:
    """A consented, published person offering a theme, somewhere inside a square."""
    e = E0 + square[0] * 1000 + 137 + 61 * (square[1] % 5)
    n = N0 + square[1] * 1000 + 811 - 53 * (square[0] % 7)
    body = person_body(
        themes=[theme], location={"type": "Point", "coordinates": list(lonlat(e, n))}
    )
    return create_asset(session, actor="test", data=AssetCreate.model_validate(body)).id


@pytest.fixture
def world(session: Session) -> World:
    """Eight small areas (T01...) of 2 x 2 squares under two middle-sized ones (T02...), with
    people in squares of 1, 2, 3, 5 and 6 per theme."""
    small = [f"T0100000{i + 1}" for i in range(8)]
    middle = ["T02000001", "T02000002"]
    areas: dict[str, Region] = {
        code: frozenset(_small_area_squares(i)) for i, code in enumerate(small)
    }
    areas |= {
        code: frozenset((c, r) for c in range(4 * j, 4 * j + 4) for r in range(ROWS))
        for j, code in enumerate(middle)
    }
    for level, codes in (("lsoa", small), ("msoa", middle)):
        inputs = []
        for number, code in enumerate(codes, 1):
            cols = sorted({c for c, _ in areas[code]})
            rows = sorted({r for _, r in areas[code]})
            parent = None if level == "msoa" else middle[cols[0] // 4]
            inputs.append(
                AreaInput(
                    number,
                    code,
                    f"Area {code}",
                    None,
                    1500,
                    parent,
                    _polygon(cols[0], rows[0], len(cols), len(rows)),
                )
            )
        save_areas(session, level=level, areas=inputs, centroids={}, source="test")
    world = World(areas=areas, small=small)
    for t, theme in enumerate(THEMES):
        for i in range(len(small)):
            pattern = PATTERNS[(i + 3 * t) % len(PATTERNS)]
            for square, people in zip(_small_area_squares(i), pattern, strict=True):
                world.truth[(square, theme)] = people
                for _ in range(people):
                    add_person(session, square, theme)
    session.commit()
    return world


# ---- what the attacker collects --------------------------------------------------------------


@dataclass
class Collected:
    """Every answer seen: (region, theme) -> the answers given (several when repeated)."""

    answers: dict[tuple[Region, str], list[Answer]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)

    def add(self, region: Region, theme: str, value: Answer) -> None:
        """Record one answer about one region."""
        if region:
            self.answers.setdefault((region, theme), []).append(value)

    def value(self, region: Region, theme: str) -> Answer:
        """The attacker's reading of a region: the mean of its shown answers, rounded."""
        shown = [v for v in self.answers.get((region, theme), []) if v is not None]
        return round(sum(shown) / len(shown)) if shown else None


def _squares_within(point: tuple[float, float], radius_m: float) -> Region:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    found = set()
    for c in range(COLS):
        for r in range(ROWS):
            lon, lat = square_centre((c, r))
            if geod.inv(point[0], point[1], lon, lat)[2] <= radius_m:
                found.add((c, r))
    return frozenset(found)


def _squares_in_bbox(box: tuple[float, float, float, float]) -> Region:
    return frozenset(
        (c, r)
        for c in range(COLS)
        for r in range(ROWS)
        for lon, lat in [square_centre((c, r))]
        if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
    )


def _get(client: TestClient, url: str, collected: Collected) -> Any:
    response = client.get(url)
    assert response.status_code < 500, (url, response.text)
    if response.status_code != 200:
        collected.refused[url.split("?")[0]] += 1
        return None
    return response.json()


def _area_rows(
    world: World, body: Any, collected: Collected, theme: str, level_codes: list[str]
) -> None:
    """Counts rows of areas: a listed area's value; an unlisted one is "fewer than 5"."""
    rows = {r["area_code"]: r["people"] for r in body["items"] if r["theme"] == theme}
    for code in level_codes:
        collected.add(world.areas[code], theme, rows.get(code))


def _bbox_total(
    world: World, body: Any, theme: str, box_region: Region
) -> tuple[Region, Answer] | None:
    """A bbox answer as one region: the squares in the box, when every listed row is shown."""
    rows = [r for r in body["items"] if r["theme"] == theme]
    if not rows or any(r["people"] is None for r in rows):
        return None
    return box_region, sum(r["people"] for r in rows)


def _near(
    collected: Collected, world: World, body: Any, point: tuple[float, float], radius: float | None
) -> None:
    if "area" in body:  # the answer names the region it counted
        region = world.areas[body["area"]["code"]] if body["area"] else frozenset()
    else:  # a disc around the point
        region = _squares_within(point, radius or 1000)
    listed = {i["theme"]: i["people"] for i in body["items"]}
    for theme in THEMES:
        collected.add(region, theme, listed.get(theme))


def collect(client: TestClient, world: World, *, repeats: int = 2) -> Collected:
    """Ask every public question about people, as an anonymous outsider would."""
    collected = Collected()
    squares = [(c, r) for c in range(COLS) for r in range(ROWS)]
    small = world.small
    middle = [code for code in world.areas if code not in small]
    for _ in range(repeats):
        for theme in THEMES:
            for level, codes in (("lsoa", small), ("msoa", middle)):
                body = _get(client, f"/api/v1/people/counts?level={level}&theme={theme}", collected)
                if body is not None:
                    _area_rows(world, body, collected, theme, codes)
            body = _get(client, f"/api/v1/people/counts?theme={theme}", collected)
            if body is not None and body.get("level") in ("lsoa", None):
                _area_rows(world, body, collected, theme, small)
        for code in world.areas:
            body = _get(client, f"/api/v1/areas/{code}/profile", collected)
            if body is not None:
                people, level = body["people"], body["area"]["level"]
                rows = {r["theme"]: r["people"] for r in people["by_theme"]}
                if people.get("level", level) == level:  # counts published for this area
                    for theme in THEMES:
                        collected.add(world.areas[code], theme, rows.get(theme))
    # bbox differencing: single squares and adjacent pairs
    for square in squares:
        for other in [square, (square[0] + 1, square[1]), (square[0], square[1] + 1)]:
            if other[0] >= COLS or other[1] >= ROWS:
                continue
            a, b = square_centre(square), square_centre(other)
            box = (
                min(a[0], b[0]) - 0.001,
                min(a[1], b[1]) - 0.001,
                max(a[0], b[0]) + 0.001,
                max(a[1], b[1]) + 0.001,
            )
            region = _squares_in_bbox(box)
            for theme in THEMES:
                bbox = ",".join(f"{v:.6f}" for v in box)
                body = _get(client, f"/api/v1/people/counts?bbox={bbox}&theme={theme}", collected)
                if body is not None:
                    total = _bbox_total(world, body, theme, region)
                    if total is not None:
                        collected.add(*total[:1], theme, total[1])
    # radius differencing: each centre alone, each adjacent pair, and the default radius
    for square in squares:
        centre = square_centre(square)
        for radius in (None, 400, 900, 1100):
            query = f"near={centre[0]},{centre[1]}" + (f"&radius_m={radius}" if radius else "")
            body = _get(client, f"/api/v1/people/near?{query}", collected)
            if body is not None:
                _near(collected, world, body, centre, radius)
        east = (square[0] + 1, square[1])
        if east[0] < COLS:
            a, b = centre, square_centre(east)
            mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            body = _get(
                client, f"/api/v1/people/near?near={mid[0]},{mid[1]}&radius_m=600", collected
            )
            if body is not None:
                _near(collected, world, body, mid, 600)
    return collected


# ---- the attacker's reasoning ----------------------------------------------------------------


def derive(collected: Collected, target: Region, theme: str) -> int | None:
    """A region holding the target minus shown regions that exactly cover the rest of it
    (parent minus children, bbox and radius differencing); None when no such sum exists."""
    known = {
        region: collected.value(region, theme) for region, t in collected.answers if t == theme
    }
    shown = {region: v for region, v in known.items() if v is not None}
    for outer, total in shown.items():
        if not target < outer:
            continue
        rest = outer - target
        parts = sorted((r for r in shown if r <= rest), key=len, reverse=True)
        cover: list[Region] = []
        covered: set[Square] = set()
        for part in parts:
            if not part & covered:
                cover.append(part)
                covered |= part
        if covered == rest:
            return total - sum(shown[p] for p in cover)
    return None


@dataclass
class Score:
    """How often a guess was right, over the targets."""

    attack: int = 0
    baseline: int = 0
    derived: int = 0
    targets: int = 0

    def __str__(self) -> str:
        return (
            f"attacker right for {self.attack} of {self.targets} cells holding 1-4 people "
            f"(derived a value for {self.derived}); guessing from the published values: "
            f"{self.baseline} of {self.targets}"
        )


def targets(world: World) -> list[tuple[Region, str, int]]:
    """Every cell holding 1-4 people: small areas and single squares, per theme."""
    cells = [(world.areas[code], theme) for code in world.small for theme in THEMES]
    cells += [(frozenset([square]), theme) for square, theme in world.truth]
    return [
        (region, theme, world.count(region, theme))
        for region, theme in cells
        if 1 <= world.count(region, theme) <= 4
    ]


def best_constant(world: World, kind: int) -> int:
    """The commonest true value among the targets of one size (an oracle's constant guess)."""
    return Counter(n for region, _t, n in targets(world) if len(region) == kind).most_common(1)[0][
        0
    ]


def score(world: World, collected: Collected) -> Score:
    """Score the differencing attacker and the baseline over every target."""
    result = Score()
    for region, theme, truth in targets(world):
        own = collected.value(region, theme)
        baseline = own if own is not None else best_constant(world, len(region))
        derived = derive(collected, region, theme)
        guess = baseline if derived is None else derived
        result.targets += 1
        result.derived += derived is not None
        result.attack += guess == truth
        result.baseline += baseline == truth
    return result


# ---- the tests ---------------------------------------------------------------------------------


def test_differencing_regions_recovers_no_small_count(client: TestClient, world: World) -> None:
    collected = collect(client, world)

    result = score(world, collected)

    print(f"\ndifferencing (bbox, radius, regions, parent minus children): {result}")
    print(f"refused requests by route: {dict(collected.refused)}")
    assert result.targets >= 20
    assert result.derived == 0, result
    assert result.attack <= result.baseline, result


def test_published_regions_never_overlap(client: TestClient, world: World) -> None:
    collected = collect(client, world, repeats=1)

    regions = {region for region, _theme in collected.answers}

    assert regions  # something about people is published
    assert all(a == b or not a & b for a in regions for b in regions), "two answers overlap"
    assert regions <= {world.areas[code] for code in world.small}


def test_repeated_questions_get_the_same_answers(client: TestClient, world: World) -> None:
    collected = collect(client, world, repeats=3)

    varied = {key: values for key, values in collected.answers.items() if len(set(values)) > 1}

    assert not varied


# The attacker's prior for a count: any value from 0 to this, as likely.
PRIOR_MAX = 12


def _published(client: TestClient, code: str, theme: str) -> Answer:
    body = client.get(f"/api/v1/people/counts?theme={theme}").json()
    return next((r["people"] for r in body["items"] if r["area_code"] == code), None)


@pytest.fixture
def before_after(
    client: TestClient, session: Session, world: World
) -> Iterator[list[tuple[int, Answer, Answer, Answer]]]:
    """For each small area and theme holding 1-6 people: its true count, and what is published
    before one more person joins, after, and once they have left again."""
    seen = []
    for code in world.small:
        region = world.areas[code]
        for theme in THEMES:
            truth = world.count(region, theme)
            if not 1 <= truth <= 6:
                continue
            before = _published(client, code, theme)
            joined = add_person(session, min(region), theme)
            session.commit()
            after = _published(client, code, theme)
            session.execute(
                update(Asset)
                .where(Asset.id == joined)
                .values(consent_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            session.commit()  # their consent lapsed: they count no more
            seen.append((truth, before, after, _published(client, code, theme)))
    yield seen


def _answers(count: int) -> dict[Answer, float]:
    """What may be published for a true count, with its probability over cell keys."""
    from app.services.people.disclosure import KEYS, publish

    found: Counter[Answer] = Counter(publish(count, key) for key in range(KEYS))
    return {answer: n / KEYS for answer, n in found.items()}


def test_one_person_joining_gives_a_fresh_answer_and_the_same_one_when_they_lapse(
    before_after: list[tuple[int, Answer, Answer, Answer]],
) -> None:
    assert len(before_after) >= 8
    for truth, before, after, again in before_after:
        assert again == before  # the same people give the same answer again
        assert before in _answers(truth) and after in _answers(truth + 1)


def test_one_person_joining_never_pins_down_a_small_count(world: World) -> None:
    """Over every answer the published table allows, before and after one person joins a cell
    of 1-4 people: how often each attacker is right, beside a guess from the cell's own answer
    before (its number, else the commonest small count); the best attacker, who knows the
    table, is never surer than two to one about any cell."""
    small = Counter(n for region, _t, n in targets(world) if len(region) == 4)
    constant = small.most_common(1)[0][0]
    prior = range(PRIOR_MAX + 1)  # the attacker's: any count up to PRIOR_MAX as likely
    rates = Counter[str]()
    worst = 0.0
    for truth, weight in small.items():
        for before, p_before in _answers(truth).items():
            baseline = before if before is not None else constant
            for after, p_after in _answers(truth + 1).items():
                p = weight * p_before * p_after / sum(small.values())
                likelihood = {n: _answers(n).get(before, 0) * _answers(n + 1).get(after, 0)
                              for n in prior}  # fmt: skip
                posterior = {n: w / sum(likelihood.values()) for n, w in likelihood.items()}
                worst = max(worst, *(posterior[n] for n in range(1, 5)))
                naive = after - 1 if after is not None else baseline  # "changed by one"
                rates["baseline"] += p * (baseline == truth)
                rates["naive"] += p * (naive == truth)
                rates["bayes"] += p * (max(prior, key=lambda n: posterior[n]) == truth)
    print(
        f"\nbefore/after one person, cells of 1-4 people {dict(small)}: right "
        f"{rates['naive']:.0%} (naive), {rates['bayes']:.0%} (knowing the table) vs "
        f"{rates['baseline']:.0%} from the cell's own answer; best posterior {worst:.2f}"
    )
    assert worst <= 2 / 3 + 1e-9  # never surer than two to one
    assert rates["bayes"] <= 0.5


def test_shown_counts_stay_within_2_of_the_truth(client: TestClient, world: World) -> None:
    for code in world.small:
        for theme in THEMES:
            shown = _published(client, code, theme)
            truth = world.count(world.areas[code], theme)
            assert shown is None or abs(shown - truth) <= 2, (code, theme, shown, truth)
            assert shown is None or shown >= 5
            if truth >= 7:
                assert shown is not None
