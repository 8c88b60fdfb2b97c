"""The gazetteer: places people know by name, outcodes, and the place an area is near."""
