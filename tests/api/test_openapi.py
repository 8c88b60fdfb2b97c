"""The OpenAPI document is valid OpenAPI: what client generators and GIS tools read first."""

from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from app.main import create_app
from app.settings import Settings


def test_openapi_json_passes_the_openapi_spec_validator() -> None:
    client = TestClient(create_app(Settings(database_url="sqlite:///:memory:")))
    response = client.get("/openapi.json")
    assert response.status_code == 200
    validate(response.json())  # raises on any error, e.g. a reference that points nowhere


def test_the_deficit_geojson_answers_are_described_without_dangling_references() -> None:
    document = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    listed = document["paths"]["/api/v1/deficits"]["get"]["responses"]["200"]["content"]
    features = listed["application/geo+json"]["schema"]["properties"]["features"]
    assert features["items"]["properties"]["type"]["const"] == "Feature"
