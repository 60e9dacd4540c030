"""``python -m routing_service``: route reports and run escalation timers (settings from env)."""

from shared.serve import serve

if __name__ == "__main__":
    serve("routing_service.app:create_app", "routing", "ROUTING_")
