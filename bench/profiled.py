"""Run a service module with cProfile switched on and off by signals, so a profile covers
one load phase and not the start-up (imports, migrations, consumer join).

  python -m bench.profiled OUT_PREFIX routing_service --port 8082

``SIGUSR1`` starts a profile; ``SIGUSR2`` stops it and writes ``OUT_PREFIX.<n>.prof``
(n = 1, 2, ...). Everything else is the service's own ``python -m`` entry point.
The harness uses it for ``python -m bench --profile routing,notify``.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys
import traceback
from types import FrameType


class SignalProfiler:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.profile: cProfile.Profile | None = None
        self.count = 0

    def start(self, _signum: int, _frame: FrameType | None) -> None:
        if self.profile is None:
            self.profile = cProfile.Profile()
            self.profile.enable()
            print("bench.profiled: profile started", file=sys.stderr, flush=True)

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        profile, self.profile = self.profile, None  # a SIGUSR1 during the dump starts anew
        if profile is None:
            return
        profile.disable()
        self.count += 1
        path = f"{self.prefix}.{self.count}.prof"
        print(f"bench.profiled: writing {path}", file=sys.stderr, flush=True)
        try:
            profile.dump_stats(path + ".tmp")
            os.replace(path + ".tmp", path)  # appears complete or not at all
        except BaseException:  # never let a profiling problem escape into the service
            traceback.print_exc()


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit("usage: python -m bench.profiled OUT_PREFIX MODULE [ARGS...]")
    prefix, module, *args = sys.argv[1:]
    profiler = SignalProfiler(prefix)
    signal.signal(signal.SIGUSR1, profiler.start)
    signal.signal(signal.SIGUSR2, profiler.stop)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
