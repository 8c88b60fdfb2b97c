#!/usr/bin/env python3
"""Bring the catalogues up to date with the code, and add Welsh translations.

    scripts/translate.py [WELSH.json ...]

Under a lock (several people or tools may run it at once): extracts every string from app/
(as `make messages` does), merges it into app/i18n/{en,cy}, fills English with the source
text, sets Welsh entries from the JSON files ({"msgid": "msgstr"}, or for a plural
{"msgid": ["form 0", ..., "form 5"]}), writes the .po files and compiles the .mo files. Prints
the Welsh entries still untranslated. A JSON entry whose msgid is not in the code is listed and
left out.
"""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "app" / "i18n"
BIN = Path(sys.executable).parent


def po_path(lang: str, suffix: str = ".po") -> Path:
    return I18N / lang / "LC_MESSAGES" / f"messages{suffix}"


def extract() -> None:
    subprocess.run(["make", "-s", "-C", str(ROOT), "messages"], check=True)


def fill(lang: str, welsh: dict[str, object]) -> list[str]:
    path = po_path(lang)
    with path.open("rb") as file:
        catalogue = read_po(file, locale=lang)
    unknown = [msgid for msgid in welsh if msgid not in catalogue]
    for msgid in unknown if lang == "cy" else []:
        print(f"not in the code, left out: {msgid!r}")
    missing = []
    for message in catalogue:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if lang == "en":
            message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
        elif key in welsh:
            value = welsh[key]
            if isinstance(message.id, tuple):
                if not (isinstance(value, list) and len(value) == catalogue.num_plurals):
                    raise SystemExit(f"{key!r} needs {catalogue.num_plurals} plural forms")
                message.string = tuple(value)
            else:
                if not isinstance(value, str):
                    raise SystemExit(f"{key!r} needs a string")
                message.string = value
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(key)
        message.flags.discard("fuzzy")
    with path.open("wb") as file:
        write_po(
            file,
            catalogue,
            width=100,
            omit_header=False,
            ignore_obsolete=True,
            include_previous=False,
            sort_output=True,
            no_location=True,
        )
    subprocess.run(
        [
            str(BIN / "pybabel"),
            "-q",
            "compile",
            "-l",
            lang,
            "-i",
            str(path),
            "-o",
            str(po_path(lang, ".mo")),
        ],
        check=True,
    )
    return missing


def main(files: list[str]) -> int:
    welsh: dict[str, object] = {}
    for name in files:
        welsh.update(json.loads(Path(name).read_text(encoding="utf-8")))
    with (I18N / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        extract()
        fill("en", {})
        missing = fill("cy", welsh)
    for msgid in missing:
        print(f"untranslated (cy): {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
