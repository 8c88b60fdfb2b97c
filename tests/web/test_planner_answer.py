"""The planner leads with its answer (issue 13, item 3): the method in words with its parameters
as controls, a table sortable and filterable on the server, a CSV of exactly what the table
shows, WIMD's deciles (1 = most deprived; national where the ranks are national), MSOA and
local-authority levels, coverage, and category words everywhere; area profiles say "none held"
for a theme with no asset."""

import csv
import html as html_text
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import Area, Theme
from app.services.demo import load_demo
from tests.conftest import SHARED_DATA
from tests.maps.islands import page_island

SEA_VIEW = "X01000001"
# Cells of a row (after the area's name): code, value, decile, category, in the area, within.
CAT, IN_AREA, WITHIN, SHARE = 4, 5, 6, 7
CATEGORY_WORDS = {
    "en": {"Priority", "Strength to build on", "Well served", "Lower need"},
    "cy": {"Blaenoriaeth", "Cryfder i adeiladu arno", "Gwasanaeth da", "Llai o angen"},
}


@pytest.fixture
def demo(session: Session) -> Session:
    """The fictional Aberllyn demo, committed."""
    assert load_demo(session).ok
    session.commit()
    return session


@pytest.fixture
def cardiff(session: Session, cardiff_dir: Path) -> Session:
    """The real Cardiff folder loaded as `assetmap demo --area-dir` loads it (LSOAs, MSOAs, the
    local authority, WIMD 2019, postcodes, assets)."""
    assert load_demo(session, area_dir=cardiff_dir).ok
    session.commit()
    return session


def table(html: str) -> tuple[list[str], list[list[str]]]:
    """The planner table: its headings and its rows (cells as text), in order."""
    body = html.split('<table class="planner-table" data-sortable>', 1)[1].split("</table>")[0]
    text = lambda cell: html_text.unescape(re.sub(r"<[^>]+>", "", cell)).strip()  # noqa: E731
    headings = [text(h) for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", body, re.S)]
    rows = [
        [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr data-code[^>]*>(.*?)</tr>", body, re.S)
    ]
    return headings, [[r[0].split(" (in ")[0], *r[1:]] for r in rows]


def test_the_method_is_stated_with_its_parameters_as_controls(
    client: TestClient, demo: Session
) -> None:
    html = client.get("/planner?theme=food").text
    method = html.split('id="method-heading"', 1)[1].split("</section>", 1)[0]
    assert "need percentile is 80 or more" in method and "within 800 m" in method
    assert "at least 1 asset within that distance" in method
    assert (
        "Deciles are within the areas shown: 1 = the tenth of these areas with most need" in method
    )
    for name, value in (("distance_m", "800"), ("high_need_percentile", "80"), ("min_assets", "1")):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"', method), name
        assert f'<label for="{name}">' in method


def test_changing_the_distance_changes_the_categories_and_the_words(
    client: TestClient, demo: Session
) -> None:
    near = client.get("/planner?theme=food&distance_m=100").text
    far = client.get("/planner?theme=food&distance_m=3000").text
    near_rows, far_rows = table(near)[1], table(far)[1]
    assert {r[1]: r[CAT] for r in near_rows} != {r[1]: r[CAT] for r in far_rows}
    # Within the distance counts more at 3 km; in the area counts the same.
    assert sum(int(r[WITHIN]) for r in far_rows) > sum(int(r[WITHIN]) for r in near_rows)
    assert sorted(r[IN_AREA] for r in far_rows) == sorted(r[IN_AREA] for r in near_rows)
    assert "within 3,000 m" in far and "Food assets within 3,000 m" in far
    api = client.get(
        "/api/v1/analysis/gaps?indicator=aberllyn_bus_minutes&theme=food&distance_m=3000"
    ).json()
    words = {"priority": "Priority", "strength": "Strength to build on",
             "well_served": "Well served", "low_need": "Lower need"}  # fmt: skip
    assert {i["area_code"]: words[i["category"]] for i in api["items"]} == {
        r[1]: r[CAT] for r in far_rows
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [("distance_m=0", "distance_m"), ("high_need_percentile=101", "high_need_percentile"),
     ("min_assets=1.5", "min_assets"), ("distance_m=far", "distance_m"),
     ("category=bad", "category")],
)  # fmt: skip
def test_a_parameter_out_of_range_is_named_beside_its_field(
    client: TestClient, demo: Session, query: str, field: str
) -> None:
    response = client.get("/planner?theme=food&" + query)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and f'id="{field}-error"' in response.text
    if field != "category":
        assert f'name="{field}"' in response.text  # the form is there to put it right


def test_the_table_sorts_on_the_server_and_leads_with_the_priorities(
    client: TestClient, demo: Session
) -> None:
    headings, rows = table(client.get("/planner?theme=food").text)
    assert headings[4:7] == ["Gap category", "Food assets in the area", "Food assets within 800 m"]
    order = ["Priority", "Strength to build on", "Lower need", "Well served"]
    assert [order.index(r[CAT]) for r in rows] == sorted(order.index(r[CAT]) for r in rows)
    _, by_name = table(client.get("/planner?theme=food&sort=area").text)
    assert [r[0] for r in by_name] == sorted((r[0] for r in rows), key=str.casefold)
    _, by_within = table(client.get("/planner?theme=food&sort=-within").text)
    assert [int(r[WITHIN]) for r in by_within] == sorted(int(r[WITHIN]) for r in rows)
    html = client.get("/planner?theme=food&sort=within").text
    assert re.search(r'<th scope="col" data-sort-key="within" aria-sort="descending">', html)


def test_the_table_filters_by_category_and_its_csv_is_exactly_what_it_shows(
    client: TestClient, demo: Session
) -> None:
    query = "theme=food&category=well_served&sort=-need&distance_m=1000"
    html = client.get("/planner?" + query).text
    headings, rows = table(html)
    assert rows and {r[CAT] for r in rows} == {"Well served"}
    assert 'href="/planner/areas.csv?theme=food&amp;category=well_served' in html
    response = client.get("/planner/areas.csv?" + query)
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0] == headings
    assert lines[1:] == rows


def test_the_csv_guards_against_formulas(client: TestClient, demo: Session) -> None:
    area = demo.scalars(select(Area).where(Area.code == SEA_VIEW)).one()
    area.name_en = "=HYPERLINK(1)"
    demo.commit()
    text = client.get("/planner/areas.csv?theme=food").text
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_category_words_everywhere_in_both_languages(
    client: TestClient, demo: Session, lang: str
) -> None:
    html = client.get(("/cy" if lang == "cy" else "") + "/planner?theme=food").text
    need = page_island(html)["layers"][0]
    words = {f["properties"]["category"] for f in need["data"]["features"]}
    assert words <= CATEGORY_WORDS[lang] and words
    assert "well_served" not in {w for w in words}
    assert {r[CAT] for r in table(html)[1]} <= CATEGORY_WORDS[lang]


def test_the_answer_summarises_categories_coverage_and_priority_areas(
    client: TestClient, demo: Session
) -> None:
    html = client.get("/planner?theme=food&distance_m=400").text
    answer = html.split('id="answer-heading"', 1)[1].split("</section>", 1)[0]
    _, rows = table(html)
    priorities = [r for r in rows if r[CAT] == "Priority"]
    assert f"Priority: <strong>{len(priorities)} area" in answer
    assert re.search(r"\d+% of residents \([\d,]+ of 34,234\) live in a small area", answer)
    listed = re.findall(r'<li><a href="/areas/(X\d+)"', answer)
    assert listed == [r[1] for r in priorities][:10]


def test_the_local_authority_of_the_demo_is_the_union_of_its_areas(
    client: TestClient, demo: Session
) -> None:
    html = client.get("/planner?theme=food&level=local_authority").text
    _, rows = table(html)
    assert len(rows) == 1 and rows[0][0] == "All the areas held"
    assert "aggregated from the Small areas (LSOAs)" in html
    total = client.get("/api/v1/analysis/gaps?indicator=aberllyn_bus_minutes&theme=food").json()
    assert sum(i["assets_in_area"] for i in total["items"]) == int(rows[0][IN_AREA])


@pytest.fixture
def bell_ringing(demo: Session) -> Iterator[str]:
    """A theme no asset has, last in taxonomy order; removed afterwards (the taxonomy is not
    emptied between tests, and a theme left behind would change every later theme list)."""
    demo.add(
        Theme(code="bell_ringing", label_en="Bell ringing", label_cy="Canu clychau", position=999)
    )
    demo.commit()
    yield "bell_ringing"
    demo.rollback()
    demo.execute(delete(Theme).where(Theme.code == "bell_ringing"))
    demo.commit()


def test_an_area_profile_says_none_held_for_a_theme_without_assets(
    client: TestClient, demo: Session, bell_ringing: str
) -> None:
    html = client.get(f"/areas/{SEA_VIEW}").text
    nearest = html.split('id="nearest-heading"', 1)[1].split("</table>", 1)[0]
    cells = dict(re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', nearest))
    held = client.get(f"/api/v1/areas/{SEA_VIEW}/profile").json()
    assert held["themes_without_assets"] == ["bell_ringing"]
    for theme in held["themes_without_assets"]:
        label = next(t["label_en"] for t in client.get("/api/v1/themes").json()["items"]
                     if t["code"] == theme)  # fmt: skip
        assert cells[label] == "none held"
    assert "more than 100 km" not in nearest


def test_cardiff_deciles_are_wimds_national_deciles(client: TestClient, cardiff: Session) -> None:
    html = client.get("/planner?indicator=wimd2019_overall_rank&theme=health_wellbeing").text
    headings, rows = table(html)
    assert headings[3] == "National need decile (1 = most deprived in Wales)"
    assert "all 1,909 small areas (LSOAs) in Wales" in html
    published = {}
    with (SHARED_DATA / "cardiff" / "wimd2019_lsoa11.csv").open(encoding="utf-8") as file:
        for record in csv.DictReader(file):
            published[record["lsoa11cd"]] = int(record["wimd2019_decile"])
    assert len(rows) == 214
    assert {r[1]: int(r[3]) for r in rows} == published
    assert all(published[r[1]] == math.ceil(int(r[2].replace(",", "")) * 10 / 1909) for r in rows)


def test_cardiff_at_msoa_and_local_authority_level(client: TestClient, cardiff: Session) -> None:
    query = "/planner?indicator=wimd2019_overall_rank&theme=health_wellbeing&level="
    msoa = client.get(query + "msoa").text
    headings, rows = table(msoa)
    assert len(rows) == 48 and "Small areas among the most deprived tenth of Wales" in headings
    assert headings[3] == "Need decile among these areas (1 = most need)"
    assert "ranks are not averaged but re-ranked" in msoa
    # Re-ranked: the MSOAs are numbered 1..48 by need.
    assert sorted(int(r[2]) for r in rows) == list(range(1, 49))
    authority = client.get(query + "local_authority").text
    _, (cardiff_row,) = table(authority)
    assert cardiff_row[:2] == ["Cardiff", "W06000015"]
    # 39 of Cardiff's 214 LSOAs are in Wales' most deprived tenth (the folder's README).
    assert cardiff_row[SHARE] == "18%"
    api = client.get(
        "/api/v1/analysis/gaps?indicator=wimd2019_overall_rank&theme=health_wellbeing&level=msoa"
    ).json()
    assert api["aggregated_from"] == "lsoa" and len(api["items"]) == 48
    assert sum(i["population"] for i in api["items"]) == 366_903
