"""The demo's fictional gazetteer: loaded by `assetmap demo`, searched by English and Welsh
names, naming the demo's areas, and made by its generator."""

import importlib.util
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import GazetteerPlace
from app.services.demo import DEMO_DIR, DEMO_SOURCE
from app.settings import Settings
from tests.cli.conftest import Invoke, count


def test_the_demo_loads_its_fictional_places_once(assetmap: Invoke, db: Engine) -> None:
    first = assetmap("demo")
    again = assetmap("demo")

    assert first.exit_code == again.exit_code == 0, first.output
    assert "aberllyn_places.csv: 10 rows (csv): 8 places (8 created" in first.output
    assert "8 places (0 created, 0 updated, 8 unchanged); 2 skipped" in again.output
    with Session(db) as session:
        places = session.execute(select(GazetteerPlace.name, GazetteerPlace.name_cy)).all()
        sources = set(session.scalars(select(GazetteerPlace.source)))
    assert ("Milltown", "Trefelin") in places and ("Tŷ Gwyn", None) in places
    assert sources == {DEMO_SOURCE}
    assert count(db, GazetteerPlace) == 8


def test_demo_places_are_searched_in_either_language(
    assetmap: Invoke, db: Engine, settings: Settings
) -> None:
    assert assetmap("demo").exit_code == 0

    with TestClient(create_app(settings)) as client:
        english = client.get("/search", params={"q": "Lakevale", "radius": 500}).text
        welsh = client.get("/cy/search", params={"q": "cwm llyn", "radius": 500}).text
        lambs = client.get("/search", params={"q": "Hendrer Wyn"}).text
        area = client.get("/areas/X01000004").text

    assert "within 500 m of Lakevale" in english and "m away</span>" in english
    assert "Cwm Llyn (Lakevale): 2 le o fewn 500 m" in welsh and "m i ffwrdd</span>" in welsh
    assert "within 1 km of Lambsfield" in lambs
    assert "Mill Lane, Aberllyn, near Milltown" in area


def test_the_demo_places_file_is_what_its_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_places", DEMO_DIR / "build_places.py")
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path

    module.main()

    written = (tmp_path / "aberllyn_places.csv").read_bytes()
    assert written == (DEMO_DIR / "aberllyn_places.csv").read_bytes()
