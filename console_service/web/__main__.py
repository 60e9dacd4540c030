"""``python -m console_service.web``: serve the operator console (settings from env)."""

from shared.serve import serve

if __name__ == "__main__":
    serve(
        "console_service.web.app:create_app", "console", "CONSOLE_", "python -m console_service.web"
    )
