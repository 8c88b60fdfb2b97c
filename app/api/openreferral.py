"""/openreferral: the published assets as Open Referral UK 3.0 (HSDS 3, UK profile), as the
profile's openapi.json describes: `/`, `/services`, `/services/{id}`, `/service_at_locations`,
`/service_at_locations/{id}`, `/taxonomies`, `/taxonomy_terms` (and one of each by id).

The same documents in Welsh (names and descriptions where held, taxonomy terms, accessibility
and day names) under /cy/openreferral, or at /openreferral with `Accept-Language: cy`. What is
published, and how asset kinds map to ORUK objects: app/services/openreferral/publish.py.
People (skill, volunteer) and pending or archived records never appear.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound, error_responses
from app.http.access import PUBLIC as PUBLIC_ACCESS
from app.http.deps import SessionDep, SettingsDep
from app.http.responses import JSONBody
from app.i18n import from_accept_language
from app.services.assets.records import Near, get_asset
from app.services.needs.postcodes import lookup_postcode
from app.services.openreferral import publish
from app.services.openreferral.publish import MAX_PER_PAGE, PER_PAGE, ServiceQuery, asset_of

PREFIXES = ("/openreferral", "/cy/openreferral")

Page = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PerPage = Annotated[
    int, Query(ge=1, le=MAX_PER_PAGE, description=f"Items per page (at most {MAX_PER_PAGE}).")
]
Text = Annotated[
    str | None, Query(max_length=200, description="Words the name or description holds.")
]
TermId = Annotated[
    str | None, Query(max_length=36, description="Only services with this taxonomy term.")
]
TaxonomyId = Annotated[
    str | None, Query(max_length=36, description="Only services with a term of this taxonomy.")
]
ObjectId = Annotated[str, Path(max_length=36, description="The object's UUID.")]


def document_language(request: Request) -> str:
    """cy under /cy/openreferral, else from Accept-Language (English by default)."""
    if request.url.path.startswith("/cy/"):
        return "cy"
    return from_accept_language(request.headers.get("accept-language")) or "en"


def answer(request: Request, document: Any) -> JSONBody:
    """The document as JSON; at /openreferral its language came from Accept-Language."""
    response = JSONBody(document)
    if not request.url.path.startswith("/cy/"):
        response.headers["Vary"] = "Accept-Language"
    return response


Lang = Annotated[str, Depends(document_language)]


def _query(
    *,
    text: str | None,
    search: str | None,
    taxonomy_term_id: str | None,
    taxonomy_id: str | None,
    page: int,
    per_page: int,
    near: Near | None = None,
) -> ServiceQuery:
    return ServiceQuery(
        text=text if text is not None else search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        near=near,
        page=page,
        per_page=per_page,
    )


def _found(session: Session, query: ServiceQuery, lang: str) -> tuple[Any, dict[str, Any]]:
    names = publish.names_by_code(session, lang)
    try:
        return publish.find(session, query, names), names
    except publish.UnknownTerm as exc:
        raise InvalidInput(("query", str(exc)), f"no {exc} here has this id") from None


def _one(session: Session, kind: str, object_id: str) -> Any:
    asset_id = asset_of(kind, object_id)
    if asset_id is None:
        raise NotFound(f"no {kind} {object_id!r}")
    try:
        return get_asset(session, viewer=publish.PUBLIC, asset_id=asset_id)
    except NotFound:
        raise NotFound(f"no {kind} {object_id!r}") from None


def _routes(prefix: str) -> APIRouter:
    router = APIRouter(
        prefix=prefix,
        tags=["open referral"],
        dependencies=[Depends(PUBLIC_ACCESS)],
        include_in_schema=not prefix.startswith("/cy"),
    )

    @router.get("/", summary="Open Referral UK: about this API")
    def root(request: Request) -> Any:
        """The HSDS version and profile this API follows."""
        return answer(
            request,
            {
                "version": publish.VERSION,
                "profile": publish.PROFILE,
                "openapi_url": publish.OPENAPI_URL,
            },
        )

    @router.get(
        "/services",
        summary="Open Referral UK: services",
    )
    def services(
        request: Request,
        session: SessionDep,
        lang: Lang,
        text: Text = None,
        search: Text = None,
        taxonomy_term_id: TermId = None,
        taxonomy_id: TaxonomyId = None,
        page: Page = 1,
        per_page: PerPage = PER_PAGE,
    ) -> Any:
        """A page of services (published assets), by id; `text` (or `search`) matches names
        and descriptions in either language and theme words."""
        query = _query(
            text=text,
            search=search,
            taxonomy_term_id=taxonomy_term_id,
            taxonomy_id=taxonomy_id,
            page=page,
            per_page=per_page,
        )
        found, _names = _found(session, query, lang)
        contents = [publish.service_summary(r, lang) for r in found.records]
        return answer(request, publish.page_document(found, query, contents))

    @router.get(
        "/services/{id}",
        summary="Open Referral UK: one service, fully nested",
        responses=error_responses(404),
    )
    def service(request: Request, session: SessionDep, lang: Lang, id: ObjectId) -> Any:
        """A service with its organization, location, schedules, languages, accessibility,
        phones, service areas and taxonomy terms."""
        record = _one(session, "service", id)
        names = publish.names_by_code(session, lang)
        return answer(request, publish.service_document(record, lang, names))

    @router.get(
        "/service_at_locations",
        summary="Open Referral UK: services at locations",
    )
    def service_at_locations(
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        lang: Lang,
        text: Text = None,
        search: Text = None,
        taxonomy_term_id: TermId = None,
        taxonomy_id: TaxonomyId = None,
        postcode: Annotated[
            str | None, Query(max_length=10, description="Nearest first, from its centre.")
        ] = None,
        proximity: Annotated[
            float | None,
            Query(gt=0, description="With postcode: only within this many metres."),
        ] = None,
        page: Page = 1,
        per_page: PerPage = PER_PAGE,
    ) -> Any:
        """A page of services at their locations; with `postcode`, nearest first (within
        `proximity` metres, or the largest radius the service allows)."""
        near = None
        if proximity is not None and postcode is None:
            raise InvalidInput(("query", "proximity"), "proximity needs a postcode")
        if postcode is not None:
            try:
                found_postcode = lookup_postcode(session, postcode)
            except ValueError:
                raise InvalidInput(("query", "postcode"), "not a UK postcode") from None
            except NotFound:
                raise InvalidInput(("query", "postcode"), "this postcode is not held") from None
            radius = proximity if proximity is not None else settings.max_radius_m
            if radius > settings.max_radius_m:
                raise InvalidInput(
                    ("query", "proximity"), f"at most {settings.max_radius_m:g} metres"
                )
            near = Near(found_postcode.lon, found_postcode.lat, radius)
        query = _query(
            text=text,
            search=search,
            taxonomy_term_id=taxonomy_term_id,
            taxonomy_id=taxonomy_id,
            page=page,
            per_page=per_page,
            near=near,
        )
        found, names = _found(session, query, lang)
        contents = [
            publish.service_at_location_document(r, lang, names, full=False) for r in found.records
        ]
        return answer(request, publish.page_document(found, query, contents))

    @router.get(
        "/service_at_locations/{id}",
        summary="Open Referral UK: one service at its location",
        responses=error_responses(404),
    )
    def service_at_location(request: Request, session: SessionDep, lang: Lang, id: ObjectId) -> Any:
        """A service at its location, the service fully nested."""
        record = _one(session, "service_at_location", id)
        names = publish.names_by_code(session, lang)
        return answer(request, publish.service_at_location_document(record, lang, names, full=True))

    @router.get("/taxonomies", summary="Open Referral UK: taxonomies")
    def taxonomies(
        request: Request, lang: Lang, page: Page = 1, per_page: PerPage = PER_PAGE
    ) -> Any:
        """The two taxonomies: themes and asset kinds."""
        items = publish.taxonomies(lang)
        return answer(request, publish.paged(items, page, per_page))

    @router.get(
        "/taxonomies/{id}",
        summary="Open Referral UK: one taxonomy",
        responses=error_responses(404),
    )
    def taxonomy(request: Request, lang: Lang, id: ObjectId) -> Any:
        """One taxonomy."""
        for item in publish.taxonomies(lang):
            if item["id"] == id.lower():
                return answer(request, item)
        raise NotFound(f"no taxonomy {id!r}")

    @router.get("/taxonomy_terms", summary="Open Referral UK: taxonomy terms")
    def taxonomy_terms(
        request: Request,
        session: SessionDep,
        lang: Lang,
        page: Page = 1,
        per_page: PerPage = PER_PAGE,
    ) -> Any:
        """Every term: the themes, then the asset kinds."""
        items = [publish.term_document(t, lang) for t in publish.terms(session, lang)]
        return answer(request, publish.paged(items, page, per_page))

    @router.get(
        "/taxonomy_terms/{id}",
        summary="Open Referral UK: one taxonomy term",
        responses=error_responses(404),
    )
    def taxonomy_term(request: Request, session: SessionDep, lang: Lang, id: ObjectId) -> Any:
        """One term."""
        for term in publish.terms(session, lang):
            if term.id == id.lower():
                return answer(request, publish.term_document(term, lang))
        raise NotFound(f"no taxonomy term {id!r}")

    return router


routers = [_routes(prefix) for prefix in PREFIXES]
