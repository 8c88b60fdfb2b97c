""" "Missing here" on the pages, without a browser: telling us (no JavaScript: a postcode), the
"me too" button on the reported gaps page, the connector's queue, the planner and the area
profile with support counts, and the gap analysis weighted by residents' gaps (off unless
asked)."""

import html as html_lib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import Area, Deficit, Gap, GapSupport, Indicator, IndicatorValue, Postcode
from app.services import users
from app.services.assets.visibility import Viewer
from app.services.coproduction import gap_decisions, gaps
from app.services.needs.analysis import GapParameters, gap_analysis
from app.services.people.disclosure import PERTURBATION
from app.settings import Settings
from app.spatial.geometry import point_element
from tests.conftest import Patches

EAST_HOME = (-3.154321, 51.456789)  # inside the east patch
POSTCODE = "CF24 2AA"


@pytest.fixture(autouse=True)
def no_gaps(session: Session) -> Iterator[None]:
    """Gaps outlive the shared fixture's cleaning: empty them before each test."""
    session.execute(delete(GapSupport))
    session.execute(delete(Gap))
    session.commit()
    yield


@pytest.fixture
def sign_in(session: Session, settings: Settings) -> Callable[..., Viewer]:
    """Sign a client in with a page session cookie as a new user of a role; their Viewer."""
    made = 0

    def sign(client: TestClient, role: str = "resident", patch: list[str] | None = None) -> Viewer:
        nonlocal made
        made += 1
        user = users.create_user(
            session, email=f"p{role}{made}@example.org", role=role, actor="test", patch=patch
        )
        secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
        session.commit()
        client.cookies.set("assetmap_session", secret)
        return users.viewer_of(user)

    return sign


@pytest.fixture
def person(session: Session) -> Callable[..., Viewer]:
    """A user of a role who never signs in to the pages (a Viewer for the service)."""
    made = 0

    def make(role: str = "resident") -> Viewer:
        nonlocal made
        made += 1
        user = users.create_user(session, email=f"q{made}@example.org", role=role, actor="test")
        session.commit()
        return users.viewer_of(user)

    return make


def _published_gap(
    session: Session, person: Callable[..., Viewer], supporters: int = 0, **body: Any
) -> gaps.GapView:
    from app.schemas.gaps import GapCreate

    data = {"theme": "food", "text": "No food bank near here", "near": list(EAST_HOME), **body}
    view = gaps.create_gap(session, person(), GapCreate.model_validate(data))
    gap_decisions.publish_gap(session, person("planner"), view.id)
    session.commit()
    for _ in range(supporters):
        gaps.support(session, person(), view.id)
    keys = list(session.scalars(select(GapSupport).where(GapSupport.gap_id == view.id)))
    for n, s in enumerate(keys):  # exact published counts: noise 0
        s.record_key = PERTURBATION.index(0) if n == 0 else 0
    session.commit()
    return gaps.view_of(session, person(), view.id)


def _field_error(html: str, name: str) -> str:
    found = re.search(
        rf'<span class="field-error" id="{name}-error">(.*?)</span>(.*?)</span>', html, re.S
    )
    assert found, f"no error beside {name}"
    return html_lib.unescape(found.group(2).strip())


# ---- telling us --------------------------------------------------------------------------------


def test_the_form_asks_visitors_to_sign_in_first(client: TestClient) -> None:
    page = client.get("/missing")
    assert page.status_code == 200
    assert "Tell us what is missing" in page.text and "/sign-in?next=/missing" in page.text
    assert 'action="/missing"' not in page.text
    assert client.post("/missing", data={"theme": "food"}).status_code == 401


def test_a_resident_tells_us_by_postcode_without_javascript(
    client: TestClient,
    session: Session,
    patches: Patches,
    sign_in: Callable[..., Viewer],
    make_asset: Callable[..., int],
) -> None:
    session.add(Postcode(postcode=POSTCODE, location=point_element(*EAST_HOME)))
    session.commit()
    make_asset(location={"type": "Point", "coordinates": [EAST_HOME[0] + 0.001, EAST_HOME[1]]})
    sign_in(client)
    form = client.get("/missing")
    assert 'action="/missing"' in form.text and 'name="postcode"' in form.text
    sent = client.post(
        "/missing",
        data={"theme": "food", "text": "No food bank", "language": "en", "postcode": "cf24 2aa"},
    )
    assert sent.status_code == 200, sent.text
    assert "These might help" in sent.text and "Splott lunch club" in sent.text
    session.rollback()
    (gap,) = session.scalars(select(Gap))
    assert (gap.status, gap.theme_code, gap.text) == ("pending", "food", "No food bank")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"theme": "", "text": "x", "postcode": POSTCODE}, "theme", "Choose a theme"),
        ({"theme": "food", "text": " ", "postcode": POSTCODE}, "text", "Say what is missing"),
        ({"theme": "food", "text": "x" * 1001, "postcode": POSTCODE}, "text", "1000 characters"),
        ({"theme": "food", "text": "x"}, "postcode", "Enter a postcode"),
        ({"theme": "food", "text": "x", "postcode": "CF99 9ZZ"}, "postcode", "do not know"),
        ({"theme": "food", "text": "x", "lon": "500", "lat": "1"}, "postcode", "not valid"),
    ],
)
def test_bad_forms_come_back_by_field_and_store_nothing(
    client: TestClient,
    session: Session,
    patches: Patches,
    sign_in: Callable[..., Viewer],
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    session.add(Postcode(postcode=POSTCODE, location=point_element(*EAST_HOME)))
    session.commit()
    sign_in(client)
    page = client.post("/missing", data=form)
    assert page.status_code == 422
    assert message in _field_error(page.text, field)
    assert page.text.count('value="x"') <= 1  # what was typed is shown again, escaped
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Gap)) == 0


def test_the_welsh_form_is_in_welsh(client: TestClient, sign_in: Callable[..., Viewer]) -> None:
    sign_in(client)
    page = client.get("/cy/missing")
    assert page.status_code == 200
    assert 'lang="cy"' in page.text and 'action="/cy/missing"' in page.text
    assert "Dywedwch wrthym beth sydd ar goll" in page.text


def test_a_resident_text_is_escaped_wherever_it_is_shown(
    client: TestClient,
    session: Session,
    patches: Patches,
    sign_in: Callable[..., Viewer],
    person: Callable[..., Viewer],
) -> None:
    _published_gap(session, person, text="<script>alert(1)</script>{{ 7*7 }}")
    for path in ("/deficits", "/planner"):
        page = client.get(path).text
        assert "<script>alert(1)" not in page and "49" not in page.split("alert(1)")[-1][:20]


# ---- me too on the reported gaps page ---------------------------------------------------------


def test_the_gaps_page_shows_support_and_a_me_too_button(
    client: TestClient,
    session: Session,
    patches: Patches,
    sign_in: Callable[..., Viewer],
    person: Callable[..., Viewer],
) -> None:
    gap = _published_gap(session, person, supporters=5)
    anonymous = client.get("/deficits").text
    assert "6 residents say “me too”" in anonymous and "Sign in to say “me too”" in anonymous
    assert "These might help" in anonymous
    assert 'href="/missing"' in anonymous
    sign_in(client)
    page = client.get("/deficits").text
    assert f'action="/missing/{gap.id}/support"' in page
    said = client.post(
        f"/missing/{gap.id}/support", data={"next": "/deficits"}, follow_redirects=False
    )
    assert said.status_code == 303
    assert said.headers["location"] == f"/deficits#gap-{gap.deficit_id}"
    assert "You said “me too”" in client.get("/deficits").text
    client.post(f"/missing/{gap.id}/support", data={"undo": "1", "next": "//evil.example"})
    session.rollback()
    assert session.scalar(select(func.count()).where(GapSupport.gap_id == gap.id)) == 6


def test_few_supports_show_as_fewer_than_5(
    client: TestClient, session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    _published_gap(session, person, supporters=2)
    assert "Fewer than 5 residents say “me too”" in client.get("/deficits").text


# ---- the queue ----------------------------------------------------------------------------------


def test_the_queue_publishes_merges_and_declines(
    client: TestClient,
    session: Session,
    patches: Patches,
    sign_in: Callable[..., Viewer],
    person: Callable[..., Viewer],
) -> None:
    from app.schemas.gaps import GapCreate

    def report(text: str) -> int:
        data = {"theme": "food", "text": text, "near": list(EAST_HOME)}
        view = gaps.create_gap(session, person(), GapCreate.model_validate(data))
        session.commit()
        return view.id

    first, second, third = report("First gap"), report("Second gap"), report("Third gap")
    sign_in(client, "connector", patch=[patches.east])
    queue = client.get("/connector/gaps")
    assert queue.status_code == 200
    assert all(t in queue.text for t in ("First gap", "Second gap", "Third gap"))
    refused = client.post(f"/connector/gaps/{third}/decline", data={"reason": "  "})
    assert refused.status_code == 422
    assert "reason the resident will see" in _field_error(refused.text, f"reason-{third}")
    bad = client.post(f"/connector/gaps/{first}/publish", data={"severity": "9"})
    assert bad.status_code == 422
    done = client.post(
        f"/connector/gaps/{first}/publish", data={"severity": "4"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/connector/gaps?done=published"
    merged = client.post(
        f"/connector/gaps/{second}/merge", data={"into": str(first)}, follow_redirects=False
    )
    assert merged.status_code == 303
    declined = client.post(
        f"/connector/gaps/{third}/decline", data={"reason": "Already held"}, follow_redirects=False
    )
    assert declined.status_code == 303
    again = client.post(f"/connector/gaps/{third}/decline", data={"reason": "Again"})
    assert again.status_code == 409
    session.rollback()
    statuses = dict(session.execute(select(Gap.id, Gap.status)).all())
    assert statuses == {first: "published", second: "merged", third: "declined"}
    (deficit,) = session.scalars(select(Deficit))
    assert (deficit.severity, deficit.source) == (4, "residents")


def test_the_queue_is_for_deciders_of_the_patch(
    client: TestClient,
    session: Session,
    patches: Patches,
    sign_in: Callable[..., Viewer],
    person: Callable[..., Viewer],
) -> None:
    from app.schemas.gaps import GapCreate

    data = {"theme": "food", "text": "East gap", "near": list(EAST_HOME)}
    gap = gaps.create_gap(session, person(), GapCreate.model_validate(data))
    session.commit()
    signed_out = client.get("/connector/gaps", follow_redirects=False)
    assert signed_out.status_code == 303 and "/sign-in" in signed_out.headers["location"]
    sign_in(client)
    assert client.get("/connector/gaps").status_code == 403
    sign_in(client, "connector", patch=[patches.west])
    assert "East gap" not in client.get("/connector/gaps").text
    assert client.post(f"/connector/gaps/{gap.id}/publish", data={}).status_code == 404
    sign_in(client, "planner")
    assert "East gap" in client.get("/cy/connector/gaps").text


# ---- the planner, the area profile and the weighting -------------------------------------------


@pytest.fixture
def need(session: Session, patches: Patches) -> Patches:
    """A deprivation rank: the west area has more need (rank 1) than the east (rank 2)."""
    session.add(
        Indicator(
            code="deprivation_rank", label_en="Deprivation rank", label_cy="Safle amddifadedd",
            unit="rank", higher_is_more_need=False, source="test", year=2019, licence="OGL v3",
        )
    )  # fmt: skip
    session.flush()
    for rank, code in enumerate((patches.west, patches.east), start=1):
        area_id = session.scalar(select(Area.id).where(Area.code == code))
        session.add(IndicatorValue(indicator_code="deprivation_rank", area_id=area_id, value=rank))
    session.commit()
    return patches


def _need(result: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """Each area's need as the categories use it (weighted when asked) and its category."""
    return {
        r["area_code"]: (r.get("weighted_need_percentile", r["need_percentile"]), r["category"])
        for r in result["items"]
    }


def test_reported_gaps_change_the_ranking_only_when_weighted(
    session: Session, need: Patches, person: Callable[..., Viewer]
) -> None:
    params = GapParameters("deprivation_rank", "food", high_need_percentile=80)
    before = gap_analysis(session, params)
    _published_gap(session, person, supporters=5)  # 6 "me too"s in the east
    off = gap_analysis(session, params)
    assert off == before
    assert _need(off) == {need.west: (100, "priority"), need.east: (0, "low_need")}
    half = gap_analysis(session, replace(params, reported_gaps_weight=0.5))
    assert _need(half) == {need.west: (100, "priority"), need.east: (50, "low_need")}
    full = gap_analysis(session, replace(params, reported_gaps_weight=1))
    assert _need(full) == {need.west: (100, "priority"), need.east: (100, "priority")}
    east = next(r for r in full["items"] if r["area_code"] == need.east)
    assert (east["reported_gap_supports"], east["need_percentile"]) == (6, 0)
    assert "reported_gaps_weight 1" in full["method"]
    housing = replace(params, theme="housing", reported_gaps_weight=1)
    assert _need(gap_analysis(session, housing))[need.east] == (0, "low_need")


def test_the_api_takes_the_weight_and_refuses_one_out_of_range(
    client: TestClient, session: Session, need: Patches, person: Callable[..., Viewer]
) -> None:
    _published_gap(session, person, supporters=5)
    url = "/api/v1/analysis/gaps?indicator=deprivation_rank&theme=food"
    plain = client.get(url).json()
    assert "weighted_need_percentile" not in plain["items"][0]
    weighted = client.get(url + "&reported_gaps_weight=0.5").json()
    assert weighted["parameters"]["reported_gaps_weight"] == 0.5
    assert "weighted_need_percentile" in client.get(url + "&reported_gaps_weight=0.5&f=csv").text
    refused = client.get(url + "&reported_gaps_weight=2")
    assert refused.status_code == 422 and "reported_gaps_weight" in refused.text


def test_the_planner_shows_supports_uses_and_the_weight(
    client: TestClient,
    session: Session,
    need: Patches,
    person: Callable[..., Viewer],
) -> None:
    _published_gap(session, person, supporters=5)
    page = client.get("/planner?indicator=deprivation_rank&theme=food")
    assert page.status_code == 200
    assert "Told us by residents." in page.text and "6 residents say “me too”" in page.text
    assert "“I use this” on the area" in page.text and 'name="reported_gaps_weight"' in page.text
    assert 'href="/missing"' in page.text
    weighted = client.get("/planner?indicator=deprivation_rank&theme=food&reported_gaps_weight=1")
    assert "reported gaps weigh in" in weighted.text
    bad = client.get("/planner?indicator=deprivation_rank&theme=food&reported_gaps_weight=3")
    assert bad.status_code == 422 and "Enter a weight from 0 (off) to 1" in bad.text


def test_the_area_profile_shows_supports_and_uses(
    client: TestClient, session: Session, need: Patches, person: Callable[..., Viewer]
) -> None:
    _published_gap(session, person, supporters=1)
    page = client.get(f"/areas/{need.east}")
    assert "Fewer than 5 residents say “me too”" in page.text
    assert "Residents said “I use this”" in page.text
    profile = client.get(f"/api/v1/areas/{need.east}/profile").json()
    (deficit,) = profile["deficits"]
    assert deficit["supports"] is None and deficit["supports_shown_as"] == "fewer than 5"
    assert profile["uses"] == {"residents": None, "shown_as": "fewer than 5"}
