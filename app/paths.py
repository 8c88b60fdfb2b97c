"""Where the files the code ships with are, from a source checkout and from an installed wheel.

A checkout keeps migrations/ and data/ (the taxonomy, demo data, mappings, indicator metadata)
beside app/. An installed wheel has no project directory around the package, so the wheel's
build step (setup.py) copies them into the package as app/shipped/; which of the two is here
decides where everything is read from. Nothing outside this module guesses at paths.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_DIR = PACKAGE_DIR / "shipped"
# app/shipped/ exists only in a wheel's copy of the package (it is never made in a checkout).
INSTALLED = SHIPPED_DIR.is_dir()
# Read, never written: a checkout's root, or the copy inside the installed package.
PROJECT_FILES = SHIPPED_DIR if INSTALLED else PACKAGE_DIR.parent
MIGRATIONS_DIR = PROJECT_FILES / "migrations"
DATA_DIR = PROJECT_FILES / "data"
# Written by default (the SpatiaLite file, PostGIS erasure ledgers): the checkout's data/, or
# data/ under the working directory when installed (site-packages is no place for a database).
STATE_DIR = Path("data") if INSTALLED else PACKAGE_DIR.parent / "data"
