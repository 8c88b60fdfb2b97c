"""Output encodings, one module per format (like pygeoapi's formatter/): csv, geojson, json.

Pure functions over rows and features: no HTTP, no session. Services (file exports, map
downloads), schemas (column lists) and the HTTP layer (list pages) all encode through these.
"""
