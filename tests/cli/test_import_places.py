"""`assetmap import places`: OS Open Names rows (no header, EPSG:27700) and GeoJSON points with
name / name_cy; only places people live in; all or nothing; importing again adds nothing."""

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import GazetteerPlace
from app.services.imports.places import OS_COLUMNS
from app.spatial import backend_for
from tests.cli.conftest import Invoke, count


def os_row(
    ident: str,
    name1: str,
    x: float,
    y: float,
    *,
    lang1: str = "",
    name2: str = "",
    lang2: str = "",
    kind: str = "populatedPlace",
    local: str = "Suburban Area",
) -> list[str]:
    """One row of an OS Open Names data file (34 columns), as the product writes it."""
    row = dict.fromkeys(OS_COLUMNS, "")
    row.update(
        ID=ident,
        NAMES_URI=f"http://data.ordnancesurvey.co.uk/id/{ident}",
        NAME1=name1,
        NAME1_LANG=lang1,
        NAME2=name2,
        NAME2_LANG=lang2,
        TYPE=kind,
        LOCAL_TYPE=local,
        GEOMETRY_X=str(x),
        GEOMETRY_Y=str(y),
        POSTCODE_DISTRICT="CF24",
        COUNTY_UNITARY="Cardiff",
        REGION="Wales",
        COUNTRY="Wales",
    )
    return list(row.values())


# Real-looking British National Grid points in Cardiff.
CARDIFF_ROWS = [
    os_row("osgb4000000074559001", "Splott", 319780, 176440),
    os_row("osgb4000000074559002", "Canton", 316696, 176467, lang1="eng", name2="Treganna",
           lang2="cym"),
    os_row("osgb4000000074559003", "Ystum Taf", 315142, 179051, lang1="cym",
           name2="Llandaff North", lang2="eng"),
    os_row("osgb4000000074559004", "Cardiff", 318218, 176509, lang1="eng", name2="Caerdydd",
           lang2="cym", local="City"),
    # Kinds of name a resident does not mean by a place: skipped.
    os_row("osgb4000000023512345", "Splott Road", 319547, 176643, kind="transportNetwork",
           local="Named Road"),
    os_row("CF242AA", "CF24 2AA", 319600, 176500, kind="other", local="Postcode"),
]  # fmt: skip


def write_os(path: Path, rows: list[list[str]]) -> Path:
    """An OS Open Names data file: no header row, CRLF lines."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def places(db: Engine) -> dict[str, tuple[str | None, str, float, float]]:
    """name -> (Welsh name, type, lon, lat) of every place held."""
    backend = backend_for(db.dialect.name)
    with Session(db) as session:
        rows = session.execute(
            select(
                GazetteerPlace.name,
                GazetteerPlace.name_cy,
                GazetteerPlace.place_type,
                backend.x(GazetteerPlace.location),
                backend.y(GazetteerPlace.location),
            )
        )
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def test_os_open_names_rows_load_with_welsh_names_in_wgs84(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_os(tmp_path / "ST17.csv", CARDIFF_ROWS)

    result = assetmap("import", "places", str(path))

    assert result.exit_code == 0, result.output
    assert "6 rows (csv): 4 places (4 created, 0 updated, 0 unchanged); 2 skipped" in result.output
    held = places(db)
    assert set(held) == {"Splott", "Canton", "Llandaff North", "Cardiff"}
    assert held["Canton"][:2] == ("Treganna", "Suburban Area")
    assert held["Llandaff North"][0] == "Ystum Taf"  # NAME1 was the Welsh one
    assert held["Splott"][0] is None  # one name, no language: the same in both
    assert held["Cardiff"][:2] == ("Caerdydd", "City")
    lon, lat = held["Splott"][2:]
    assert lon == pytest.approx(-3.1566, abs=0.0005) and lat == pytest.approx(51.4812, abs=0.0005)


def test_importing_the_same_file_again_adds_no_duplicates(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_os(tmp_path / "ST17.csv", CARDIFF_ROWS)
    assert assetmap("import", "places", str(path)).exit_code == 0

    again = assetmap("import", "places", str(path))

    assert "4 places (0 created, 0 updated, 4 unchanged)" in again.output
    assert count(db, GazetteerPlace) == 4
    renamed = [os_row("osgb4000000074559001", "Splott", 319790, 176440, lang1="eng",
                      name2="Sblot", lang2="cym"), *CARDIFF_ROWS[1:]]  # fmt: skip
    changed = assetmap("import", "places", str(write_os(path, renamed)))
    assert "4 places (0 created, 1 updated, 3 unchanged)" in changed.output
    assert places(db)["Splott"][0] == "Sblot"
    assert count(db, GazetteerPlace) == 4


def test_replace_removes_the_sources_places_missing_from_the_file(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    assert (
        assetmap("import", "places", str(write_os(tmp_path / "a.csv", CARDIFF_ROWS))).exit_code == 0
    )
    fewer = write_os(tmp_path / "b.csv", CARDIFF_ROWS[:2])

    kept = assetmap("import", "places", str(fewer))
    assert count(db, GazetteerPlace) == 4
    replaced = assetmap("import", "places", str(fewer), "--replace")

    assert kept.exit_code == replaced.exit_code == 0
    assert "2 removed" in replaced.output
    assert set(places(db)) == {"Splott", "Canton"}


def test_bad_rows_are_reported_by_line_and_field_and_nothing_is_written(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    rows = [
        CARDIFF_ROWS[0],
        os_row("osgb4000000074559010", "Adamsdown", "east", 176600),  # type: ignore[arg-type]
        os_row("osgb4000000074559011", "", 319000, 176600),
        CARDIFF_ROWS[0],
        CARDIFF_ROWS[1][:10],
        os_row("osgb4000000074559012", "Roath", 3190000, 176600),
    ]
    path = write_os(tmp_path / "bad.csv", rows)

    result = assetmap("import", "places", str(path))

    assert result.exit_code == 1
    for expected in (
        "line 2: GEOMETRY_X: 'east' is not an easting in metres on the British National Grid",
        "line 3: NAME1: empty",
        "line 4: ID: osgb4000000074559001 is also on line 1",
        "line 5: row: has 10 cells; OS Open Names rows have 34",
        "line 6: GEOMETRY_X: '3190000' is not an easting",
        "5 problems; nothing was written",
    ):
        assert expected in result.output
    assert count(db, GazetteerPlace) == 0


def test_a_header_row_in_front_is_allowed(assetmap: Invoke, db: Engine, tmp_path: Path) -> None:
    path = write_os(tmp_path / "with_header.csv", [list(OS_COLUMNS), *CARDIFF_ROWS[:2]])

    result = assetmap("import", "places", str(path))

    assert result.exit_code == 0, result.output
    assert set(places(db)) == {"Splott", "Canton"}


def geojson(path: Path, features: list[dict[str, object]]) -> Path:
    """A GeoJSON FeatureCollection of points: (properties, lon, lat) each."""
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": f["properties"],
                        "geometry": {"type": "Point", "coordinates": f["at"]},
                    }
                    for f in features
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_geojson_points_with_name_and_name_cy_load_and_reload_without_duplicates(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = geojson(
        tmp_path / "places.geojson",
        [
            {"properties": {"name": "Adamsdown", "name_cy": "Y Waun Ddyfal"},
             "at": [-3.1630, 51.4850]},
            {"properties": {"name": "Roath", "name_cy": "Y Rhath", "type": "Suburban Area",
                            "id": "roath"}, "at": [-3.1650, 51.4950]},
        ],
    )  # fmt: skip

    first = assetmap("import", "places", str(path))
    again = assetmap("import", "places", str(path))

    assert first.exit_code == 0, first.output
    assert "2 places (2 created" in first.output and "2 unchanged" in again.output
    held = places(db)
    assert held["Adamsdown"][:2] == ("Y Waun Ddyfal", "place")
    assert held["Roath"][:2] == ("Y Rhath", "Suburban Area")
    assert count(db, GazetteerPlace) == 2


def test_bad_geojson_features_are_reported_and_nothing_is_written(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = geojson(
        tmp_path / "places.geojson",
        [
            {"properties": {"name": "Adamsdown"}, "at": [-3.1630, 51.4850]},
            {"properties": {"name": ""}, "at": [-3.1650, 51.4950]},
            {"properties": {"name": "Nowhere"}, "at": [-3.1650, 95.0]},
        ],
    )

    result = assetmap("import", "places", str(path))

    assert result.exit_code == 1
    assert "feature 2: name: empty" in result.output
    assert "feature 3: geometry: latitude 95.0 is outside -90..90" in result.output
    assert count(db, GazetteerPlace) == 0


def test_an_unknown_format_is_one_clear_line(assetmap: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "places.txt"
    path.write_text("Splott\n", encoding="utf-8")

    result = assetmap("import", "places", str(path))

    assert result.exit_code == 2
    assert "places.txt: unknown format (use .csv for OS Open Names, or .geojson)" in result.output
