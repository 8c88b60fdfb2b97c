"""Importing postcode centroids (the real Cardiff list) and looking postcodes up."""

import csv
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Postcode
from app.services.needs.areas import AreaFields, AreaInput, read_areas, save_areas
from app.services.needs.postcodes import import_postcodes, lookup_postcode


@cache
def _areas(path: Path, fields: AreaFields) -> list[AreaInput]:
    good, bad, _repaired = read_areas(path, fields)
    assert bad == []
    return good


def load_lsoas(session: Session, cardiff_dir: Path) -> set[str]:
    """Save the 214 Cardiff LSOAs as areas; their codes."""
    fields = AreaFields(
        code="lsoa11cd", name_en="lsoa11nm", name_cy="lsoa11nmw", population="population_mid2019"
    )
    areas = _areas(cardiff_dir / "lsoa11_wimd2019_population.geojson", fields)
    save_areas(session, level="lsoa", areas=areas, centroids={}, source="test")
    session.commit()
    return {a.code for a in areas}


def load_msoas(session: Session, cardiff_dir: Path) -> None:
    """Save the 48 Cardiff MSOAs as areas."""
    areas = _areas(cardiff_dir / "msoa11_boundaries.geojson", AreaFields(code="msoa11cd"))
    save_areas(session, level="msoa", areas=areas, centroids={}, source="test")
    session.commit()


@cache
def cardiff_rows(cardiff_dir: Path) -> dict[str, dict[str, str]]:
    """postcodes.csv by postcode."""
    with (cardiff_dir / "postcodes.csv").open(encoding="utf-8") as handle:
        return {row["postcode"]: row for row in csv.DictReader(handle)}


def import_cardiff(session: Session, cardiff_dir: Path, **options: Any) -> Any:
    """Import the real Cardiff postcodes (with LSOA codes unless told otherwise); commit."""
    options.setdefault("area_column", "lsoa11cd")
    report = import_postcodes(session, csv_path=cardiff_dir / "postcodes.csv", **options)
    if report.ok and not report.dry_run:
        session.commit()
    return report


def import_small(session: Session, tmp_path: Path) -> None:
    """Two real Cardiff postcodes (from postcodes.csv), imported and committed."""
    path = tmp_path / "two.csv"
    path.write_text(
        "postcode,lat,lon\nCF10 1AA,51.479102,-3.178085\nCF10 1AB,51.478636,-3.1779\n", "utf-8"
    )
    assert import_postcodes(session, csv_path=path).created == 2
    session.commit()


def postcode_count(session: Session) -> int:
    """How many postcodes are stored."""
    return session.scalar(select(func.count()).select_from(Postcode)) or 0


def write_csv(tmp_path: Path, text: str) -> Path:
    """A CSV file with this text."""
    path = tmp_path / "postcodes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_cardiff_postcodes_import_and_reimport_changes_nothing(
    session: Session, cardiff_dir: Path
) -> None:
    report = import_cardiff(session, cardiff_dir)
    assert report.problems == []
    assert (report.records, report.created) == (7679, 7679)
    assert postcode_count(session) == 7679
    again = import_cardiff(session, cardiff_dir)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7679)


def test_a_looked_up_postcode_has_the_csv_position_and_lsoa(
    session: Session, cardiff_dir: Path
) -> None:
    lsoas = load_lsoas(session, cardiff_dir)
    import_cardiff(session, cardiff_dir)
    rows = cardiff_rows(cardiff_dir)
    for postcode in sorted(p for p, row in rows.items() if row["lsoa11cd"] in lsoas)[::250]:
        row = rows[postcode]
        found = lookup_postcode(session, postcode)
        assert (found.lon, found.lat) == (float(row["lon"]), float(row["lat"]))
        assert found.area is not None and found.area.code == row["lsoa11cd"] in lsoas
    found = lookup_postcode(session, "CF10 1AA")
    assert (found.lon, found.lat) == (-3.178085, 51.479102)
    assert (found.area.code, found.area.level) == ("W01001941", "lsoa")  # type: ignore[union-attr]


@pytest.mark.parametrize("written", ["cf101aa", "CF10  1AA", " cf10 1aa ", "Cf101Aa"])
def test_lookup_normalises_spacing_and_case(session: Session, tmp_path: Path, written: str) -> None:
    import_small(session, tmp_path)
    assert lookup_postcode(session, written).postcode == "CF10 1AA"


def test_an_unknown_postcode_is_not_found_and_a_malformed_one_is_a_value_error(
    session: Session, tmp_path: Path
) -> None:
    import_small(session, tmp_path)
    with pytest.raises(NotFound, match="postcode CF99 9ZZ not found"):
        lookup_postcode(session, "cf999zz")
    with pytest.raises(ValueError, match="not a UK postcode"):
        lookup_postcode(session, "CF10 1A")


def test_without_an_area_code_the_area_is_the_lsoa_containing_the_point(
    session: Session, cardiff_dir: Path
) -> None:
    load_lsoas(session, cardiff_dir)
    load_msoas(session, cardiff_dir)
    import_cardiff(session, cardiff_dir, area_column=None)
    rows = cardiff_rows(cardiff_dir)
    # These were placed in their LSOA by the data's builder testing the point against the same
    # boundaries (not by the ONS lookup), so the point-in-polygon answer must agree exactly.
    placed = [p for p, row in rows.items() if row["lsoa11cd_source"] == "point_in_polygon"]
    assert len(placed) == 127
    for postcode in placed[:40]:
        area = lookup_postcode(session, postcode).area
        assert area is not None and area.level == "lsoa"  # the smaller level wins over msoa
        assert area.code == rows[postcode]["lsoa11cd"]


def test_an_imported_area_code_that_is_not_loaded_falls_back_to_the_containing_area(
    session: Session, cardiff_dir: Path
) -> None:
    lsoas = load_lsoas(session, cardiff_dir)
    import_cardiff(session, cardiff_dir)
    # ONS puts two Cardiff postcodes in LSOAs just outside the authority (not loaded here).
    outside = [p for p, row in cardiff_rows(cardiff_dir).items() if row["lsoa11cd"] not in lsoas]
    assert len(outside) == 2
    for postcode in outside:
        area = lookup_postcode(session, postcode).area
        assert area is None or area.code in lsoas


def test_with_no_areas_loaded_the_area_is_none(session: Session, cardiff_dir: Path) -> None:
    import_cardiff(session, cardiff_dir)
    assert lookup_postcode(session, "CF10 1AA").area is None


def test_bad_rows_are_reported_by_line_and_nothing_is_written(
    session: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "postcode,lat,lon\n"
        "CF10 1AA,51.4791,-3.1781\n"
        "not a postcode,51.4,-3.1\n"
        "CF10 1AB,north,-3.17\n"
        "CF10 1AD,95,-3.17\n"
        "cf101aa,51.47,-3.17\n"
        "CF10 1AE,nan,-3.17\n",
    )
    report = import_postcodes(session, csv_path=path)
    found = [(p.number, p.field) for p in report.problems]
    assert found == [(3, "postcode"), (4, "lat"), (5, "lon/lat"), (6, "postcode"), (7, "lat")]
    assert "also on line 2" in report.problems[3].reason
    assert "latitude 95.0 is outside -90..90" in report.problems[2].reason
    assert postcode_count(session) == 0


def test_missing_columns_are_reported_on_the_header_line(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "pcd,lat,long\nCF10 1AA,51.4791,-3.1781\n")
    report = import_postcodes(session, csv_path=path, area_column="lsoa")
    assert {(p.number, p.field) for p in report.problems} == {
        (1, "postcode"),
        (1, "lon"),
        (1, "lsoa"),
    }


def test_columns_can_be_named_and_postcodes_are_normalised(
    session: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "pcd,y,x,lsoa\ncf101aa,51.4791,-3.1781,W01001941\n")
    report = import_postcodes(
        session,
        csv_path=path,
        postcode_column="pcd",
        lat_column="y",
        lon_column="x",
        area_column="lsoa",
    )
    session.commit()
    assert report.ok and report.created == 1
    stored = session.get(Postcode, "CF10 1AA")
    assert stored is not None and stored.area_code == "W01001941"


def test_a_moved_postcode_is_updated_and_others_are_kept(session: Session, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path, "postcode,lat,lon\nCF10 1AA,51.4791,-3.1781\nCF10 1AB,51.48,-3.17\n"
    )
    assert import_postcodes(session, csv_path=first).created == 2
    session.commit()
    second = tmp_path / "second.csv"
    second.write_text("postcode,lat,lon\nCF10 1AA,51.5,-3.2\n", encoding="utf-8")
    report = import_postcodes(session, csv_path=second)
    session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert (lookup_postcode(session, "CF10 1AA").lon, lookup_postcode(session, "CF10 1AA").lat) == (
        -3.2,
        51.5,
    )
    assert postcode_count(session) == 2


def test_dry_run_counts_without_writing(session: Session, cardiff_dir: Path) -> None:
    report = import_cardiff(session, cardiff_dir, dry_run=True)
    assert report.ok and report.created == 7679
    session.rollback()
    assert postcode_count(session) == 0
