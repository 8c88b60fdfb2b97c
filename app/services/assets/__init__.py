"""The asset registry: records, themes, visibility, search, map layers, moderation, versions."""
