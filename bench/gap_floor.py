"""The floor of a gap analysis: what any implementation must read from the database, and
nothing else. The theme's public links with their point and area of the level, gathered by
the database into one value (the covering index of asset_themes), and the level's areas with
their indicator value and centroid. No counting, no percentiles, no rows built, no HTTP: the
app's figure beside this one is what the app adds to reading its inputs."""

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from app.models import Area, AssetTheme, IndicatorValue
from app.spatial import backend_of


def read_inputs(session: Session, *, level: str, theme: str, indicator: str) -> int:
    """Read the inputs of one gap analysis; how many links and areas were read."""
    backend = backend_of(session)
    lon, _lat, _area = backend.tagged_point_arrays(
        session.connection(),
        AssetTheme.lon,
        AssetTheme.lat,
        AssetTheme.area_column(level),
        [AssetTheme.theme_code == theme, AssetTheme.public == true()],
    )
    areas = session.execute(
        select(
            Area.id,
            Area.code,
            Area.name_en,
            Area.name_cy,
            Area.population,
            IndicatorValue.value,
            backend.x(Area.centroid),
            backend.y(Area.centroid),
        )
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(Area.level == level, IndicatorValue.indicator_code == indicator)
    ).all()
    return len(lon) + len(areas)
