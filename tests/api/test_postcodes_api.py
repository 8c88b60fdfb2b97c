"""/api/v1/postcodes/{postcode}: position and area, with clear 404 and 422 answers."""

from functools import cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.needs.areas import AreaFields, AreaInput, read_areas, save_areas
from app.services.needs.postcodes import import_postcodes


@cache
def _lsoas(path: Path) -> list[AreaInput]:
    fields = AreaFields(code="lsoa11cd", name_en="lsoa11nm", name_cy="lsoa11nmw")
    good, bad, _repaired = read_areas(path, fields)
    assert bad == []
    return good


@pytest.fixture
def cardiff(session: Session, cardiff_dir: Path) -> None:
    """Cardiff's LSOAs and its 7,679 postcodes (with their LSOA codes), imported."""
    areas = _lsoas(cardiff_dir / "lsoa11_wimd2019_population.geojson")
    save_areas(session, level="lsoa", areas=areas, centroids={}, source="test")
    report = import_postcodes(
        session, csv_path=cardiff_dir / "postcodes.csv", area_column="lsoa11cd"
    )
    assert report.ok
    session.commit()


@pytest.fixture
def two_postcodes(session: Session, tmp_path: Path) -> None:
    """Two real Cardiff postcodes and nothing else (no areas)."""
    path = tmp_path / "two.csv"
    path.write_text(
        "postcode,lat,lon\nCF10 1AA,51.479102,-3.178085\nCF10 1AB,51.478636,-3.1779\n", "utf-8"
    )
    assert import_postcodes(session, csv_path=path).ok
    session.commit()


def test_a_postcode_gives_its_point_and_lsoa(client: TestClient, cardiff: None) -> None:
    response = client.get("/api/v1/postcodes/CF10 1AA")
    assert response.status_code == 200
    assert response.json() == {
        "postcode": "CF10 1AA",
        "location": {"type": "Point", "coordinates": [-3.178085, 51.479102]},
        "area": {
            "code": "W01001941",
            "name_en": "Cardiff 032G",
            "name_cy": "Caerdydd 032G",
            "level": "lsoa",
        },
    }


@pytest.mark.parametrize("written", ["cf101aa", "CF10  1AA", "cf10%201aa", "CF101AA", " Cf10 1aA"])
def test_spacing_and_case_do_not_matter(
    client: TestClient, two_postcodes: None, written: str
) -> None:
    response = client.get(f"/api/v1/postcodes/{written}")
    assert response.status_code == 200
    assert response.json()["postcode"] == "CF10 1AA"


def test_without_areas_the_area_is_null(client: TestClient, two_postcodes: None) -> None:
    body = client.get("/api/v1/postcodes/CF10 1AB").json()
    assert body["area"] is None
    assert body["location"] == {"type": "Point", "coordinates": [-3.1779, 51.478636]}


def test_an_unknown_postcode_is_a_404_that_says_why(
    client: TestClient, two_postcodes: None
) -> None:
    response = client.get("/api/v1/postcodes/sa999zz")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith("postcode SA99 9ZZ not found") and "imported" in detail


@pytest.mark.parametrize(
    "written", ["hello", "12345", "CF10 1A", "CF10 1AAA", "CF10-1AA", "ÇF10 1AA"]
)
def test_a_malformed_postcode_is_a_422_on_the_path(
    client: TestClient, two_postcodes: None, written: str
) -> None:
    response = client.get(f"/api/v1/postcodes/{written}")
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["path", "postcode"]
    assert "not a UK postcode" in error["msg"]


def test_an_overlong_postcode_is_a_422_on_the_path(client: TestClient) -> None:
    response = client.get("/api/v1/postcodes/" + "A" * 50)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "postcode"]


def test_the_lookup_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/postcodes/{postcode}"]["get"]["responses"]) >= {"200", "404", "422"}
