"""What /ogc returns: landing page, conformance, collections and its own OpenAPI 3.0 document."""

import copy
from typing import Any

from pydantic import BaseModel, Field

from app.spatial import BBox

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_27700_URI = "http://www.opengis.net/def/crs/EPSG/0/27700"
CONFORMANCE_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
SCHEMA_JSON = "application/schema+json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
JSON = "application/json"
WORLD = BBox(-180.0, -90.0, 180.0, 90.0)

# Page sizes of /items. GDAL (3.8+) reads `maximum` and `default` of the `limit` parameter from
# the API definition; without them older clients page by 10 (1,003 requests for 10k features).
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


class Link(BaseModel):
    """A link to a related resource."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class OgcException(BaseModel):
    """An OGC API exception (every error of /ogc): a code and what went wrong, in words."""

    code: str
    description: str


class LandingPage(BaseModel):
    """The OGC API landing page: what the service is, and links to everything else."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The conformance classes this API implements."""

    conformsTo: list[str]


class SpatialExtent(BaseModel):
    """Bounding boxes (minlon, minlat, maxlon, maxlat) in CRS84."""

    bbox: list[list[float]]
    crs: str = CRS84


class Extent(BaseModel):
    """The extent of a collection (spatial only: assets have no temporal extent)."""

    spatial: SpatialExtent


class Collection(BaseModel):
    """One feature collection."""

    id: str
    title: str
    description: str
    links: list[Link]
    extent: Extent
    itemType: str = "feature"
    crs: list[str] = Field(default_factory=lambda: [CRS84, EPSG_27700_URI])
    storageCrs: str = CRS84


class Collections(BaseModel):
    """The feature collections this API offers."""

    links: list[Link]
    collections: list[Collection]


def link(
    href: str, rel: str, media_type: str | None = JSON, title: str | None = None
) -> dict[str, Any]:
    """A link object (type and title left out when not given)."""
    value: dict[str, Any] = {"href": href, "rel": rel}
    if media_type:
        value["type"] = media_type
    if title:
        value["title"] = title
    return value


def collection_document(
    *,
    collection_id: str,
    title: str,
    description: str,
    collection_url: str,
    extent: BBox | None,
    items_query: str = "",
) -> dict[str, Any]:
    """A collection: what it holds, its extent (CRS84), the CRSs it answers in, its links
    (`items_query`: a query string its items link carries, e.g. one analysis's parameters)."""
    box = extent or WORLD
    items = f"{collection_url}/items" + (f"?{items_query}" if items_query else "")
    return {
        "id": collection_id,
        "title": title,
        "description": description,
        "links": [
            link(collection_url, "self", JSON, "This collection"),
            link(items, "items", GEOJSON, f"{title} as GeoJSON"),
            link(
                f"{collection_url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "What the items can be filtered by",
            ),
        ],
        "extent": {"spatial": {"bbox": [[box.minx, box.miny, box.maxx, box.maxy]], "crs": CRS84}},
        "itemType": "feature",
        "crs": [CRS84, EPSG_27700_URI],
        "storageCrs": CRS84,
    }


# ---- the OGC API's own OpenAPI document --------------------------------------------------------

LIMIT_PARAMETER = {
    "name": "limit",
    "in": "query",
    "required": False,
    "style": "form",
    "explode": False,
    "description": (
        f"How many features a page holds (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}; "
        "a larger value is treated as the maximum). Follow the `next` link for more."
    ),
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
}


def ogc_openapi(
    app_doc: dict[str, Any],
    *,
    prefix: str,
    server_url: str,
    filters: dict[str, frozenset[str]],
    all_filters: frozenset[str],
) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the OGC API mounted at `prefix`, from the app's own document.

    OGC clients look operations up by path relative to the landing page (GDAL looks for
    `/collections/{id}/items`), so paths are re-rooted at `server_url`, one per collection, and
    `limit` is a `#/components/parameters/limit` reference declaring its maximum. Each
    collection's paths keep only its own filters (`filters`, of `all_filters`): GDAL pushes a
    filter to the server for every query parameter named like a property of the layer.
    """
    paths: dict[str, Any] = {}
    for path, item in app_doc.get("paths", {}).items():
        if path != prefix and not path.startswith(prefix + "/"):
            continue
        local = path[len(prefix) :] or "/"
        if "{collectionId}" in local:
            for collection_id, own in filters.items():
                key = local.replace("{collectionId}", collection_id)
                paths[key] = _for_collection(item, collection_id, all_filters - own)
        else:
            paths[local] = _for_collection(item, None, frozenset())
    components = app_doc.get("components", {}).get("schemas", {})
    doc = {
        "openapi": "3.0.3",
        "info": {
            "title": f"{app_doc.get('info', {}).get('title', 'API')}: OGC API - Features",
            "version": app_doc.get("info", {}).get("version", "0"),
            "description": "Community assets, small areas and reported service deficits as OGC "
            "API - Features (Part 1: Core, GeoJSON; Part 2: CRS; Part 3: queryables).",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {name: components[name] for name in _schemas_used(paths, components)},
            "parameters": {"limit": LIMIT_PARAMETER},
        },
    }
    return _oas30(doc)


def _for_collection(
    item: dict[str, Any], collection_id: str | None, others: frozenset[str]
) -> dict[str, Any]:
    item = copy.deepcopy(item)
    for operation in item.values():
        if not isinstance(operation, dict):
            continue
        parameters = []
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("name") == "collectionId":
                continue
            if parameter.get("in") == "query" and parameter.get("name") in others:
                continue  # another collection's filter
            if parameter.get("in") == "query" and parameter.get("name") == "limit":
                parameter = {"$ref": "#/components/parameters/limit"}
            parameters.append(parameter)
        if "parameters" in operation:
            operation["parameters"] = parameters
        if collection_id and "operationId" in operation:
            operation["operationId"] = f"{operation['operationId']}_{collection_id}"
    return item


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _schemas_used(paths: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    prefix = "#/components/schemas/"
    todo = [r[len(prefix) :] for r in _refs(paths) if r.startswith(prefix)]
    seen: list[str] = []
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.append(name)
        todo += [r[len(prefix) :] for r in _refs(schemas[name]) if r.startswith(prefix)]
    return sorted(seen)


def _oas30(node: Any) -> Any:
    """Rewrite the JSON Schema 2020-12 idioms FastAPI emits (OpenAPI 3.1) as OpenAPI 3.0."""
    if isinstance(node, list):
        return [_oas30(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _oas30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            if len(rest) == 1 and "$ref" not in rest[0]:
                node = {**rest[0], **node}
            elif len(rest) == 1:
                node["allOf"] = rest
            else:
                node[key] = rest
            node["nullable"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("type"), list):
        types = node["type"]
        node["type"] = next((t for t in types if t != "null"), "string")
        if "null" in types:
            node["nullable"] = True
    if isinstance(node.get("examples"), list):
        # A list of examples is 3.1 schema style; 3.0 schemas have one `example`.
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node.get(bound), bool):
            node[flag] = node[bound]
            node[bound] = True
    return node
