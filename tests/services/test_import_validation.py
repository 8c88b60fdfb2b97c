"""The bulk validator gives AssetCreate's answer for every record: the same records accepted,
with the same stored values, and a rejection (naming the field) wherever the schema rejects."""

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.schemas.assets import AssetCreate
from app.services.imports.rows import asset_values
from app.services.imports.validation import asset_values_of, plain_asset_values
from app.vocabularies import ACCESSIBILITY, DAYS, KINDS, STATUSES

THEMES = ("food", "housing", "older_people", "welsh_language")
LETTERS = "abcŵŷâ ÔÉ-'.,\t\n\r\x00\x07\x7f\x85\u00a0\u2028"


def _long(limit: int) -> st.SearchStrategy[str]:
    """Text just under, at and over a limit (and with space around it)."""
    return st.sampled_from((limit - 1, limit, limit + 1)).map(lambda n: " " + "ŵ" * n + " ")


def _text(limit: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.text(LETTERS, max_size=12),
        _long(limit),
        st.sampled_from(("", "   ", "Tŷ Hafan", "a\ud800b", "ok", 3)),
    )


def _lists(items: st.SearchStrategy[Any], most: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(items, max_size=4),
        st.lists(items, min_size=most, max_size=most + 1),
        st.sampled_from(("food", None, ("cy",))),
    )


EMAILS = st.one_of(
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.sampled_from(("hello", "a.b", "A_b+c-d", ".a", "a..b", "x" * 64, "x" * 65, "ŵ", "a b")),
        st.sampled_from(
            (
                "example.org",
                "Example.ORG",
                "mail.cymru",
                "localhost",
                "x.test",
                "a.local",
                "a..b.com",
                "-a.com",
                "a-.com",
                "ab--cd.com",
                "xn--bcher-kva.com",
                "münchen.de",
                "1.2.3.4",
                "a.b1",
                "a." + "b" * 63 + ".com",
                "a." + "b" * 64 + ".com",
                ("c" * 60 + ".") * 4 + "com",
            )
        ),
    ),
    st.sampled_from(("", " hello@example.org ", "Bob <bob@example.org>", "no-at", "@x.org")),
)
WEBSITES = st.sampled_from(
    (
        "https://example.org",
        "https://example.org/",
        "http://Example.ORG/a/./b?q=1#f",
        "https://example.org/a b",
        "https://例え.jp",
        "ftp://example.org",
        "example.org",
        "https://",
        " https://x.cymru/path ",
        "https://x.org/" + "a" * 1990,
        "https://x.org/" + "a" * 1986,
        "",
    )
)
TIMES = st.sampled_from(("09:00", "17:30", "00:00", "23:59", "24:00", "9:00", "09:00:00", 900))
HOURS = st.fixed_dictionaries(
    {"day": st.sampled_from((*DAYS, "xyz", "Mon")), "opens": TIMES, "closes": TIMES},
    optional={"every_weeks": st.sampled_from((1, 2)), "note_en": st.just("n")},
)
MOMENTS = st.one_of(
    st.none(),
    st.sampled_from(
        (
            "2024-01-02T10:00:00Z",
            "2024-01-02T10:00:00+01:00",
            "2024-01-02T10:00:00-23:00",
            "2024-01-02T10:00:00+24:00",
            "2024-01-02T10:00:00",
            "2024-02-30T10:00:00Z",
            "2024-01-02T24:00:00Z",
            "2999-01-01T00:00:00Z",
            "2024-01-02T10:00:00.5Z",
            "2024-01-02 10:00:00Z",
            "",
            5,
        )
    ),
)
DEGREES = st.one_of(
    st.floats(-200, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-200, 200),
    st.sampled_from(("3.1", "-3.125", " 3.1", "1e2", "abc", "", "90", "-0", True, None, 10**400)),
)
LOCATIONS = st.one_of(
    st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]}, DEGREES, DEGREES),
    st.sampled_from(
        (
            {"type": "LineString", "coordinates": [0, 0]},
            {"type": "Point", "coordinates": [1, 2, 3]},
            {"type": "Point", "coordinates": (1, 2)},
            {"type": "Point", "coordinates": [1, 2], "bbox": [1, 2, 1, 2]},
            None,
        )
    ),
)
AREA = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}


def _schema(record: dict[str, Any]) -> dict[str, Any] | set[str]:
    """asset_values of AssetCreate, or the fields it rejects."""
    try:
        return asset_values(AssetCreate.model_validate(record))
    except ValidationError as exc:
        return {str(error["loc"][0]) if error["loc"] else "record" for error in exc.errors()}


def _same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    # NaN never equals itself; nothing here may be NaN anyway (the schema refuses it).
    assert not any(isinstance(v, float) and math.isnan(v) for v in left.values())
    return left == right


PLAIN_TEXT = st.text("abcdefghij ABCŵŷâô-'.,", min_size=1, max_size=30).filter(str.strip)
PLAIN = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(("group", "space", "service")),
        "name_en": PLAIN_TEXT,
        "location": st.builds(
            lambda x, y: {"type": "Point", "coordinates": [x, y]},
            st.floats(-180, 180).map(lambda v: f"{v:.6f}"),
            st.floats(-90, 90),
        ),
    },
    optional={
        "name_cy": PLAIN_TEXT,
        "description_en": PLAIN_TEXT,
        "source": st.just("bench"),
        "themes": st.lists(st.sampled_from(THEMES), max_size=3),
        "postcode": st.sampled_from(("cf101aa", "CF10 1AA", "ll57 2pw")),
        "email": st.sampled_from(("hello@example.org", "A.b+c@mail.example.cymru")),
        "phone": st.sampled_from(("029 2012 3456", "+44 (0)29 2012 3456")),
        "website": st.sampled_from(("https://example.org", "https://example.org/a/b?c=d")),
        "opening_hours": st.lists(
            st.fixed_dictionaries(
                {"day": st.sampled_from(DAYS), "opens": st.just("09:00"), "closes": TIMES}
            ).filter(lambda h: isinstance(h["closes"], str) and h["closes"] in ("17:30", "23:59")),
            max_size=3,
        ),
        "accessibility": st.lists(st.sampled_from(ACCESSIBILITY), max_size=3),
        "languages": st.lists(st.sampled_from(("cy", "en")), max_size=2),
        "status": st.sampled_from(("pending", "published")),
        "last_verified_at": st.sampled_from(("2024-01-02T10:00:00Z", "2024-06-02T10:00:00+01:00")),
    },
)


# Any value, valid or not, for each field (and a field the schema does not have).
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from((*KINDS, "castle", "", "Group", None)),
    "location": LOCATIONS,
    "name_en": _text(300),
    "name_cy": _text(300),
    "description_en": _text(5000),
    "description_cy": _text(5000),
    "address": _text(500),
    "source": _text(200),
    "source_id": _text(200),
    "themes": _lists(st.sampled_from((*THEMES, "Food", "a b", "x" * 41, "", 3)), 30),
    "service_area": st.sampled_from((None, AREA)),
    "postcode": st.one_of(
        _text(10),
        st.sampled_from(("cf101aa", " CF10 1AA ", "SA1 1AA", "CF10  1AA", "XYZ", "CF10 1AAA")),
    ),
    "email": st.one_of(st.none(), EMAILS),
    "phone": st.one_of(
        _text(40), st.sampled_from(("029 2012 3456", "+44 (0)29 2012", "1234", "1" * 41))
    ),
    "website": st.one_of(st.none(), WEBSITES),
    "opening_hours": _lists(HOURS, 50),
    "accessibility": _lists(st.sampled_from((*ACCESSIBILITY, "lift")), 30),
    "languages": _lists(st.sampled_from(("cy", "en", "bfi", "EN", "e", "engl")), 20),
    "status": st.sampled_from((*STATUSES, None, "Published")),
    "last_verified_at": MOMENTS,
    "consent": st.sampled_from((None, {"method": "written"})),
    "colour": st.just("red"),
}


@st.composite
def records(draw: st.DrawFn, field: str) -> dict[str, Any]:
    """A plain valid record with `field` given any value (or left out), and maybe another."""
    record = draw(PLAIN)
    names = [field, *draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=1))]
    for name in names:
        if draw(st.integers(0, 5)) or name not in record:
            record[name] = draw(FIELD_VALUES[name])
        else:
            del record[name]
    return record


@settings(max_examples=150, deadline=None)
@given(record=PLAIN)
def test_plain_records_are_decided_by_the_bulk_validator_itself(record: dict[str, Any]) -> None:
    plain = plain_asset_values(record)

    assert plain is not None
    assert _same(plain, asset_values(AssetCreate.model_validate(record)))


@pytest.mark.parametrize("field", sorted(FIELD_VALUES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_bulk_validator_gives_the_schemas_answer_for_any_value_of_each_field(
    field: str, data: st.DataObject
) -> None:
    record = data.draw(records(field))
    expected = _schema(record)
    plain = plain_asset_values(record)

    if isinstance(expected, set):
        assert plain is None
        with pytest.raises(ValidationError) as raised:
            asset_values_of(record)
        assert {str(e["loc"][0]) if e["loc"] else "record" for e in raised.value.errors()} == (
            expected
        )
    else:
        assert plain is None or _same(plain, expected)
        assert _same(asset_values_of(record), expected)
