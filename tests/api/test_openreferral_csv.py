"""The profile's CSV data package: the tables follow the shipped schemas; the profile's own
example and our own export, as tables, import to the same assets as the same services as JSON
(every field the registry holds); importing again changes nothing; a row naming one the
package lacks skips its service with the reason; a malformed CSV is one clear error."""

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from app.schemas.assets import AssetCreate
from app.services.assets import records
from app.services.openreferral.package import TABLES, flatten, read_package, write_package
from app.services.openreferral.publish import every_service, taxonomies
from app.services.openreferral.read import OrukSourceError, import_openreferral
from tests.api.test_openreferral_import import published_bodies
from tests.conftest import PROJECT_DIR, unavailable

ORUK = PROJECT_DIR.parent / "shared" / "standards" / "oruk-3.0"
# What an asset holds that says where and when it was saved, not what it says.
NOT_CONTENT = {
    "id", "source", "search_text", "version", "created_at", "updated_at", "created_by",
    "updated_by",
}  # fmt: skip
LINKS = {
    "service_id", "location_id", "link_id", "link_type", "organization_id", "taxonomy_term_id",
    "service_at_location_id", "contact_id", "phone_id",
}  # fmt: skip


@pytest.fixture
def oruk() -> Path:
    if not (ORUK / "examples" / "service_full.json").is_file():
        unavailable(f"the ORUK 3.0 schemas and examples are not at {ORUK}")
    return ORUK


def example_on_earth(oruk: Path) -> dict[str, Any]:
    """The profile's full service, placed in Splott (its own location is (100, 101)) and with
    a term the default mapping knows."""
    service = json.loads((oruk / "examples" / "service_full.json").read_text())
    location = service["service_at_locations"][0]["location"]
    location["latitude"], location["longitude"] = 51.4812, -3.1566
    service["attributes"][0]["taxonomy_term"]["name"] = "Counselling"
    return service


def held(session: Session, source: str) -> list[dict[str, Any]]:
    """Every field the registry holds of the assets kept under `source`, by source id."""
    assets = session.scalars(
        select(Asset).where(Asset.source == source).order_by(Asset.source_id)
    ).all()
    columns = [c.key for c in Asset.__table__.columns if c.key not in NOT_CONTENT]
    return [
        {
            **{c: getattr(a, c) for c in columns if c not in ("location", "service_area")},
            "location": to_shape(a.location).wkt,
            "service_area": to_shape(a.service_area).wkt if a.service_area is not None else None,
            "themes": a.theme_codes,
        }
        for a in assets
    ]


def package(tmp_path: Path, services: list[dict[str, Any]], name: str = "package") -> Path:
    return write_package(flatten(services), tmp_path / name).parent


def without_links(document: Any) -> Any:
    """A document without the parents' ids a table row carries, and without empty lists."""
    if isinstance(document, dict):
        return {k: without_links(v) for k, v in document.items() if k not in LINKS and v != []}
    if isinstance(document, list):
        return [without_links(v) for v in document]
    return document


# ---- the tables ----------------------------------------------------------------------------------


def test_the_tables_are_the_schemas_scalar_fields(oruk: Path) -> None:
    for name, table in TABLES.items():
        schema = json.loads((oruk / "schema" / f"{name}.json").read_text())
        properties = schema["properties"]
        scalar = [k for k, v in properties.items() if v.get("type") not in ("array", None)]
        numbers = {k for k, v in properties.items() if v.get("type") in ("number", "integer")}
        assert (schema["name"], schema["path"]) == (table.name, table.path)
        assert (list(table.fields), set(table.numbers)) == (scalar, numbers), name


def test_the_profiles_example_comes_back_from_its_tables_as_it_was(
    oruk: Path, tmp_path: Path
) -> None:
    service = json.loads((oruk / "examples" / "service_full.json").read_text())
    folder = package(tmp_path, [service])

    assert (folder / "services.csv").is_file() and (folder / "phones.csv").exists() is False
    read = read_package(folder / "datapackage.json")

    assert (read.missing, read.notes) == ([], [])
    [again] = read.services
    assert without_links(again) == without_links(service)
    # Numbers are numbers again, as the schemas say.
    assert again["minimum_age"] == 12
    assert again["cost_options"][0]["amount"] == 35
    assert again["schedules"][0]["interval"] == 1


# ---- importing: the same assets as from JSON -----------------------------------------------------


def test_the_profiles_example_imports_from_tables_as_from_json(
    oruk: Path, session: Session, tmp_path: Path
) -> None:
    service = example_on_earth(oruk)
    (tmp_path / "service.json").write_text(json.dumps(service))
    folder = package(tmp_path, [service])

    from_json = import_openreferral(session, str(tmp_path / "service.json"), source_name="json")
    from_csv = import_openreferral(session, str(folder), source_name="csv")
    assert from_json.ok and from_csv.ok, from_csv.assets.problems if from_csv.assets else from_csv
    session.commit()

    assert from_csv.assets is not None and from_csv.assets.created == 1
    assert from_csv.notes == from_json.notes  # the same things said about what is not held
    assert held(session, "csv") == held(session, "json")
    [asset] = held(session, "csv")
    assert asset["name_en"] == "Community Counselling"
    assert asset["themes"] == ["mental_health"]
    assert sorted(h["day"] for h in asset["opening_hours"]) == ["fri", "thu"]


def test_our_own_export_imports_from_tables_as_from_json_and_again_changes_nothing(
    session: Session, tmp_path: Path
) -> None:
    for body in published_bodies():
        records.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()
    services = every_service(session)
    assert len(services) == 3
    (tmp_path / "services.json").write_text(json.dumps(services))
    folder = write_package(flatten(services, taxonomies("en")), tmp_path / "package").parent

    from_json = import_openreferral(session, str(tmp_path / "services.json"), source_name="json")
    from_csv = import_openreferral(session, str(folder), source_name="csv")
    assert from_json.ok and from_csv.ok
    session.commit()
    assert (from_csv.services, from_csv.skipped, from_csv.notes) == (3, [], [])

    imported = held(session, "csv")
    assert imported == held(session, "json")
    lunch = next(a for a in imported if a["name_en"] == "Splott lunch club")
    assert (lunch["phone"], lunch["postcode"], lunch["kind"]) == (
        "029 2046 0000",
        "CF24 2BX",
        "group",
    )
    assert lunch["languages"] == ["cy", "en"]
    hall = next(a for a in imported if a["name_en"] == "Adamsdown community hall")
    assert hall["service_area"] is not None
    assert {h.get("week_of_month") for h in hall["opening_hours"]} == {1, None}

    again = import_openreferral(session, str(folder / "datapackage.json"), source_name="csv")
    session.commit()
    assert again.assets is not None
    assert (again.assets.created, again.assets.updated, again.assets.unchanged) == (0, 0, 3)
    assert held(session, "csv") == imported


# ---- what a package lacks, and packages that are not tables ------------------------------------


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def rewrite(path: Path, table: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)


def two_services(oruk: Path) -> list[dict[str, Any]]:
    first = example_on_earth(oruk)
    second = copy.deepcopy(first)
    second.update(id="5a0e1c7e-0000-4000-8000-000000000002", name="Second counselling")
    place = second["service_at_locations"][0]
    place["id"] = "5a0e1c7e-0000-4000-8000-000000000003"
    place["location"]["id"] = "5a0e1c7e-0000-4000-8000-000000000004"
    second["organization"]["id"] = "5a0e1c7e-0000-4000-8000-000000000005"
    for part in ("schedules", "service_areas", "languages", "funding", "cost_options", "contacts"):
        for n, item in enumerate(second[part]):
            item["id"] = f"5a0e1c7e-0000-4000-8001-{n:02d}{len(part):010d}"
    del second["attributes"]
    del second["service_at_locations"][0]["location"]["addresses"]
    del second["service_at_locations"][0]["location"]["accessibility"]
    del second["organization"]["organization_identifiers"]
    return [first, second]


def test_a_row_naming_one_the_package_lacks_skips_its_service(
    oruk: Path, session: Session, tmp_path: Path
) -> None:
    folder = package(tmp_path, two_services(oruk))
    organizations = rows(folder / "organizations.csv")
    rewrite(folder / "organizations.csv", organizations[:1])  # the second's is gone
    phones = [{"id": "5a0e1c7e-0000-4000-8000-0000000000f0", "contact_id": "nobody",
               "number": "029 2000 0000"}]  # fmt: skip
    rewrite(folder / "phones.csv", phones)  # not in datapackage.json: found by its name

    report = import_openreferral(session, str(folder), source_name="csv")

    assert report.ok
    assert [(s.name, s.reason) for s in report.skipped] == [
        (
            "Second counselling",
            "its organization_id '5a0e1c7e-0000-4000-8000-000000000005' names no row of "
            "organizations.csv",
        )
    ]
    assert "phones.csv row 2: contact_id 'nobody' names no row here: not read" in report.notes
    assert report.assets is not None and report.assets.created == 1


def test_a_location_the_package_lacks_skips_its_service(
    oruk: Path, session: Session, tmp_path: Path
) -> None:
    folder = package(tmp_path, two_services(oruk))
    locations = rows(folder / "locations.csv")
    rewrite(folder / "locations.csv", locations[:1])

    report = import_openreferral(session, str(folder), source_name="csv")

    assert [s.reason for s in report.skipped] == [
        "its location_id '5a0e1c7e-0000-4000-8000-000000000004' names no row of locations.csv"
    ]
    assert report.ok and report.assets is not None and report.assets.created == 1


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda f: (f / "datapackage.json").unlink(), "no datapackage.json in"),
        (lambda f: (f / "datapackage.json").write_text("{"), "cannot read"),
        (lambda f: (f / "locations.csv").unlink(), "locations.csv is listed in datapackage.json"),
        (
            lambda f: (f / "services.csv").write_text(
                (f / "services.csv").read_text() + "x,y,z,1,2,3,4,5,6,7,8,9,10,11,12,13,14\n"
            ),
            "services.csv row 3: 17 values for 15 columns",
        ),
        (
            lambda f: (f / "locations.csv").write_text(
                (f / "locations.csv").read_text().replace("51.4812", "north")
            ),
            "locations.csv row 2, latitude: 'north' is not a number",
        ),
        (
            lambda f: (f / "schedule.csv").write_bytes(b"id,freq\n\xff\xfe,WEEKLY\n"),
            "cannot read schedule.csv",
        ),
        (
            lambda f: (f / "services.csv").write_text(
                (f / "services.csv").read_text() + (f / "services.csv").read_text().split("\n")[1]
            ),
            "is used twice",
        ),
    ],
    ids=[
        "no-descriptor",
        "bad-descriptor",
        "missing-file",
        "long-row",
        "not-a-number",
        "not-utf8",
        "duplicate-id",
    ],
)
def test_a_malformed_package_is_one_clear_error_and_writes_nothing(
    oruk: Path, session: Session, tmp_path: Path, spoil: Any, message: str
) -> None:
    folder = package(tmp_path, [example_on_earth(oruk)])
    spoil(folder)
    with pytest.raises(OrukSourceError, match=message.replace("(", r"\(")):
        import_openreferral(session, str(folder), source_name="csv")
    assert held(session, "csv") == []


def test_an_attribute_is_read_with_what_its_link_id_names(oruk: Path, tmp_path: Path) -> None:
    service = example_on_earth(oruk)
    location = service["service_at_locations"][0]["location"]
    location["attributes"] = [
        dict(service["attributes"][0], id="5a0e1c7e-0000-4000-8000-0000000000a1")
    ]
    service["phones"] = [{"id": "5a0e1c7e-0000-4000-8000-0000000000b1", "number": "029 2000 0000"}]
    folder = package(tmp_path, [service])
    attributes = rows(folder / "attribute.csv")
    assert {a["link_type"] for a in attributes} == {"link_type"}  # free text, as the example's
    stray = dict(attributes[0], id="5a0e1c7e-0000-4000-8000-0000000000c1",
                 link_id="5a0e1c7e-0000-4000-8000-0000000000b1")  # fmt: skip
    rewrite(folder / "attribute.csv", [*attributes, stray])  # names a phone: nothing to hold it

    read = read_package(folder)

    [again] = read.services
    assert [a["id"] for a in again["attributes"]] == [service["attributes"][0]["id"]]
    [place] = again["service_at_locations"]
    assert [a["id"] for a in place["location"]["attributes"]] == [location["attributes"][0]["id"]]
    assert read.notes == [
        "attribute.csv row 4: link_id '5a0e1c7e-0000-4000-8000-0000000000b1' names no row "
        "here: not read"
    ]
