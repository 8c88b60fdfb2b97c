"""Every closed vocabulary of the service, in one place: asset kinds and statuses, area levels,
roles, days, accessibility features, report problems, consent methods and the statuses of
deficits, reports, introductions, offers and gaps. Models, schemas, pages and the API all take
them from here (database CHECK constraints, pydantic Literals, form choices, filters)."""

KINDS = ("skill", "volunteer", "group", "space", "organisation", "service", "business", "culture")
# People: only admins and the connectors of their patch see the records (DESIGN.md section 4).
PERSON_KINDS = ("skill", "volunteer")
# What anybody may see as records, suggest, and find on a map.
PUBLIC_KINDS = tuple(k for k in KINDS if k not in PERSON_KINDS)
STATUSES = ("pending", "published", "rejected", "archived")
WRITABLE_STATUSES = ("pending", "published", "rejected")
LEVELS = ("lsoa", "msoa", "ward", "local_authority", "custom")
ROLES = ("resident", "connector", "planner", "admin")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ACCESSIBILITY = (
    "step_free_access",
    "accessible_toilet",
    "hearing_loop",
    "blue_badge_parking",
    "assistance_dogs_welcome",
    "quiet_space",
    "large_print",
    "bsl_interpreter",
    "changing_places_toilet",
    "seating",
)
DEFICIT_STATUSES = ("open", "addressed")
PROBLEMS = ("closed", "wrong", "other")
REPORT_STATUSES = ("open", "resolved", "dismissed")
# How a connector recorded a person's consent (what the connector's forms offer)...
RECORDED_CONSENT_METHODS = ("written", "verbal", "online", "other")
# ...and every method held: "self-service" is a resident's own "I can help" offer, online.
CONSENT_METHODS = (*RECORDED_CONSENT_METHODS, "self-service")
INTRODUCTION_STATUSES = ("open", "done", "declined")
# Residents' own accounts: the language their email comes in, how often a connector's digest.
LANGUAGES = ("en", "cy")
DIGESTS = ("immediate", "daily", "off")
# "I can help": a resident's offer of time or a skill, until a connector decides.
OFFER_STATUSES = ("pending", "confirmed", "declined")
# "Missing here": a resident's gap, until a connector or planner of its patch decides.
GAP_STATUSES = ("pending", "published", "merged", "declined")
