"""The local stack behind ``scripts/stack.py``, split by what it starts.

- :mod:`.common`: progress messages, commands, process helpers, the lock, ``apt-get``.
- :mod:`.kafka`: the broker's jars from Maven Central, KRaft config, protocol probe, up/down.
- :mod:`.postgres`: cluster init, start/stop, role and database, ``DATABASE_URL``.

Standard library only: the system python3 runs it before the project's virtualenv exists.
``scripts/stack.py`` is the command line (argparse, ``status``, ``env``).
"""
