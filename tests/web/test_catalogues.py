"""Every catalogue is complete: 100 % translated, nothing fuzzy, every string of app/ in it."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import I18N_DIR, LANGUAGES, catalogue_path, translations

PROJECT = I18N_DIR.parents[1]


def _catalogue(lang: str):  # type: ignore[no-untyped-def]
    with catalogue_path(lang).open("rb") as file:
        return read_po(file, locale=lang)


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _extracted() -> set[str]:
    with (I18N_DIR / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    messages = extract_from_dir(PROJECT, method_map, options_map)
    ids = set()
    for _, _, message, _, _ in messages:
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    catalogue = _catalogue(lang)
    assert not catalogue.fuzzy, "the header is marked fuzzy"
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 10
    fuzzy = [m.id for m in messages if m.fuzzy]
    untranslated = [
        m.id for m in messages if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert fuzzy == []
    assert untranslated == [], "translate these (make messages adds new ones)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_agree_with_the_source_text(lang: str) -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalogue(lang).check()]
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_in_the_code_is_in_the_catalogue(lang: str) -> None:
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _catalogue(lang) if m.id}
    missing = sorted(_extracted() - ids)
    assert missing == [], "run `make messages` and translate them"


def test_welsh_has_six_plural_forms() -> None:
    catalogue = _catalogue("cy")
    assert catalogue.num_plurals == 6
    forms = {n: translations("cy").ngettext("%(num)d result for %(query)s",
                                            "%(num)d results for %(query)s", n)
             for n in (0, 1, 2, 3, 6, 7)}  # fmt: skip
    assert len({forms[2], forms[3], forms[7]}) == 3  # dau ganlyniad, tri chanlyniad, canlyniad
    assert forms[3] == forms[6]  # tri chanlyniad, chwe chanlyniad
    assert forms[1] == forms[7] and forms[0] == forms[7]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogue_is_up_to_date(lang: str) -> None:
    compiled: Path = catalogue_path(lang, ".mo")
    assert compiled.exists(), "run `make install` to compile the catalogues"
    with compiled.open("rb") as file:
        mo = {_key(m.id): _key(m.string) for m in read_mo(file) if m.id}
    po = {_key(m.id): _key(m.string) for m in _catalogue(lang) if m.id}
    assert mo == po, "app/i18n/*.mo is older than its .po: run `make install`"
