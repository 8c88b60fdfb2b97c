"""Demo data: the fictional example area that ships in data/demo/, or a real open-data folder.

Either way the demo is areas, need indicators, (deficits or postcodes) and assets, loaded with
the same import functions as the command line, in one transaction: the caller commits only when
every step is ok. Every step is idempotent, so loading the demo twice changes nothing.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Asset, AssetTheme
from app.paths import DATA_DIR
from app.services.assets.visibility import ANONYMOUS, visible_assets
from app.services.coproduction.demo import DemoResidentsReport, load_demo_residents
from app.services.imports.areas import AreaImportReport, import_areas
from app.services.imports.assets import ImportOptions, ImportReport, import_assets
from app.services.imports.deficits import import_deficits
from app.services.imports.mappings import load_mapping
from app.services.imports.places import PlaceImportReport, import_places
from app.services.needs.areas import AreaFields
from app.services.needs.indicators import IndicatorImportReport, import_indicators
from app.services.needs.postcodes import PostcodeImportReport, import_postcodes
from app.services.people.demo import DemoPeopleReport, load_demo_people

DEMO_DIR = DATA_DIR / "demo"
DEMO_ASSETS = DEMO_DIR / "aberllyn_assets.csv"
DEMO_AREAS = DEMO_DIR / "aberllyn_areas.geojson"
DEMO_CENTROIDS = DEMO_DIR / "aberllyn_centroids.geojson"
DEMO_INDICATORS = DEMO_DIR / "aberllyn_indicators.csv"
DEMO_INDICATOR_META = DEMO_DIR / "aberllyn_indicators.json"
DEMO_DEFICITS = DEMO_DIR / "aberllyn_deficits.csv"
DEMO_PEOPLE = DEMO_DIR / "aberllyn_people.csv"
DEMO_GAPS = DEMO_DIR / "aberllyn_gaps.csv"
# A fictional gazetteer in the layout of an OS Open Names data file (data/demo/build_places.py).
DEMO_PLACES = DEMO_DIR / "aberllyn_places.csv"
DEMO_SOURCE = "assetmap-demo (fictional)"
DEMO_AREA_NAME = "Aberllyn (fictional example area)"
DEMO_AREA_FIELDS = AreaFields(
    code="code", name_en="name_en", name_cy="name_cy", population="population", parent="parent_code"
)

# A real area folder is laid out like ../shared/data/cardiff/ (see its README): LSOA 2011
# boundaries with names and population, ONS population-weighted centroids, WIMD 2019, postcodes
# and assets. Nothing below depends on which local authority it is.
AREA_LEVEL = "lsoa"
AREA_FILE = "lsoa11_wimd2019_population.geojson"
AREA_FIELDS = AreaFields(
    code="lsoa11cd",
    name_en="lsoa11nm",
    name_cy="lsoa11nmw",
    population="population_mid2019",
    parent="msoa11cd",
)
CENTROID_FILE = "lsoa11_population_weighted_centroids.geojson"
# The MSOAs, when the folder has them: the planner shows need and assets at that level too,
# aggregated from the LSOAs (app/services/needs/zones.py); the LSOAs name them as parents.
MSOA_LEVEL = "msoa"
MSOA_FILE = "msoa11_boundaries.geojson"
MSOA_FIELDS = AreaFields(code="msoa11cd", name_en="msoa11nm", parent="lad_code")
# The local authority's outline, when the folder has it: residents search for the place by its
# English or Welsh name ("Caerdydd"), and the LSOAs get it as their county.
AUTHORITY_LEVEL = "local_authority"
AUTHORITY_FILE = "local_authority_boundary.geojson"
AUTHORITY_FIELDS = AreaFields(code="lad_code", name_en="lad_name", name_cy="lad_name_cy")
WIMD_FILE = "wimd2019_lsoa11.csv"
WIMD_META = DATA_DIR / "indicators" / "wimd2019.json"
POSTCODE_FILE = "postcodes.csv"
AREA_CODE_COLUMN = "lsoa11cd"
ASSET_FILE = "assets.geojson"
AREA_MAPPING = DATA_DIR / "mappings" / "wales_public_services.json"
AREA_DIR_FILES = (AREA_FILE, CENTROID_FILE, WIMD_FILE, POSTCODE_FILE, ASSET_FILE)
# A gazetteer, when the folder has one (the first found): an OS Open Names data file cut to
# the area, or GeoJSON points with name / name_cy (`assetmap import places`).
PLACE_FILES = ("places.csv", "places.geojson")

Report = (
    AreaImportReport
    | IndicatorImportReport
    | PostcodeImportReport
    | ImportReport
    | DemoPeopleReport
    | DemoResidentsReport
    | PlaceImportReport
)
Progress = Callable[[int, int], None]


@dataclass
class DemoResult:
    """The report of each step, in order (loading stops at the first that is not ok)."""

    steps: list[tuple[str, Report]] = field(default_factory=list)
    # A gap analysis worth opening once the demo is loaded (path and query), if there is one.
    example: str | None = None

    @property
    def ok(self) -> bool:
        """True when every step could be imported."""
        return all(report.ok for _name, report in self.steps)


def load_demo(
    session: Session, *, area_dir: Path | None = None, progress: Progress | None = None
) -> DemoResult:
    """Load the fictional demo (or an area folder) into the session; caller commits if ok.

    Raises FileNotFoundError when the area folder lacks one of its files and SourceFileError
    when a file cannot be read at all.
    """
    if area_dir is None:
        return _fictional(session, progress)
    missing = [name for name in AREA_DIR_FILES if not (area_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{area_dir}: no {', '.join(missing)} (the folder must be laid out like "
            "../shared/data/cardiff/)"
        )
    return _area_folder(session, area_dir, progress)


def _fictional(session: Session, progress: Progress | None) -> DemoResult:
    result = DemoResult()
    steps: list[tuple[str, Callable[[], Report]]] = [
        (
            DEMO_AREAS.name,
            lambda: import_areas(
                session,
                path=DEMO_AREAS,
                level="lsoa",
                fields=DEMO_AREA_FIELDS,
                centroids_path=DEMO_CENTROIDS,
                source=DEMO_SOURCE,
            ),
        ),
        (
            f"{DEMO_INDICATORS.name} + {DEMO_INDICATOR_META.name}",
            lambda: import_indicators(
                session,
                csv_path=DEMO_INDICATORS,
                meta_path=DEMO_INDICATOR_META,
                area_code_column="area_code",
            ),
        ),
        (DEMO_PLACES.name, lambda: import_places(session, path=DEMO_PLACES, source=DEMO_SOURCE)),
        (DEMO_DEFICITS.name, lambda: import_deficits(session, path=DEMO_DEFICITS, actor="demo")),
        (
            DEMO_ASSETS.name,
            lambda: import_assets(session, DEMO_ASSETS, ImportOptions(actor="demo"), progress),
        ),
        (DEMO_PEOPLE.name, lambda: load_demo_people(session, DEMO_PEOPLE)),
        (DEMO_GAPS.name, lambda: load_demo_residents(session, DEMO_GAPS)),
    ]
    _run(result, steps)
    if result.ok:
        result.example = gap_example(session, DEMO_INDICATOR_META)
    return result


def _area_folder(session: Session, area_dir: Path, progress: Progress | None) -> DemoResult:
    result = DemoResult()
    options = ImportOptions(mapping=load_mapping(AREA_MAPPING), actor="demo")
    steps: list[tuple[str, Callable[[], Report]]] = [
        (
            AREA_FILE,
            lambda: import_areas(
                session,
                path=area_dir / AREA_FILE,
                level=AREA_LEVEL,
                fields=AREA_FIELDS,
                centroids_path=area_dir / CENTROID_FILE,
                # Published boundaries are valid; a repaired one is listed, not a reason to stop.
                repair=True,
                source=AREA_FILE,  # as `assetmap import areas` names it
            ),
        ),
    ]
    if (area_dir / MSOA_FILE).is_file():
        steps.append(
            (
                MSOA_FILE,
                lambda: import_areas(
                    session,
                    path=area_dir / MSOA_FILE,
                    level=MSOA_LEVEL,
                    fields=MSOA_FIELDS,
                    repair=True,
                    source=MSOA_FILE,
                ),
            )
        )
    if (area_dir / AUTHORITY_FILE).is_file():
        steps.append(
            (
                AUTHORITY_FILE,
                lambda: import_areas(
                    session,
                    path=area_dir / AUTHORITY_FILE,
                    level=AUTHORITY_LEVEL,
                    fields=AUTHORITY_FIELDS,
                    repair=True,
                    source=AUTHORITY_FILE,
                ),
            )
        )
    places = next((area_dir / n for n in PLACE_FILES if (area_dir / n).is_file()), None)
    if places is not None:
        steps.append((places.name, lambda: import_places(session, path=places)))
    steps += [
        (
            f"{WIMD_FILE} + {WIMD_META.name}",
            lambda: import_indicators(
                session,
                csv_path=area_dir / WIMD_FILE,
                meta_path=WIMD_META,
                area_code_column=AREA_CODE_COLUMN,
            ),
        ),
        (
            POSTCODE_FILE,
            lambda: import_postcodes(
                session, csv_path=area_dir / POSTCODE_FILE, area_column=AREA_CODE_COLUMN
            ),
        ),
        (ASSET_FILE, lambda: import_assets(session, area_dir / ASSET_FILE, options, progress)),
    ]
    _run(result, steps)
    if result.ok:
        result.example = gap_example(session, WIMD_META)
    return result


def _run(result: DemoResult, steps: list[tuple[str, Callable[[], Report]]]) -> None:
    for name, step in steps:
        report = step()
        result.steps.append((name, report))
        if not report.ok:
            return  # later steps need this one (e.g. indicators need the areas)


def gap_example(session: Session, meta_path: Path) -> str | None:
    """A gap analysis to try: the first indicator of the file and its theme with most assets."""
    indicators = json.loads(meta_path.read_text(encoding="utf-8")).get("indicators") or []
    if not indicators or not indicators[0].get("themes"):
        return None
    code, themes = indicators[0]["code"], list(indicators[0]["themes"])
    counts = dict(
        session.execute(
            select(AssetTheme.theme_code, func.count())
            .join(Asset, Asset.id == AssetTheme.asset_id)
            .where(AssetTheme.theme_code.in_(themes), visible_assets(ANONYMOUS))
            .group_by(AssetTheme.theme_code)
        ).all()
    )
    theme = max(themes, key=lambda t: (counts.get(t, 0), -themes.index(t)))
    return f"/api/v1/analysis/gaps?indicator={code}&theme={theme}"
