"""Asset and area files in and out: formats, checking, writing, mappings, exports."""
