"""The emulator's one clock, for everything AWS does on a timetable: EventBridge schedules fire on
it, CloudWatch timestamps the metrics it is sent with it and evaluates alarms on it.

It is the wall clock, sped up by ``SFN_TUTORIAL_TIME_FACTOR`` (default 1), plus an offset that
``POST /_tutorial/clock`` (``{"advance_seconds": N}``) moves forward, so that a notebook or a
test need not sit for minutes waiting for a schedule or an alarm: whatever falls due on the way
happens at once, at the time it would have. A thread ticks once a second and lets each timetable
(``register()``) do what is due.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from typing import Protocol

CLOCK_PATH = "/_tutorial/clock"
TICK_S = 1.0


class Timetable(Protocol):
    """Something that happens on the clock: ``due(now)`` does what is due and says what it did
    (a list of JSON-able records); ``name`` is its key in the clock's answer."""

    name: str

    def due(self, now: datetime.datetime) -> list: ...


class Clock:
    """Wall time times ``factor``, plus an ``offset`` (seconds)."""

    def __init__(self, factor: float = 1.0):
        self.factor = factor
        self.offset = 0.0
        self._origin = time.time()

    def timestamp(self) -> float:
        """The current emulated time, in seconds since 1970."""
        return self._origin + (time.time() - self._origin) * self.factor + self.offset

    def now(self) -> datetime.datetime:
        """The current emulated time (UTC)."""
        return datetime.datetime.fromtimestamp(self.timestamp(), datetime.timezone.utc)


CLOCK = Clock(float(os.environ.get("SFN_TUTORIAL_TIME_FACTOR", "1") or 1))
_timetables: list[Timetable] = []
_lock = threading.Lock()
_thread: threading.Thread | None = None


def now() -> datetime.datetime:
    """The emulator's current time (UTC)."""
    return CLOCK.now()


def register(timetable: Timetable) -> None:
    """Let ``timetable`` act on the clock; the ticking thread starts with the first one."""
    global _thread
    with _lock:
        if timetable not in _timetables:
            _timetables.append(timetable)
        if _thread is None:
            _thread = threading.Thread(target=_run, name="clock", daemon=True)
            _thread.start()


def _run() -> None:
    while True:
        time.sleep(TICK_S)
        tick()


def tick() -> dict:
    """Let every timetable do what is due now; what each did, by name."""
    with _lock:
        return _due_locked()


def _due_locked() -> dict:
    done: dict[str, list] = {}
    moment = CLOCK.now()
    for timetable in list(_timetables):
        try:
            done.setdefault(timetable.name, []).extend(timetable.due(moment))
        except Exception as error:  # keep the clock going whatever a timetable holds
            print(f"[clock] {timetable.name}: {error!r}", flush=True)
    return done


def advance(seconds: float) -> dict:
    """Move the clock forward by ``seconds``, doing what falls due on the way; what was done."""
    with _lock:
        before = _due_locked()  # what was created just now starts from the current time
        CLOCK.offset += seconds
        after = _due_locked()
    return {name: before.get(name, []) + after.get(name, []) for name in {*before, *after}}


def clock_app(environ, start_response):
    """``GET /_tutorial/clock``: the emulated time. ``POST`` with ``{"advance_seconds": N}``:
    move it forward and do what falls due at once; the answer says what was done (``fired``:
    the schedules that fired; ``alarms``: the alarms' evaluations)."""
    body: dict = {}
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        body.update(advance(float(request.get("advance_seconds", 0))))
    body.update(now=CLOCK.now().isoformat(), factor=CLOCK.factor)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
