"""app.formats: the CSV formula guard, and CSV/GeoJSON that read back as what went in."""

import csv
import io

import orjson
import pytest

from app.formats import geojson
from app.formats.csv import csv_chunks, csv_text, guarded, safe_cell, unsafe_cell, write_csv_file


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("@cmd", "'@cmd"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("+HYPERLINK(x)", "'+HYPERLINK(x)"),
        ("-2+3", "'-2+3"),
        ("+44 (0)29 2087 2000", "+44 (0)29 2087 2000"),
        ("-3.18", "'-3.18"),
        ("-3", "-3"),
        ("Library", "Library"),
        ("", ""),
    ],
)
def test_formula_guard_prefixes_what_a_spreadsheet_would_run(cell: str, written: str) -> None:
    assert safe_cell(cell) == written
    assert unsafe_cell(written) == cell


def test_unguarding_leaves_an_apostrophe_the_guard_did_not_add() -> None:
    assert unsafe_cell("'quoted") == "'quoted"


def test_guard_leaves_non_text_cells_alone() -> None:
    assert guarded({"a": 1, "b": None, "c": 2.5, "d": "=1"}) == {
        "a": 1,
        "b": None,
        "c": 2.5,
        "d": "'=1",
    }


ROWS = [
    {"id": 1, "name": "Canolfan, Grangetown", "note": '=cmd|" /c calc"!A0', "extra": "x"},
    {"id": 2, "name": "Line\nbreak", "note": None},
]


def test_csv_reads_back_as_the_guarded_rows_with_crlf_and_a_header() -> None:
    text = csv_text(("id", "name", "note"), ROWS)
    assert text.startswith("id,name,note\r\n")
    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert read == [
        {"id": "1", "name": "Canolfan, Grangetown", "note": '\'=cmd|" /c calc"!A0'},
        {"id": "2", "name": "Line\nbreak", "note": ""},
    ]


def test_streamed_and_file_csv_are_the_same_bytes_as_the_text(tmp_path) -> None:
    rows = [{"id": n, "name": f"asset {n}"} for n in range(7)]
    text = csv_text(("id", "name"), rows)
    chunks = list(csv_chunks(("id", "name"), rows, batch=3))
    assert len(chunks) == 3
    assert b"".join(chunks) == text.encode("utf-8")
    assert b"".join(csv_chunks(("id", "name"), [])) == b"id,name\r\n"
    path = tmp_path / "rows.csv"
    assert write_csv_file(path, ("id", "name"), rows) == 7
    assert path.read_bytes() == text.encode("utf-8")


FEATURES = [
    {"type": "Feature", "id": n, "geometry": {"type": "Point", "coordinates": [-3.18, 51.48]},
     "properties": {"name_cy": "Llyfrgell"}}
    for n in (1, 2)
]  # fmt: skip


def test_streamed_feature_collection_reads_back_one_feature_a_line() -> None:
    data = b"".join(geojson.feature_collection_chunks(iter(FEATURES)))
    assert orjson.loads(data) == geojson.feature_collection(FEATURES)
    lines = data.splitlines()
    assert [orjson.loads(line.rstrip(b",")) for line in lines[1:3]] == FEATURES
    assert orjson.loads(b"".join(geojson.feature_collection_chunks([]))) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_a_feature_page_links_self_and_next_only_when_there_is_one() -> None:
    page = geojson.feature_page(FEATURES, geojson.page_links("http://x/a", None))
    assert page["numberReturned"] == 2
    assert page["links"] == [{"rel": "self", "href": "http://x/a", "type": geojson.MEDIA_TYPE}]
    assert [link["rel"] for link in geojson.page_links(None, "http://x/a?cursor=2")] == ["next"]
