# ruff: noqa: E501
"""Build aberllyn_people.csv, the demo's fictional people (run: python data/demo/build_people.py).

Deterministic (fixed seed, no clock). Every person is invented: "Fictional person" names,
example.org addresses, points drawn inside the demo's small areas. They cluster as real
volunteers do, so that on a fresh install some areas show a count of people and most show
"fewer than 5": people counts, and their protection, can be seen straight away.
"""

import csv
import json
import random
from pathlib import Path

from shapely.geometry import Point, shape

HERE = Path(__file__).resolve().parent
AREAS = HERE / "aberllyn_areas.geojson"
OUT = HERE / "aberllyn_people.csv"
SOURCE = "assetmap-demo (fictional)"
COLUMNS = ("kind", "name_en", "name_cy", "description_en", "description_cy", "themes", "lon", "lat", "email", "source", "source_id")
# (theme, what they offer in English, in Welsh)
OFFERS = {
    "food": ("cooks for the lunch club", "yn coginio i'r clwb cinio"),
    "older_people": ("visits older neighbours", "yn ymweld â chymdogion hŷn"),
    "loneliness_befriending": ("phones someone every week for a chat", "yn ffonio rhywun bob wythnos am sgwrs"),
    "digital_inclusion": ("helps people with phones and online forms", "yn helpu pobl gyda ffonau a ffurflenni ar-lein"),
    "welsh_language": ("practises Welsh with learners", "yn ymarfer Cymraeg gyda dysgwyr"),
    "physical_activity_sport": ("leads a gentle walk", "yn arwain taith gerdded hamddenol"),
    "arts_culture": ("teaches knitting and sewing", "yn dysgu gwau a gwnïo"),
    "mental_health": ("listens, as a trained peer supporter", "yn gwrando, fel cefnogwr cymheiriaid hyfforddedig"),
    "carers": ("sits with someone so their carer can rest", "yn eistedd gyda rhywun fel y gall eu gofalwr orffwys"),
    "money_advice": ("helps with letters about bills and benefits", "yn helpu gyda llythyrau am filiau a budd-daliadau"),
}
# Where volunteers cluster (area code, theme, how many), then a scatter across every area.
CLUSTERS = (
    ("X01000003", "food", 9),
    ("X01000003", "older_people", 7),
    ("X01000007", "digital_inclusion", 8),
    ("X01000011", "welsh_language", 10),
    ("X01000011", "arts_culture", 7),
    ("X01000015", "loneliness_befriending", 8),
    ("X01000018", "physical_activity_sport", 7),
)
SCATTER = 45


def _point_in(area: object, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = area.bounds  # type: ignore[attr-defined]
    while True:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):  # type: ignore[attr-defined]
            return round(p.x, 6), round(p.y, 6)


def main() -> None:
    rng = random.Random(20261206)
    features = json.loads(AREAS.read_text(encoding="utf-8"))["features"]
    areas = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    wanted = [(code, theme) for code, theme, n in CLUSTERS for _ in range(n)]
    wanted += [(rng.choice(sorted(areas)), rng.choice(sorted(OFFERS))) for _ in range(SCATTER)]
    rows = []
    for number, (code, theme) in enumerate(wanted, 1):
        lon, lat = _point_in(areas[code], rng)
        also = rng.choice([t for t in sorted(OFFERS) if t != theme]) if rng.random() < 0.3 else None
        themes = [theme] + ([also] if also else [])
        what_en = " and ".join(OFFERS[t][0] for t in themes)
        what_cy = " ac ".join(OFFERS[t][1] for t in themes)
        rows.append(
            {
                "kind": "volunteer" if number % 3 else "skill",
                "name_en": f"Fictional person {number}",
                "name_cy": f"Person ffug {number}",
                "description_en": f"Fictional example (Aberllyn demo area): {what_en}.",
                "description_cy": f"Enghraifft ffug (ardal enghreifftiol Aberllyn): {what_cy}.",
                "themes": ";".join(themes),
                "lon": f"{lon:.6f}",
                "lat": f"{lat:.6f}",
                "email": f"person-{number}@example.org",
                "source": SOURCE,
                "source_id": f"aberllyn-person-{number:03d}",
            }
        )
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} fictional people to {OUT}")


if __name__ == "__main__":
    main()
