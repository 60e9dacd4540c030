"""``python -m notify_service``: serve deliveries and the ack endpoints (settings from env)."""

from shared.serve import serve

if __name__ == "__main__":
    serve("notify_service.app:create_app", "notify", "NOTIFY_")
