"""Build the demo's fictional gazetteer (run: python data/demo/build_places.py).

Writes aberllyn_places.csv beside this script: a few invented places of Aberllyn with English
and Welsh names, in the layout of an OS Open Names data file (34 columns, no header row,
points in EPSG:27700), so `assetmap demo` loads it with `assetmap import places`. Two rows are
of kinds the import skips (a road, a lake). Deterministic; everything here is invented (see
README.md): the IDs start `aberllyn-demo-`, which no OS identifier does.
"""

import csv
from pathlib import Path

from pyproj import Transformer

HERE = Path(__file__).resolve().parent
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
# (NAME1, NAME1_LANG, NAME2, NAME2_LANG, TYPE, LOCAL_TYPE, lon, lat): inside the demo areas.
PLACES = (
    ("Aberllyn", "", "", "", "populatedPlace", "Town", -4.4245, 52.3565),
    ("Trefelin", "cym", "Milltown", "eng", "populatedPlace", "Suburban Area", -4.4050, 52.3420),
    ("Môr-lan", "cym", "Seabank", "eng", "populatedPlace", "Suburban Area", -4.4520, 52.3410),
    ("Lakevale", "eng", "Cwm Llyn", "cym", "populatedPlace", "Suburban Area", -4.4200, 52.3660),
    ("Hendre'r Ŵyn", "cym", "Lambsfield", "eng", "populatedPlace", "Hamlet", -4.3880, 52.3410),
    ("Tŷ Gwyn", "", "", "", "populatedPlace", "Hamlet", -4.3900, 52.3670),
    ("Pen y Bryn", "", "", "", "populatedPlace", "Suburban Area", -4.3880, 52.3780),
    ("Castle Mound", "eng", "Tomen y Castell", "cym", "other", "Named Area", -4.4360, 52.3780),
    ("Harbour Road", "", "", "", "transportNetwork", "Named Road", -4.4230, 52.3550),
    ("Llyn Aber", "", "", "", "hydrography", "Lake", -4.4180, 52.3640),
)


def main() -> None:
    """Write aberllyn_places.csv."""
    with (HERE / "aberllyn_places.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        for number, (name1, lang1, name2, lang2, kind, local, lon, lat) in enumerate(PLACES, 1):
            x, y = TO_BNG.transform(lon, lat)
            row = [""] * 34
            row[0:10] = [f"aberllyn-demo-{number:04d}", "", name1, lang1, name2, lang2, kind,
                         local, f"{x:.0f}", f"{y:.0f}"]  # fmt: skip
            row[29] = "Wales"
            writer.writerow(row)


if __name__ == "__main__":
    main()
