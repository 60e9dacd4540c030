"""The operator console on the web: server-rendered pages (Jinja2, htmx), scoped to each
user's jurisdiction in the query layer (:mod:`console_service.web.queries`)."""
