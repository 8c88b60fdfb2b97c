"""Seeded synthetic assets over a Wales-like extent, written as a CSV in the import format.

Half the points cluster around a few towns (so a ~1,000-feature bbox and busy near-me searches
exist at any N), the rest are spread over the whole extent. Same N and seed, same file.
"""

import csv
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.schemas.tabular import CSV_COLUMNS

EXTENT = (-5.3, 51.3, -2.6, 53.5)  # lon/lat box around Wales
CLUSTERED_SHARE = 0.5
KM_PER_DEG_LAT = 111.0


@dataclass(frozen=True)
class Town:
    """A cluster centre: where, how many of the clustered points, how spread, postcode area."""

    name: str
    lon: float
    lat: float
    weight: float
    sigma_km: float
    postcode: str


TOWNS = (
    Town("Cardiff", -3.18, 51.48, 0.28, 5.0, "CF10"),
    Town("Swansea", -3.94, 51.62, 0.16, 5.0, "SA1"),
    Town("Newport", -2.99, 51.585, 0.12, 4.0, "NP20"),
    Town("Wrexham", -2.99, 53.046, 0.10, 4.0, "LL11"),
    Town("Merthyr Tydfil", -3.378, 51.748, 0.10, 4.0, "CF47"),
    Town("Carmarthen", -4.31, 51.857, 0.08, 3.0, "SA31"),
    Town("Aberystwyth", -4.08, 52.415, 0.08, 3.0, "SY23"),
    Town("Bangor", -4.13, 53.227, 0.08, 3.0, "LL57"),
)
KINDS = ("group", "space", "organisation", "service", "business", "culture")
THEMES = (
    "food",
    "health_wellbeing",
    "mental_health",
    "loneliness_befriending",
    "older_people",
    "children_families",
    "young_people",
    "learning_skills",
    "digital_inclusion",
    "money_advice",
    "housing",
    "transport",
    "physical_activity_sport",
    "arts_culture",
    "green_space_environment",
    "community_safety",
    "employment",
    "welsh_language",
)
ACCESSIBILITY = ("step_free_access", "accessible_toilet", "hearing_loop", "seating", "quiet_space")
PLACES = (
    ("Riverside", "Glan yr Afon"),
    ("Hillside", "Ochr y Bryn"),
    ("Castle", "Castell"),
    ("Chapel Street", "Stryd y Capel"),
    ("Parkview", "Golwg y Parc"),
    ("Station Road", "Heol yr Orsaf"),
    ("Old School", "Hen Ysgol"),
    ("Market", "Marchnad"),
)
THINGS = (
    ("Community Garden", "Gardd Gymunedol"),
    ("Food Bank", "Banc Bwyd"),
    ("Youth Club", "Clwb Ieuenctid"),
    ("Library", "Llyfrgell"),
    ("Choir", "Côr"),
    ("Repair Café", "Caffi Trwsio"),
    ("Walking Group", "Grŵp Cerdded"),
    ("Advice Centre", "Canolfan Gyngor"),
    ("Bakery", "Becws"),
    ("Arts Hub", "Canolfan Gelfyddydau"),
)
STREETS = ("High Street", "Church Lane", "Mill Road", "Bridge Street", "Heol y Parc")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat")


@dataclass
class Dataset:
    """The generated file and the coordinates in it (row order = import order)."""

    path: Path
    n: int
    seed: int
    lon: np.ndarray
    lat: np.ndarray


def _coordinates(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = np.array([t.weight for t in TOWNS])
    clustered = rng.random(n) < CLUSTERED_SHARE
    town = rng.choice(len(TOWNS), size=n, p=weights / weights.sum())
    lon = rng.uniform(EXTENT[0], EXTENT[2], n)
    lat = rng.uniform(EXTENT[1], EXTENT[3], n)
    for index, t in enumerate(TOWNS):
        chosen = clustered & (town == index)
        count = int(chosen.sum())
        sigma_lat = t.sigma_km / KM_PER_DEG_LAT
        sigma_lon = sigma_lat / np.cos(np.radians(t.lat))
        lon[chosen] = rng.normal(t.lon, sigma_lon, count)
        lat[chosen] = rng.normal(t.lat, sigma_lat, count)
    np.clip(lon, EXTENT[0], EXTENT[2], out=lon)
    np.clip(lat, EXTENT[1], EXTENT[3], out=lat)
    return lon.round(6), lat.round(6)


def _nearest_town(lon: float, lat: float) -> Town:
    return min(TOWNS, key=lambda t: (t.lon - lon) ** 2 + (t.lat - lat) ** 2)


def _row(i: int, lon: float, lat: float, r: random.Random) -> dict[str, str]:
    town = _nearest_town(lon, lat)
    place_en, place_cy = r.choice(PLACES)
    thing_en, thing_cy = r.choice(THINGS)
    welsh = r.random() < 0.6
    hours = ""
    if r.random() < 0.5:
        opens, closes = r.choice((("09:00", "17:00"), ("10:00", "16:00"), ("18:30", "21:00")))
        hours = "; ".join(f"{d} {opens}-{closes}" for d in DAYS[: r.randint(1, 6)])
    return {
        "kind": r.choice(KINDS),
        "name_en": f"{place_en} {thing_en} {town.name} #{i}",
        "name_cy": f"{thing_cy} {place_cy} #{i}" if welsh else "",
        "description_en": f"A {thing_en.lower()} near {town.name}, open to everyone.",
        "description_cy": f"{thing_cy} ger {town.name}, i bawb." if welsh else "",
        "themes": ";".join(sorted(r.sample(THEMES, r.randint(1, 3)))),
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "address": f"{r.randint(1, 200)} {r.choice(STREETS)}, {town.name}",
        "postcode": f"{town.postcode} {r.randint(1, 9)}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{r.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "email": f"hello{i}@example.org" if r.random() < 0.5 else "",
        "phone": f"029 20{r.randint(100000, 999999)}" if r.random() < 0.5 else "",
        "website": f"https://example.org/assets/{i}" if r.random() < 0.4 else "",
        "opening_hours": hours,
        "accessibility": ";".join(sorted(r.sample(ACCESSIBILITY, r.randint(0, 3)))),
        "languages": "cy;en" if welsh else "en",
        "status": "published",
        "last_verified_at": f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T10:00:00Z"
        if r.random() < 0.7
        else "",
        "source": "bench",
        "source_id": f"bench-{i:07d}",
    }


def generate_csv(path: Path, n: int, seed: int) -> Dataset:
    """Write N assets to path (CSV_COLUMNS header; id/version/timestamps left to the database)."""
    lon, lat = _coordinates(n, seed)
    r = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for i in range(n):
            writer.writerow(_row(i + 1, float(lon[i]), float(lat[i]), r))
    return Dataset(path=path, n=n, seed=seed, lon=lon, lat=lat)


def bbox_with(data: Dataset, target: int = 1000) -> tuple[tuple[float, float, float, float], int]:
    """A square-ish bbox around the biggest town holding at least `target` points; its count."""
    town = max(TOWNS, key=lambda t: t.weight)
    aspect = 1 / np.cos(np.radians(town.lat))

    def count(half: float) -> int:
        inside = (np.abs(data.lon - town.lon) <= half * aspect) & (
            np.abs(data.lat - town.lat) <= half
        )
        return int(inside.sum())

    low, high = 0.0, 1.0
    for _ in range(60):  # bisect the half-height (degrees) to the smallest box holding target
        middle = (low + high) / 2
        low, high = (low, middle) if count(middle) >= target else (middle, high)
    box = (
        round(float(town.lon - high * aspect), 6),
        round(float(town.lat - high), 6),
        round(float(town.lon + high * aspect), 6),
        round(float(town.lat + high), 6),
    )
    inside = (
        (data.lon >= box[0]) & (data.lon <= box[2]) & (data.lat >= box[1]) & (data.lat <= box[3])
    )
    return box, int(inside.sum())


def near_points(data: Dataset, count: int, seed: int) -> list[tuple[float, float]]:
    """Search points drawn from the town clusters (where people search)."""
    rng = np.random.default_rng(seed + 1)
    weights = np.array([t.weight for t in TOWNS])
    points = []
    for index in rng.choice(len(TOWNS), size=count, p=weights / weights.sum()):
        t = TOWNS[int(index)]
        sigma_lat = t.sigma_km / KM_PER_DEG_LAT
        sigma_lon = sigma_lat / np.cos(np.radians(t.lat))
        points.append(
            (
                round(float(rng.normal(t.lon, sigma_lon)), 6),
                round(float(rng.normal(t.lat, sigma_lat)), 6),
            )
        )
    return points
