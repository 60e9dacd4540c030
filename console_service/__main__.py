"""``python -m console_service``: the ``timpora`` operator command line."""

from console_service.cli import main

if __name__ == "__main__":
    main()
