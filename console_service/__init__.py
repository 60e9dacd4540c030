"""The operators' console: today the ``timpora`` command line, later a web UI.

It calls the services' public functions (their ``store`` modules, ``routing_service.explain``)
and writes no table itself; ``shared/`` stays a leaf that imports no service.
"""
