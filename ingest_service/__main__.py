"""``python -m ingest_service``: serve the ingest API and consumer (settings from env)."""

from shared.serve import serve

if __name__ == "__main__":
    serve("ingest_service.app:create_app", "ingest", "INGEST_")
