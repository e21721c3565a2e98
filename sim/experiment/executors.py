"""Executors: where runs are computed, behind one small interface.

An executor takes tasks and yields their outcomes as they finish, in any
order; it never writes results (the runner does, in the main process).

- ``serial``: in this process, one run after another (debugging, tests).
- ``processes`` (default): the standard library's process pool with an
  explicit spawn context, one worker per core. A worker that dies (killed,
  out of memory) breaks the whole stdlib pool (measured), so the
  pool is rebuilt and the unfinished runs resubmitted. Which run killed it is
  unknown while several were in flight, so those runs are retried one at a
  time; a run that kills its worker ``max_deaths`` times on its own is
  recorded as failed.
- ``dask``: a Dask ``LocalCluster`` on this machine, or a running scheduler
  (``--scheduler ADDRESS``, e.g. one started by dask-jobqueue on Slurm). Dask
  isolates a dead worker by itself and reports a run that keeps killing
  workers as ``KilledWorker``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .worker import RunOutcome, RunTask, lost, simulate

Simulate = Callable[[RunTask], RunOutcome]

EXECUTORS = ("processes", "serial", "dask")


def default_workers() -> int:
    """One worker per core this process may use (a Slurm allocation or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ExecutorUnavailable(RuntimeError):
    """The executor cannot be used here (a missing optional package, no scheduler)."""


TICK = 1.0
"""Seconds between the ``None`` an executor yields while no run finishes."""


class Executor:
    """Computes runs and yields their outcomes as they finish.

    ``outcomes`` may also yield ``None`` while nothing finishes (about every
    ``TICK`` seconds), so the caller can commit buffered results and show
    progress during long runs.
    """

    name = "executor"
    workers = 1
    ticks = True  # yields None while runs go on; False: nothing comes back until a run ends

    def outcomes(self, tasks: Iterable[RunTask], run: Simulate = simulate) -> Iterator[RunOutcome | None]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop workers; unfinished runs are simply not reported."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialExecutor(Executor):
    name = "serial"
    ticks = False

    def outcomes(self, tasks: Iterable[RunTask], run: Simulate = simulate) -> Iterator[RunOutcome | None]:
        for task in tasks:
            yield run(task)


# ---------------------------------------------------------------- processes
def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(parent: int) -> None:
    """In each worker: leave Ctrl-C to the main process, and exit if it dies.

    Without the watch, workers of a main process killed with SIGKILL would
    wait on the pool's queue forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


class _QuietSpawnProcess(multiprocessing.context.SpawnProcess):
    """A spawned process that starts with Ctrl-C already ignored.

    ``_init_worker`` ignores it too, but only once the worker has imported
    the package (seconds on a busy machine): a Ctrl-C before then printed
    one traceback per worker. An ignored signal stays ignored in the child,
    and Python keeps it so. The parent ignores Ctrl-C only while it starts
    the process (milliseconds), and only from the main thread, where
    signal handlers can be set.
    """

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return super().start()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().start()
        finally:
            signal.signal(signal.SIGINT, previous)


class QuietSpawnContext(multiprocessing.context.SpawnContext):
    """The spawn context, with workers deaf to Ctrl-C from their first instant (see _QuietSpawnProcess)."""

    Process = _QuietSpawnProcess


def describe_exit(exitcodes: list[int | None]) -> str:
    """How a worker died, from the exit codes of the pool's processes."""
    codes = [c for c in exitcodes if c not in (None, 0)]
    # The pool terminates the surviving workers when one dies: prefer the other code.
    codes.sort(key=lambda c: c == -signal.SIGTERM)
    if not codes:
        return "it was killed or ran out of memory"
    code = codes[0]
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exit code {code}"


class ProcessExecutor(Executor):
    name = "processes"

    def __init__(self, workers: int | None = None, max_deaths: int = 2) -> None:
        self.workers = workers or default_workers()
        self.max_deaths = max_deaths
        self.context = QuietSpawnContext()
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=_init_worker, initargs=(os.getpid(),))

    def _processes(self) -> list:
        # The pool keeps its worker processes in a private dict; reading it is
        # the only way to learn how a worker died (and to stop them quickly).
        return list((getattr(self._pool, "_processes", None) or {}).values())

    def _stop(self) -> None:
        """Shut the pool down now, stopping its workers mid-run."""
        if self._pool is None:
            return
        for process in self._processes():
            if process.exitcode is None:
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def close(self) -> None:
        self._stop()

    def outcomes(self, tasks: Iterable[RunTask], run: Simulate = simulate) -> Iterator[RunOutcome | None]:
        waiting = deque(tasks)
        suspects: deque[RunTask] = deque()  # in flight when a pool broke; retried alone
        deaths: Counter[str] = Counter()  # worker deaths while a task ran alone
        running: dict[Future, RunTask] = {}
        workers: list = []  # the current pool's processes, to learn how one died
        try:
            while waiting or suspects or running:
                if self._pool is None:
                    self._pool = self._start()
                if suspects:
                    if not running:  # alone, so that a death points at this run
                        task = suspects.popleft()
                        running[self._pool.submit(run, task)] = task
                else:
                    while waiting and len(running) < 2 * self.workers:
                        task = waiting.popleft()
                        running[self._pool.submit(run, task)] = task
                workers = self._processes() or workers
                done, _ = wait(running, timeout=TICK, return_when=FIRST_COMPLETED)
                if not done:
                    yield None
                    continue
                if not any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    for future in done:
                        yield self._outcome(future, running.pop(future))
                    continue
                # The pool is broken: keep what finished, rerun the rest.
                unfinished = []
                for future, task in list(running.items()):
                    if future.done() and not isinstance(future.exception(), BrokenProcessPool):
                        yield self._outcome(future, task)
                    else:
                        unfinished.append(task)
                running.clear()
                self._stop()  # joins the workers, so their exit codes are known
                why = describe_exit([p.exitcode for p in workers])
                workers = []
                if len(unfinished) == 1:
                    task = unfinished[0]
                    deaths[task.key] += 1
                    if deaths[task.key] >= self.max_deaths:
                        yield lost(task, f"its worker process died {deaths[task.key]} times while running it alone ({why})")
                        continue
                    suspects.appendleft(task)
                else:
                    suspects.extend(unfinished)
        finally:
            self._stop()

    @staticmethod
    def _outcome(future: Future, task: RunTask) -> RunOutcome:
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            # The worker's own traceback travels as the exception's cause.
            return lost(task, "the run could not travel to or from its worker:\n" + "".join(traceback.format_exception(exc)))


# ---------------------------------------------------------------- dask
class DaskExecutor(Executor):
    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, max_deaths: int = 2) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ExecutorUnavailable("the dask executor needs the optional Dask packages: pip install 'govsim[dask]'") from None
        self.workers = workers or default_workers()
        self.scheduler = scheduler
        self.max_deaths = max_deaths
        self.client = None
        self.cluster = None
        self._capacity = (0.0, 2 * self.workers)
        if scheduler:
            self._connect()  # an unreachable scheduler is reported before anything is written

    def _connect(self):
        import logging

        import dask
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self.client
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
            return self.client
        # A run that kills its worker is retried once, then reported (KilledWorker).
        # Each worker holds only the run it is computing (saturation 1): Dask counts a
        # death against every run assigned to the worker, so a run merely queued behind
        # the culprit could otherwise be reported as a killer too.
        settings = {"distributed.scheduler.allowed-failures": self.max_deaths - 1, "distributed.scheduler.worker-saturation": 1.0}
        with dask.config.set(settings):
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
        self.client = Client(self.cluster)
        return self.client

    def capacity(self) -> int:
        """Runs to keep in flight: twice the cluster's threads (it may grow or shrink)."""
        checked, value = self._capacity
        if time.monotonic() - checked > 5:
            threads = sum(self.client.nthreads().values()) if self.client else 0
            value = max(2 * threads, 2)
            self._capacity = (time.monotonic(), value)
        return value

    def outcomes(self, tasks: Iterable[RunTask], run: Simulate = simulate) -> Iterator[RunOutcome | None]:
        from distributed import wait as wait_any
        from distributed.scheduler import KilledWorker

        client = self._connect()
        pending = iter(tasks)
        running: dict = {}
        while True:
            while len(running) < self.capacity():
                task = next(pending, None)
                if task is None:
                    break
                running[client.submit(run, task, key=f"govsim-run-{task.key}", pure=False)] = task
            if not running:
                return
            try:
                wait_any(list(running), timeout=TICK, return_when="FIRST_COMPLETED")
            except TimeoutError:
                yield None
                continue
            for future in [f for f in running if f.done()]:
                task = running.pop(future)
                try:
                    outcome = future.result()
                except KilledWorker as exc:
                    outcome = lost(task, f"its Dask worker died each time it ran it ({exc})")
                except Exception as exc:  # noqa: BLE001 - cancelled, lost scheduler, ...
                    outcome = lost(task, f"Dask could not run it: {exc!r}")
                future.release()
                yield outcome

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None


def make_executor(kind: str, workers: int | None = None, scheduler: str | None = None) -> Executor:
    if scheduler or kind == "dask":
        return DaskExecutor(workers, scheduler)
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    raise ExecutorUnavailable(f"unknown executor {kind!r}; choose from {', '.join(EXECUTORS)}")
