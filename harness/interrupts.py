"""Ctrl-C and SIGTERM for long runs: the first signal asks to stop, a grace period lets running
work finish writing, a second signal (or the end of the grace period) ends it at once.

Every long-running command of the harness (the grid runner, the supernet search, retraining)
runs inside ``stop_on_signals``: its loop checks ``stop.requested`` before starting new work and
raises ``Interrupted`` when it sees it; the CLI catches ``Interrupted``, prints one line (what is
done, and that rerunning the same command resumes) and exits with ``128 + signal`` (130 for
SIGINT, 143 for SIGTERM), as a shell reports a process ended by that signal. Results are written
atomically, so whatever is interrupted leaves no half-written file behind.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

GRACE_SECONDS = 10.0  # how long running jobs may go on after the first Ctrl-C / SIGTERM
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):  # noqa: N818 - a state, as KeyboardInterrupt is
    """The run was stopped by ``signum``; ``exit_code`` is what a shell expects (128 + it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass
class StopRequest:
    """Set by the first signal: ``requested`` tells a loop to start nothing new."""

    signum: int | None = None
    finished: bool = False  # the run is already ending: later signals are ignored

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def check(self) -> None:
        """Raise ``Interrupted`` if a stop was asked for (call it before starting new work)."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    def ending(self) -> None:
        """The run is cleaning up after ``Interrupted``: ignore further signals and the timer,
        so a late Ctrl-C cannot cut the cleanup short (which could leave workers behind)."""
        self.finished = True
        _cancel_timer()


@contextlib.contextmanager
def stop_on_signals(grace: float = GRACE_SECONDS, notice: str | None = None
                    ) -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM no longer raise ``KeyboardInterrupt`` or kill the
    process: the first sets ``stop.requested`` and, ``grace`` seconds later, raises
    ``Interrupted`` in the main thread (wherever it is: a job running in this process is
    abandoned, its temporary file removed by ``atomic_write``); a second signal raises it at
    once. ``notice``, when given, is printed to stderr at the first signal. Outside the main
    thread (where Python cannot handle signals) the block runs unchanged."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_signal(signum, _frame):
        if stop.finished:
            return
        if stop.signum is None:
            stop.signum = signum
            if notice:  # on a terminal, below the progress bar and the echoed ^C
                lead = "\n" if sys.stderr.isatty() else ""
                print(lead + notice, file=sys.stderr, flush=True)
            if grace > 0 and hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, grace)
                return
        raise Interrupted(stop.signum)

    def on_alarm(_signum, _frame):
        if not stop.finished and stop.signum is not None:
            raise Interrupted(stop.signum)

    previous = {s: signal.signal(s, on_signal) for s in SIGNALS}
    if hasattr(signal, "SIGALRM"):
        previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, on_alarm)
    stopped = False
    try:
        yield stop
    except Interrupted:
        stopped = True
        raise
    finally:
        _cancel_timer()
        for signum, handler in previous.items():
            # after a stop the process is ending: a late Ctrl-C must not turn its last lines
            # into a KeyboardInterrupt traceback, nor kill it during the interpreter's exit
            # (which resets Python-level handlers, but not SIG_IGN). restore_signals undoes
            # this in a session that goes on, e.g. the Python API in a notebook.
            signal.signal(signum, signal.SIG_IGN if stopped and signum in SIGNALS else handler)


def restore_signals() -> None:
    """Python's default handling of Ctrl-C and SIGTERM, for a process that goes on after a run
    was stopped (``stop_on_signals`` leaves them ignored, as a CLI then exits)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _cancel_timer() -> None:
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def reset_in_worker() -> None:
    """For a worker process forked from a runner: Ctrl-C (which a terminal sends to the whole
    process group) is ignored, because the runner decides when its workers end; SIGTERM and
    SIGALRM get their default actions back (a forked child inherits the runner's handlers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
