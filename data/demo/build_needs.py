# ruff: noqa: E501
"""Build the demo's fictional small areas, need indicators and deficits (run: python data/demo/build_needs.py).

Writes, beside this script:
- aberllyn_areas.geojson      20 small areas (level lsoa) over the demo assets, codes X01000001-20
- aberllyn_centroids.geojson  their population-weighted centroids (weighted towards the harbour)
- aberllyn_indicators.csv     four need indicators per area (column area_code)
- aberllyn_indicators.json    what each indicator is (the metadata format of data/indicators/)
- aberllyn_deficits.csv       twelve reported service gaps

Deterministic: the same files every run (fixed seed, no clock). The files are committed; this
script is how they were made and how to change them. Everything here is invented; see README.md.
"""

import csv
import json
import math
import random
from pathlib import Path

from shapely.geometry import Point, Polygon

HERE = Path(__file__).resolve().parent
SOURCE = "assetmap-demo (fictional)"
INDICATOR_SOURCE = "assetmap demo (fictional)"
# The demo assets lie within about lon -4.451..-4.386, lat 52.341..52.379 (see build_demo.py):
# a 5 x 4 grid of cells about 1.1 km by 1.4 km covers them.
WEST, EAST, SOUTH, NORTH = -4.46, -4.38, 52.335, 52.385
COLUMNS, ROWS = 5, 4
# The harbour (town centre), where most people live, and the Pen y Bryn estate.
HARBOUR = (-4.425, 52.356)
ESTATE = (-4.392, 52.378)
# (English, Welsh) neighbourhood names, row by row from the south-west.
NAMES = (
    ("Sea View", "Golwg y Môr"), ("Quayside", "Glan y Cei"), ("Harbour Wall", "Wal yr Harbwr"), ("Mill Lane", "Lôn y Felin"), ("Top Farm", "Fferm Uchaf"),
    ("Lighthouse", "Y Goleudy"), ("High Street", "Stryd Fawr"), ("Harbour", "Yr Harbwr"), ("Chapel Hill", "Bryn y Capel"), ("Rhos", "Y Rhos"),
    ("Station", "Yr Orsaf"), ("Old School", "Yr Hen Ysgol"), ("Lakeside", "Glan y Llyn"), ("Cae'r Llyn", "Cae'r Llyn"), ("Orchard", "Y Berllan"),
    ("North Shore", "Traeth y Gogledd"), ("Castle Mound", "Tomen y Castell"), ("Church Fields", "Caeau'r Eglwys"), ("Green Lane", "Lôn Las"), ("Pen y Bryn", "Pen y Bryn"),
)  # fmt: skip
INDICATORS = (
    {
        "code": "aberllyn_need_index",
        "label_en": "Aberllyn need index (fictional)",
        "label_cy": "Mynegai angen Aberllyn (ffug)",
        "description_en": "Fictional example (Aberllyn demo area): an invented index of low income, poor health and unemployment; a higher score means more need.",
        "description_cy": "Enghraifft ffug (ardal enghreifftiol Aberllyn): mynegai dychmygol o incwm isel, iechyd gwael a diweithdra; mae sgôr uwch yn golygu mwy o angen.",
        "unit": "score",
        "higher_is_more_need": True,
        "themes": ["food", "money_advice", "employment", "health_wellbeing"],
    },
    {
        "code": "aberllyn_loneliness_rank",
        "label_en": "Loneliness: rank (fictional)",
        "label_cy": "Unigrwydd: safle (ffug)",
        "description_en": "Fictional example (Aberllyn demo area): areas ranked by an invented loneliness survey, 1 = loneliest, so a lower rank means more need.",
        "description_cy": "Enghraifft ffug (ardal enghreifftiol Aberllyn): ardaloedd yn ôl arolwg unigrwydd dychmygol, 1 = y mwyaf unig, felly mae safle is yn golygu mwy o angen.",
        "unit": "rank",
        "higher_is_more_need": False,
        "themes": ["loneliness_befriending", "older_people", "mental_health"],
    },
    {
        "code": "aberllyn_child_poverty_pct",
        "label_en": "Children in low-income households (fictional)",
        "label_cy": "Plant mewn aelwydydd incwm isel (ffug)",
        "description_en": "Fictional example (Aberllyn demo area): an invented share of children living in low-income households.",
        "description_cy": "Enghraifft ffug (ardal enghreifftiol Aberllyn): cyfran ddychmygol o blant sy'n byw mewn aelwydydd incwm isel.",
        "unit": "%",
        "higher_is_more_need": True,
        "themes": ["children_families", "young_people", "food"],
    },
    {
        "code": "aberllyn_bus_minutes",
        "label_en": "Minutes by bus to the surgery (fictional)",
        "label_cy": "Munudau ar y bws i'r feddygfa (ffug)",
        "description_en": "Fictional example (Aberllyn demo area): an invented average journey time by bus from the area to the town's surgery.",
        "description_cy": "Enghraifft ffug (ardal enghreifftiol Aberllyn): amser taith dychmygol ar gyfartaledd ar y bws o'r ardal i feddygfa'r dref.",
        "unit": "minutes",
        "higher_is_more_need": True,
        "themes": ["transport", "health_wellbeing", "older_people"],
    },
)
# (theme, English title, Welsh title, what in English, in Welsh, severity, status, reporter,
#  reported on, place: a (lon, lat) point or the NAMES index of an area it covers)
DEFICITS = (
    ("food", "No food shop open after 6pm", "Dim siop fwyd ar agor ar ôl 6yh", "the estate's only shop closes at six and the next is a steep walk away", "mae unig siop yr ystâd yn cau am chwech ac mae'r nesaf yn daith serth", 4, "open", "Pen y Bryn Tenants' Association (fictional)", "2025-01-14", 19),
    ("transport", "No bus after 7pm", "Dim bws ar ôl 7yh", "the last bus to the lakeside leaves the square at ten to seven", "mae'r bws olaf i lan y llyn yn gadael y sgwâr am ddeng munud i saith", 3, "open", "Aberllyn Town Council (fictional)", "2024-11-05", (-4.4200, 52.3665)),
    ("older_people", "Day centre closed in 2024", "Canolfan ddydd wedi cau yn 2024", "the day centre on Mill Lane closed and its users now stay at home", "caeodd y ganolfan ddydd ar Lôn y Felin ac mae ei defnyddwyr yn aros gartref bellach", 5, "open", "Carers Aberllyn (fictional)", "2024-09-30", (-4.4040, 52.3410)),
    ("mental_health", "Six-month wait for talking therapy", "Aros chwe mis am therapi siarad", "people referred for talking therapy wait six months for a first appointment", "mae pobl a atgyfeiriwyd am therapi siarad yn aros chwe mis am apwyntiad cyntaf", 4, "open", "Aberllyn Surgery (fictional)", "2025-03-02", 6),
    ("young_people", "Nowhere for teenagers to meet", "Unman i bobl ifanc gyfarfod", "no warm, safe place for teenagers on winter evenings in North Shore", "dim lle cynnes, diogel i bobl ifanc ar nosweithiau'r gaeaf yn Nhraeth y Gogledd", 3, "open", "Aberllyn Youth Forum (fictional)", "2025-02-11", 15),
    ("digital_inclusion", "No public wifi at the harbour", "Dim wifi cyhoeddus yn yr harbwr", "visitors and residents without data have no free wifi by the harbour", "nid oes wifi am ddim ger yr harbwr i ymwelwyr a thrigolion heb ddata", 2, "addressed", "Aberllyn Library (fictional)", "2024-06-20", (-4.4200, 52.3540)),
    ("children_families", "Play area closed for repairs", "Ardal chwarae ar gau i'w hatgyweirio", "the Church Fields play area has been fenced off since the spring", "mae ardal chwarae Caeau'r Eglwys wedi'i ffensio ers y gwanwyn", 2, "addressed", "Aberllyn Town Council (fictional)", "2024-05-08", (-4.4200, 52.3790)),
    ("money_advice", "Advice drop-in cut to once a month", "Sesiwn gyngor wedi'i thorri i unwaith y mis", "the weekly debt and benefits drop-in now runs one morning a month", "mae'r sesiwn wythnosol ar ddyled a budd-daliadau bellach yn un bore'r mis", 4, "open", "Aberllyn Food Bank (fictional)", "2025-01-27", (-4.4180, 52.3610)),
    ("health_wellbeing", "No dentist taking NHS patients", "Dim deintydd yn derbyn cleifion y GIG", "no dental practice in the town is taking new NHS patients", "nid oes unrhyw bractis deintyddol yn y dref yn derbyn cleifion newydd y GIG", 5, "open", "Aberllyn Town Council (fictional)", "2024-10-16", 11),
    ("loneliness_befriending", "Isolated farms on the Rhos in winter", "Ffermydd unig ar y Rhos yn y gaeaf", "older people on the upland farms see nobody for days when the lane floods", "nid yw pobl hŷn ar y ffermydd ucheldir yn gweld neb am ddyddiau pan fydd y lôn dan ddŵr", 3, "open", "Aberllyn Befriending Service (fictional)", "2025-02-03", 9),
    ("housing", "Damp in rented homes", "Lleithder mewn cartrefi rhent", "tenants on Mill Lane report black mould and slow repairs", "mae tenantiaid ar Lôn y Felin yn sôn am lwydni du ac atgyweiriadau araf", 3, "open", "Tenants' Association (fictional)", "2024-12-09", (-4.4000, 52.3440)),
    ("green_space_environment", "Lakeside path floods every winter", "Llwybr glan y llyn dan ddŵr bob gaeaf", "the flat path around the lake is under water for weeks each winter", "mae'r llwybr gwastad o amgylch y llyn dan ddŵr am wythnosau bob gaeaf", 2, "addressed", "Friends of Harbour Park (fictional)", "2024-03-18", (-4.4170, 52.3680)),
)  # fmt: skip


def _vertices(r: random.Random) -> list[list[tuple[float, float]]]:
    """Grid corners, inner ones nudged so the areas look drawn, not ruled (edges stay shared)."""
    width, height = (EAST - WEST) / COLUMNS, (NORTH - SOUTH) / ROWS
    grid = []
    for j in range(ROWS + 1):
        line = []
        for i in range(COLUMNS + 1):
            x, y = WEST + i * width, SOUTH + j * height
            if 0 < i < COLUMNS and 0 < j < ROWS:
                x += r.uniform(-0.2, 0.2) * width
                y += r.uniform(-0.2, 0.2) * height
            line.append((round(x, 6), round(y, 6)))
        grid.append(line)
    return grid


def _pull(point: Point, towards: tuple[float, float], share: float) -> Point:
    return Point(point.x + share * (towards[0] - point.x), point.y + share * (towards[1] - point.y))


def _bump(point: Point, centre: tuple[float, float], km: float) -> float:
    """1 at the centre, falling off over about `km` kilometres."""
    dx = (point.x - centre[0]) * 68.0  # km per degree of longitude at 52.36 N
    dy = (point.y - centre[1]) * 111.2
    return math.exp(-(dx * dx + dy * dy) / (km * km))


def areas() -> list[dict]:
    """The areas as dicts: code, names, population, parent, polygon, centroid, need values."""
    r = random.Random(2025)
    grid = _vertices(r)
    out = []
    for j in range(ROWS):
        for i in range(COLUMNS):
            n = j * COLUMNS + i
            # Counter-clockwise exterior ring (RFC 7946).
            ring = [grid[j][i], grid[j][i + 1], grid[j + 1][i + 1], grid[j + 1][i], grid[j][i]]
            polygon = Polygon(ring)
            assert polygon.is_valid and polygon.exterior.is_ccw
            centroid = _pull(polygon.centroid, HARBOUR, 0.3)
            if not polygon.contains(centroid):
                centroid = polygon.representative_point()
            harbour, estate = _bump(centroid, HARBOUR, 1.2), _bump(centroid, ESTATE, 1.3)
            need = 18 + 30 * estate + 14 * harbour + r.uniform(-6, 6)
            out.append(
                {
                    "code": f"X0100{n + 1:04d}",
                    "name_en": f"{NAMES[n][0]}, Aberllyn",
                    "name_cy": f"{NAMES[n][1]}, Aberllyn",
                    "population": int(1250 + 700 * harbour + r.randint(0, 500)),
                    "parent_code": f"X0200{(j // 2) * 3 + i // 2 + 1:04d}",
                    "ring": ring,
                    "centroid": centroid,
                    "aberllyn_need_index": round(need, 1),
                    "loneliness": 10 * (1 - harbour) + 6 * (i / COLUMNS) + r.uniform(0, 5),
                    "aberllyn_child_poverty_pct": round(
                        min(60.0, 8 + 28 * estate + 9 * harbour + r.uniform(0, 8)), 1
                    ),
                    "aberllyn_bus_minutes": int(
                        6 + 28 * (1 - harbour) * (j / ROWS + i / COLUMNS) / 2 + r.randint(0, 6)
                    ),
                }
            )
    # Ranks 1 (loneliest) to 20.
    for rank, area in enumerate(sorted(out, key=lambda a: -a["loneliness"]), 1):
        area["aberllyn_loneliness_rank"] = rank
    return out


def _feature(properties: dict, geometry: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _write_geojson(path: Path, features: list[dict]) -> None:
    # One feature a line: small diffs when the script changes.
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    text = '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _wkt(ring: list[tuple[float, float]]) -> str:
    return "MULTIPOLYGON (((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in ring) + ")))"


def main() -> None:
    """Write the five files."""
    found = areas()
    keys = ("code", "name_en", "name_cy", "population", "parent_code")
    _write_geojson(
        HERE / "aberllyn_areas.geojson",
        [
            _feature(
                {k: a[k] for k in keys},
                {"type": "Polygon", "coordinates": [[list(p) for p in a["ring"]]]},
            )
            for a in found
        ],
    )
    _write_geojson(
        HERE / "aberllyn_centroids.geojson",
        [
            _feature(
                {"code": a["code"]},
                {
                    "type": "Point",
                    "coordinates": [round(a["centroid"].x, 6), round(a["centroid"].y, 6)],
                },
            )
            for a in found
        ],
    )
    codes = [i["code"] for i in INDICATORS]
    with (HERE / "aberllyn_indicators.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["area_code", *codes])
        writer.writerows([a["code"], *(a[c] for c in codes)] for a in found)
    meta = {
        "about": "Fictional need indicators of the Aberllyn demo area: invented, not real data.",
        "indicators": [
            {**i, "source": INDICATOR_SOURCE, "year": 2025, "licence": "CC0 1.0 (invented)"}
            for i in INDICATORS
        ],
    }
    (HERE / "aberllyn_indicators.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    columns = (
        "theme", "title_en", "title_cy", "description_en", "description_cy", "severity",
        "status", "source", "source_id", "reporter", "reported_on", "lon", "lat", "area",
    )  # fmt: skip
    with (HERE / "aberllyn_deficits.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for n, (theme, en, cy, what_en, what_cy, severity, status, who, day, place) in enumerate(
            DEFICITS, 1
        ):
            point = place if isinstance(place, tuple) else None
            writer.writerow(
                {
                    "theme": theme,
                    "title_en": en,
                    "title_cy": cy,
                    "description_en": f"Fictional example (Aberllyn demo area): {what_en}.",
                    "description_cy": f"Enghraifft ffug (ardal enghreifftiol Aberllyn): {what_cy}.",
                    "severity": severity,
                    "status": status,
                    "source": SOURCE,
                    "source_id": f"aberllyn-deficit-{n:02d}",
                    "reporter": who,
                    "reported_on": day,
                    "lon": f"{point[0]:.6f}" if point else "",
                    "lat": f"{point[1]:.6f}" if point else "",
                    "area": "" if point else _wkt(found[int(place)]["ring"]),
                }
            )
    print(f"wrote {len(found)} areas, {len(INDICATORS)} indicators, {len(DEFICITS)} deficits")


if __name__ == "__main__":
    main()
