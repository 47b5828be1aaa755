"""Status lifecycles (CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE | CREATE FAILED) and the work behind them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from moto.moto_api import state_manager

MODEL_NAME = "personalize::resource"
PACED = {"progression": "manual", "times": 1}
IMMEDIATE = {"progression": "immediate"}
logger = logging.getLogger(__name__)
state_manager.register_default_transition(MODEL_NAME, transition=PACED)


class WorkFailed(Exception):
    """Raised by a resource's work to end it in CREATE FAILED with this failure reason."""


def set_progression(mode: Literal["immediate", "paced"]) -> None:
    """ "immediate": ACTIVE (or CREATE FAILED) at once; "paced": one status step per describe, like AWS."""
    if mode not in ("immediate", "paced"):
        raise ValueError(f"progression must be 'immediate' or 'paced', got {mode!r}")
    state_manager.set_transition(MODEL_NAME, IMMEDIATE if mode == "immediate" else PACED)


def is_immediate() -> bool:
    return state_manager.get_transition(MODEL_NAME)["progression"] == "immediate"


PACED_DESCRIBE_PAUSE = 0.2  # seconds a paced describe of unfinished work waits for it


class Lifecycle:
    """One status chain; `observe()` (a describe) may move it one step, `current()` never does (except immediate)."""

    def __init__(self, prefix: str = "CREATE", final: str = "ACTIVE") -> None:
        self.prefix = prefix
        self.final = final  # the status a chain that did not fail ends in: ACTIVE, or INACTIVE for STOP
        self.step = 0  # 0 PENDING, 1 IN_PROGRESS, 2 final
        self.failure_reason: str | None = None
        self.terminal: str | None = None  # e.g. CREATE STOPPING / CREATE STOPPED
        self.done = threading.Event()
        self.updated = time.time()
        self._ticks = 0
        self._moved = time.monotonic()

    def finish(self, failure_reason: str | None = None) -> None:
        self.failure_reason = failure_reason
        self.done.set()
        if is_immediate():  # settle now, so a later switch to "paced" does not walk it again
            self.current()

    def stop(self) -> None:
        """StopSolutionVersionCreation: CREATE STOPPING now, CREATE STOPPED at a later describe."""
        self.terminal = "CREATE STOPPING"
        self._ticks = 0
        self.updated = time.time()

    @property
    def status(self) -> str:
        if self.terminal:
            return self.terminal
        if self.step < 2:
            return f"{self.prefix} {'PENDING' if self.step == 0 else 'IN_PROGRESS'}"
        return self.final if self.failure_reason is None else f"{self.prefix} FAILED"

    @property
    def settled(self) -> bool:
        """True once the chain reached a final status (ACTIVE, ... FAILED, ... STOPPED)."""
        return self.current() in (self.final, f"{self.prefix} FAILED", "CREATE STOPPED")

    def _move(self) -> None:
        limit = 2 if self.done.is_set() else 1
        if self.step < limit:
            self.step += 1
            self.updated = time.time()
        if self.terminal == "CREATE STOPPING":
            self.terminal = "CREATE STOPPED"
            self.updated = time.time()

    def current(self) -> str:
        if is_immediate():
            while self.step < (2 if self.done.is_set() else 1) or self.terminal == "CREATE STOPPING":
                self._move()
        return self.status

    def observe(self, lock: threading.Condition | None = None) -> str:
        """A describe. `lock`: the store's, held by the caller; the paced pause releases it while it waits."""
        config = state_manager.get_transition(MODEL_NAME)
        kind = config["progression"]
        if kind == "immediate":
            return self.current()
        if self.step == 1 and not self.done.is_set():
            # Time passes between two describes on AWS: give the background work the CPU instead of a poller that
            # checks again at once (offline waits are 0 s), without holding a describe up for long. The store's lock
            # is released meanwhile: the work finishes under it (run_work), and other requests and work go on.
            if lock is None:
                self.done.wait(PACED_DESCRIBE_PAUSE)
            else:
                lock.wait_for(self.done.is_set, PACED_DESCRIBE_PAUSE)
        if kind == "manual" and self._ticks >= int(config.get("times", 1)):
            self._move()
            self._ticks = 0
        if kind == "time" and time.monotonic() - self._moved > float(config.get("seconds", 1)):
            self._move()
            self._moved = time.monotonic()
        self._ticks += 1
        return self.status


def run_work(lifecycle: Lifecycle, work: Callable[[], None], lock: threading.Condition) -> None:
    """Run `work` now (immediate) or in a daemon thread (paced); WorkFailed ends the lifecycle in FAILED. The end is
    recorded under the store's `lock`, and wakes the describes waiting for it."""

    def target() -> None:
        try:
            work()
            reason = None
        except WorkFailed as exc:
            reason = str(exc)
        except Exception as exc:  # a defect in the emulator or engine: surface it as the failure reason
            logger.exception("emulator work failed")
            reason = f"Internal emulator error: {type(exc).__name__}: {exc}"
        with lock:
            lifecycle.finish(reason)
            lock.notify_all()

    if is_immediate():
        target()
    else:
        threading.Thread(target=target, daemon=True, name="personalize-emulator-work").start()
