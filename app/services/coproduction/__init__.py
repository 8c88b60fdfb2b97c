"""Residents as co-producers: "I use this" (uses), "I can help" (offers) and "missing here"
(gaps and their supports). Who did which is never shown to anybody; only counts published by
the people rule (app/services/people/disclosure.py) leave these modules."""
