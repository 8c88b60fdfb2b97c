"""Request plumbing shared by the API (app/api) and the pages (app/web): dependencies (session,
settings, the caller), access rules and the session cookie, parsers of shared query
parameters, absolute links, response classes and the list-page responder (listing.py), and
the middleware (security headers, body size limit, access log, rate limits). Pages import from
here, never from app/api (a test walks the imports)."""
