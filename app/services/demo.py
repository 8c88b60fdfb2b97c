"""Demo data: the fictional example area that ships in data/demo/, or a real open-data folder."""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from app.services.imports import ImportOptions, ImportReport, import_assets
from app.services.mappings import load_mapping
from app.settings import PROJECT_DIR

DEMO_DIR = PROJECT_DIR / "data" / "demo"
DEMO_ASSETS = DEMO_DIR / "aberllyn_assets.csv"
DEMO_SOURCE = "assetmap-demo (fictional)"
DEMO_AREA_NAME = "Aberllyn (fictional example area)"
AREA_MAPPING = PROJECT_DIR / "data" / "mappings" / "wales_public_services.json"


def load_demo(
    session: Session,
    *,
    area_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ImportReport]:
    """Import the demo assets (or an area folder's assets.geojson); caller commits if all ok."""
    if area_dir is None:
        options = ImportOptions(actor="demo")
        return [import_assets(session, DEMO_ASSETS, options, progress=progress)]
    assets = area_dir / "assets.geojson"
    if not assets.exists():
        raise FileNotFoundError(f"{area_dir}: no assets.geojson (see ../shared/data/cardiff/)")
    options = ImportOptions(mapping=load_mapping(AREA_MAPPING), actor="demo")
    # Areas and need indicators in the folder are loaded by a later issue (areas).
    return [import_assets(session, assets, options, progress=progress)]
