"""Imported text is data, never code: a whole import of payloads, then every page and map.

Areas, assets, deficits, indicators and themes are imported (through `assetmap import ...` and
the taxonomy loader of `assetmap db upgrade`) with every text field a Jinja, JavaScript or HTML
payload; codes that are payloads are refused with the row, the field and the reason, and
nothing is written. Then every page (found from the routes, as in test_every_page.py) and every
map is opened in Chromium: no page is a 500, nothing runs, and the maps show the payloads as
typed. An area whose code was stored before codes were checked is drawn safely too.
"""

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.models import Area, Asset, Deficit, Indicator, Theme, ThemeRelation, User
from app.services.assets.themes import ThemeFileError, seed_themes
from app.services.demo import load_demo
from app.settings import get_settings
from tests.api.conftest import LiveServer
from tests.cli.conftest import empty_database
from tests.web.browser import Visit, open_visit
from tests.web.test_every_page import (
    NOT_VISITED,
    PASSWORD,
    XSS_CORPUS,
    World,
    page_paths,
    path_for,
    sign_in_as,
)

# Each would show as something else (or make the page a 500) if a template engine read it, and
# would set window.__xss if a browser ran it.
PAYLOADS = [
    *XSS_CORPUS,
    "{{lipsum.__globals__.os.getpid()}}",
    "{# opens a comment",
    "{%raw%} raw",
    "{{7*'7'}} ${7*7}",
]
BAD_CODES = ["{{lipsum.__globals__.os.getpid()}}", "{#x", "{%raw%}", "<b>W01</b>", "a b"]
THEMES = [f"payload_{i}" for i in range(3)]
INDICATOR = "payload_need"
SOURCE = "payload-test"
# Squares south of the demo's Aberllyn, one per payload.
WEST, SOUTH, SIZE = -4.46, 52.30, 0.008
LEGACY_CODE = "{{7*7}}{# legacy"
Invoke = Callable[..., Result]


def _code(i: int) -> str:
    return f"PAY{i:03d}"


def _square(i: int) -> dict[str, Any]:
    x, y = WEST + (i % 6) * SIZE, SOUTH + (i // 6) * SIZE
    ring = [[x, y], [x + SIZE, y], [x + SIZE, y + SIZE], [x, y + SIZE], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _centre(i: int) -> tuple[float, float]:
    return WEST + (i % 6 + 0.5) * SIZE, SOUTH + (i // 6 + 0.5) * SIZE


def _write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _areas_file(path: Path, codes: list[str]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": PAYLOADS[i % len(PAYLOADS)],
                           "name_cy": PAYLOADS[-1 - i % len(PAYLOADS)], "population": 1500},
            "geometry": _square(i),
        }
        for i, code in enumerate(codes)
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _meta(code: str) -> dict[str, Any]:
    return {
        "code": code, "label_en": PAYLOADS[7], "label_cy": PAYLOADS[10],
        "description_en": PAYLOADS[1], "description_cy": PAYLOADS[11], "unit": "{{7*7}} <b>",
        "higher_is_more_need": True, "themes": THEMES[:1], "source": PAYLOADS[3],
        "year": 2024, "licence": PAYLOADS[0],
    }  # fmt: skip


ASSET_HEADER = ["kind", "name_en", "name_cy", "description_en", "description_cy", "themes",
                "lon", "lat", "address", "status", "source", "source_id"]  # fmt: skip
DEFICIT_HEADER = ["theme", "title_en", "title_cy", "description_en", "description_cy", "severity",
                  "status", "source", "source_id", "reporter", "lon", "lat"]  # fmt: skip
KINDS = ["group", "space", "organisation", "service", "business", "culture"]


def _asset(i: int, themes: str) -> dict[str, Any]:
    lon, lat = _centre(i)
    text = PAYLOADS[i]
    return {
        "kind": KINDS[i % len(KINDS)], "name_en": text, "name_cy": PAYLOADS[-1 - i],
        "description_en": text, "description_cy": text, "themes": themes, "lon": lon,
        "lat": lat, "address": text, "status": "published", "source": SOURCE,
        "source_id": f"p{i}",
    }  # fmt: skip


def _deficit(i: int, theme: str) -> dict[str, Any]:
    lon, lat = _centre(i)
    text = PAYLOADS[i]
    return {
        "theme": theme, "title_en": text, "title_cy": text, "description_en": text,
        "description_cy": text, "severity": 3, "status": "open", "source": text,
        "source_id": f"d{i}", "reporter": text, "lon": lon + SIZE / 4, "lat": lat,
    }  # fmt: skip


@pytest.fixture
def assetmap(db: Engine, db_url: str, tmp_path: Path) -> Iterator[Invoke]:
    """`assetmap ARGS...` on the test database (as tests/cli/conftest.py runs it)."""
    runner = CliRunner()
    env = {"ASSETMAP_DATABASE_URL": db_url, "ASSETMAP_ERASURE_LEDGER": str(tmp_path / "e.jsonl")}

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        try:
            return runner.invoke(cli, list(args), env=env)
        finally:
            get_settings.cache_clear()

    yield invoke


@pytest.fixture
def payload_themes(db: Engine, session: Session, tmp_path: Path) -> Iterator[list[str]]:
    """The payload themes, loaded as `assetmap db upgrade` loads data/themes.csv; removed after
    the test (the taxonomy outlives each test's emptied tables)."""
    themes = _write_csv(
        tmp_path / "themes.csv",
        ["code", "label_en", "label_cy"],
        [{"code": c, "label_en": PAYLOADS[i], "label_cy": PAYLOADS[-1 - i]}
         for i, c in enumerate(THEMES)],
    )  # fmt: skip
    relations = _write_csv(
        tmp_path / "relations.csv",
        ["theme_code", "related_code"],
        [{"theme_code": THEMES[0], "related_code": THEMES[1]}],
    )
    assert seed_themes(session, themes, relations) == len(THEMES)
    session.commit()
    yield THEMES
    session.rollback()
    empty_database(db)
    with db.begin() as connection:
        connection.execute(delete(ThemeRelation).where(ThemeRelation.theme_code.in_(THEMES)))
        connection.execute(delete(Theme).where(Theme.code.in_(THEMES)))


def test_a_taxonomy_with_a_payload_code_is_refused_whole(session: Session, tmp_path: Path) -> None:
    before = session.scalar(select(func.count()).select_from(Theme))
    rows = [{"code": "payload_fine", "label_en": "{{7*7}}", "label_cy": "x"}]
    rows += [{"code": code, "label_en": "x", "label_cy": "x"} for code in BAD_CODES]
    themes = _write_csv(tmp_path / "themes.csv", ["code", "label_en", "label_cy"], rows)
    relations = _write_csv(tmp_path / "relations.csv", ["theme_code", "related_code"], [])
    with pytest.raises(ThemeFileError) as raised:
        seed_themes(session, themes, relations)
    for line in range(3, 3 + len(BAD_CODES)):
        assert f"themes.csv line {line}: code: " in str(raised.value)
    assert "lower-case letters, digits and '_'" in str(raised.value)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Theme)) == before


def test_payload_codes_are_refused_with_the_row_field_and_reason(
    assetmap: Invoke, session: Session, payload_themes: list[str], tmp_path: Path
) -> None:
    bad_areas = _areas_file(tmp_path / "bad.geojson", ["GOOD1", *BAD_CODES])
    result = assetmap("import", "areas", str(bad_areas), "--level", "lsoa", "--code-field", "code",
                      "--name-field", "name")  # fmt: skip
    assert result.exit_code == 1, result.output
    for number in range(2, 2 + len(BAD_CODES)):
        assert f"feature {number}: code: code " in result.output, result.output
    assert "is not a letter or digit, then letters, digits" in result.output
    assert session.scalar(select(func.count()).select_from(Area)) == 0

    good_areas = _areas_file(tmp_path / "areas.geojson", [_code(0)])
    assert assetmap("import", "areas", str(good_areas), "--level", "lsoa", "--code-field",
                    "code").exit_code == 0  # fmt: skip
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"indicators": [_meta(INDICATOR), _meta(BAD_CODES[0])]}))
    values = _write_csv(tmp_path / "v.csv", ["area_code", INDICATOR], [{"area_code": _code(0),
                        INDICATOR: "1"}])  # fmt: skip
    result = assetmap("import", "indicators", str(values), "--meta", str(meta), "--area-column",
                      "area_code")  # fmt: skip
    assert result.exit_code == 1 and "indicator 2" in result.output and "code" in result.output
    assert "is not a letter or digit" in result.output, result.output

    assets = _write_csv(tmp_path / "assets.csv", ASSET_HEADER,
                        [_asset(0, THEMES[0]), _asset(1, BAD_CODES[0])])  # fmt: skip
    result = assetmap("import", "assets", str(assets))
    assert result.exit_code == 1 and "line 3" in result.output and "themes" in result.output
    deficits = _write_csv(tmp_path / "deficits.csv", DEFICIT_HEADER,
                          [_deficit(0, THEMES[0]), _deficit(1, BAD_CODES[1])])  # fmt: skip
    result = assetmap("import", "deficits", str(deficits))
    assert result.exit_code == 1 and "line 3" in result.output and "theme" in result.output
    for model in (Indicator, Asset, Deficit):
        assert session.scalar(select(func.count()).select_from(model)) == 0


@pytest.fixture
def imported(
    assetmap: Invoke,
    session: Session,
    payload_themes: list[str],
    make_user: Callable[..., Any],
    tmp_path: Path,
) -> World:
    """The demo, then areas, an indicator, assets and deficits of payloads, imported."""
    assert load_demo(session).ok
    session.commit()
    codes = [_code(i) for i in range(len(PAYLOADS))] + ["LEGACY1"]
    areas = _areas_file(tmp_path / "areas.geojson", codes)
    result = assetmap("import", "areas", str(areas), "--level", "lsoa", "--code-field", "code",
                      "--name-field", "name", "--name-cy-field", "name_cy",
                      "--population-field", "population")  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"indicators": [_meta(INDICATOR)]}))
    values = _write_csv(tmp_path / "values.csv", ["area_code", INDICATOR],
                        [{"area_code": c, INDICATOR: i} for i, c in enumerate(codes)])  # fmt: skip
    result = assetmap("import", "indicators", str(values), "--meta", str(meta), "--area-column",
                      "area_code")  # fmt: skip
    assert result.exit_code == 0, result.output
    assets = _write_csv(
        tmp_path / "assets.csv",
        ASSET_HEADER,
        [_asset(i, ";".join(THEMES[: 1 + i % 3])) for i in range(len(PAYLOADS))],
    )
    result = assetmap("import", "assets", str(assets))  # fmt: skip
    assert result.exit_code == 0, result.output
    deficits = _write_csv(tmp_path / "deficits.csv", DEFICIT_HEADER,
                          [_deficit(i, THEMES[0]) for i in range(len(PAYLOADS))])  # fmt: skip
    result = assetmap("import", "deficits", str(deficits))
    assert result.exit_code == 0, result.output
    # A code stored before imports checked codes: the pages must draw it as text too.
    session.execute(update(Area).where(Area.code == "LEGACY1").values(code=LEGACY_CODE))
    session.commit()
    make_user("connector", patch=codes[:-1], password=PASSWORD)
    make_user("admin", password=PASSWORD)
    ids = list(session.scalars(select(Asset.id).where(Asset.source == SOURCE).order_by(Asset.id)))
    deficit = session.scalars(select(Deficit.id).order_by(Deficit.id.desc()).limit(1)).one()
    connector = session.scalars(select(User.id).where(User.role == "connector")).one()
    return World(
        ids,
        ids[0],
        "connector1@example.org",
        _code(7),
        deficit_id=deficit,  # one of the imported deficits, titled with a payload
        admin_email="admin2@example.org",
        user_id=connector,
    )


MAP_TEXTS = """() => new Promise((done) => {
  const el = document.querySelector('[data-map-data]');
  if (!el) { done(null); return; }
  window.AssetmapMaps.ready(el.id, (map) => {
    const texts = [];
    const read = (layer) => {
      if (layer.getLayers) { layer.getLayers().forEach(read); }
      for (const part of [layer.getTooltip && layer.getTooltip(),
                          layer.getPopup && layer.getPopup()]) {
        if (!part) { continue; }
        let content = part.getContent();
        if (typeof content === 'function') { content = content(layer); }
        texts.push(typeof content === 'string' ? 'HTML:' + content : content.textContent);
      }
      if (layer.options && layer.options.alt) { texts.push(layer.options.alt); }
    };
    map.eachLayer(read);
    const control = el.querySelector('.leaflet-control-layers-overlays');
    if (control) {
      texts.push(...Array.from(control.querySelectorAll('label'), (l) => l.textContent));
    }
    done(texts);
  });
})"""


def _map_texts(page: Page) -> list[str] | None:
    """What the page's map shows: every tooltip, popup, alt text and layer name, as text."""
    texts: list[str] | None = page.evaluate(MAP_TEXTS)
    return texts


def _checked(visit: Visit, path: str, problems: dict[str, Any]) -> Page:
    page = visit.go(path)  # fails on anything but a 200
    visit.settle()
    found = {
        "xss": page.evaluate("window.__xss"),
        "errors": list(visit.errors),
        "elsewhere": list(visit.elsewhere),
        "evaluated": [t for t in ("49 choir", "7777777") if t in page.content()],
    }
    if any(found.values()):
        problems[path] = found
    visit.errors.clear()
    return page


def test_every_page_and_map_shows_imported_payloads_as_typed(
    browser: Browser, web: LiveServer, imported: World
) -> None:
    visit = open_visit(browser, web.url)
    problems: dict[str, Any] = {}
    try:
        planner = f"/planner?indicator={INDICATOR}&theme={THEMES[0]}"
        page = _checked(visit, planner, problems)
        shown = _map_texts(page) or []
        assert not [t for t in shown if t.startswith("HTML:")], "map text given as HTML"
        everything = "\n".join(shown)
        for payload in PAYLOADS:
            assert payload in everything, payload  # area names, gap titles, theme labels
        assert LEGACY_CODE in everything and _code(3) in everything
        page.locator(".leaflet-control-layers").hover()
        assert PAYLOADS[0] in page.locator(".leaflet-control-layers-overlays").inner_text()

        page = _checked(visit, "/search?q=market", problems)
        # Result markers are numbered like the list ("1. name"): the name is shown as typed.
        assert any(t.endswith(f". {PAYLOADS[4]}") for t in _map_texts(page) or [])
        for index, asset_id in enumerate(imported.asset_ids):
            page = _checked(visit, f"/assets/{asset_id}", problems)
            assert page.locator("h1").inner_text() == PAYLOADS[index]
            assert PAYLOADS[index] in (_map_texts(page) or [])
        for index in range(len(PAYLOADS)):
            page = _checked(visit, f"/areas/{_code(index)}", problems)
            assert page.locator("h1").inner_text() == PAYLOADS[index]
            assert PAYLOADS[index] in "\n".join(_map_texts(page) or [])
        page = _checked(visit, "/areas/" + LEGACY_CODE.replace("#", "%23"), problems)
        assert LEGACY_CODE in "\n".join(_map_texts(page) or [])
        for printed in (planner + "&print=1", f"/areas/{_code(8)}?print=1"):
            page = _checked(visit, printed, problems)
            titles = page.eval_on_selector_all(
                "svg.planner-static-map title", "all => all.map((t) => t.textContent)"
            )
            assert PAYLOADS[8] in titles, titles

        signed_in_as = ""
        for template in page_paths():
            if template in NOT_VISITED:
                continue
            # Admin pages as the admin; connector pages as the connector of the payloads.
            if template.startswith("/admin") and signed_in_as != "admin":
                sign_in_as(visit, imported.admin_email)
                signed_in_as = "admin"
            elif template.startswith("/connector") and signed_in_as != "connector":
                sign_in_as(visit, imported.connector_email)
                signed_in_as = "connector"
            for prefix in ("", "/cy"):
                page = _checked(visit, prefix + path_for(template, imported), problems)
                texts = _map_texts(page)
                if texts is not None:
                    assert not [t for t in texts if t.startswith("HTML:")], template
    finally:
        visit.context.close()
    assert problems == {}, json.dumps(problems, indent=1)
