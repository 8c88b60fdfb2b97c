"""Need beside the assets: areas, postcodes, indicators, deficits, gap analysis, profiles."""
