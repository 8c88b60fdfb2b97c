"""How `assetmap serve` logs: one JSON object per line on stderr (python-json-logger), each
with its time, level, logger, message and the id of the request that caused it.

Access lines (logger `assetmap.access`) add method, route (the template, never its values),
status, duration_ms and request_id: nothing a person typed or a place they asked about.
"""

from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"

LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "app.http.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn adds its message again with terminal colour codes: not for a log file.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO"},
        "assetmap": {"handlers": ["stderr"], "level": "INFO"},
    },
}
