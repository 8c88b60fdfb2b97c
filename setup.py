"""The wheel's build step: everything a source checkout has beside the code goes into the wheel.

pyproject.toml holds the metadata; this file only extends setuptools' build_py so that a wheel
(`python -m build --wheel`, `pip wheel .`, `pip install .`) serves every page and runs every
command with no checkout around it:

- the message catalogues are compiled here (.po -> .mo, with Babel, a build requirement),
  because compiled catalogues are build outputs that change with every new string: committed,
  they would drift from the .po files that translators edit;
- migrations/ and data/ (taxonomy, demo data, mappings, indicator metadata; never a database
  or an erasure ledger) are copied into the package as app/shipped/, where app/paths.py finds
  them;
- the front-end files (app/web/static/vendor/) are committed, copied from the npm packages
  pinned in package-lock.json by scripts/vendor-web.sh: released files of pinned versions
  that change only with the lock file, so building or installing assetmap needs no Node.js.
  tests/packaging/test_vendored_files.py fails when they differ from what the lock gives.

Editable installs (`make install`) skip all of this: a checkout has the originals beside app/,
and `make install` compiles the catalogues in place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
CATALOGUES = ROOT / "app" / "i18n"
VENDORED = ROOT / "app" / "web" / "static" / "vendor"
# Trees copied into app/shipped/, and which of their files: inputs only, never the outputs a
# checkout's data/ also collects (SpatiaLite files, erasure ledgers) or the demo's build scripts.
SHIPPED_TREES = {
    "migrations": ("*.py", "*.mako"),
    "data": ("*.csv", "*.json", "*.geojson", "*.md"),
}


def compile_catalogues(target: Path) -> list[Path]:
    """Compile app/i18n/<lang>/LC_MESSAGES/*.po into `target` (as `pybabel compile` does);
    a catalogue with errors or marked fuzzy stops the build rather than ship a broken page."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(CATALOGUES.glob("*/LC_MESSAGES/*.po")):
        lang = po.parent.parent.name
        with po.open("rb") as file:
            catalogue = read_po(file, lang)
        if catalogue.fuzzy:
            raise SystemExit(f"{po}: the catalogue is marked fuzzy; translate it first")
        problems = [
            f"{po}:{message.lineno}: {error}"
            for message, errors in catalogue.check()
            for error in errors
        ]
        if problems:
            raise SystemExit("catalogue errors:\n" + "\n".join(problems))
        mo = target / po.relative_to(CATALOGUES).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as file:
            write_mo(file, catalogue, use_fuzzy=False)
        written.append(mo)
    if not written:
        raise SystemExit(f"no catalogues (*.po) under {CATALOGUES}")
    return written


def copy_shipped(target: Path) -> list[Path]:
    """Copy the files of SHIPPED_TREES into `target` (app/shipped/ in the build)."""
    written = []
    for tree, patterns in SHIPPED_TREES.items():
        for pattern in patterns:
            for source in sorted((ROOT / tree).rglob(pattern)):
                if "__pycache__" in source.parts or source.name.startswith("erasures-"):
                    continue
                copy = target / source.relative_to(ROOT)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy)
                written.append(copy)
    return written


class BuildWithProjectFiles(build_py):
    """build_py, then the compiled catalogues and app/shipped/ into the build's package."""

    def run(self) -> None:
        """Build the package as usual, then add what it needs from beside it."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        if not (VENDORED / "leaflet" / "leaflet.js").is_file():
            raise SystemExit(f"{VENDORED} is incomplete: run scripts/vendor-web.sh")
        package = Path(self.build_lib) / "app"
        compile_catalogues(package / "i18n")
        shipped = package / "shipped"
        shutil.rmtree(shipped, ignore_errors=True)
        copy_shipped(shipped)


setup(cmdclass={"build_py": BuildWithProjectFiles})
