"""Several wkhtmltopdf runs at once, from one transaction.

Odoo renders a PDF in one call: the report's HTML (QWeb, on the database),
then wkhtmltopdf (a child process, most of the time), then the split of its
output per record. Each job here is such a call, run in its own thread. The
threads take turns on the database (the cursor is not thread-safe): a job
holds the turn except while its wkhtmltopdf runs (``ir.actions.report``
gives it back in ``_build_wkhtmltopdf_args``, its last database access
before the process, and takes it again when ``_run_wkhtmltopdf`` returns),
and the caller waits, without using the database, until every job has
ended. So up to ``width`` wkhtmltopdf processes run on as many cores while
another chunk's HTML is rendered.
"""

import collections
import threading

_job = threading.local()


def release_turn():
    """The current job no longer needs the database (its wkhtmltopdf starts)."""
    job = getattr(_job, "job", None)
    if job is not None and job.has_turn:
        job.release()


def take_turn():
    """The current job needs the database again."""
    job = getattr(_job, "job", None)
    if job is not None and not job.has_turn:
        job.acquire()


class _Job(threading.Thread):
    def __init__(self, function, turn, lock):
        parent = threading.current_thread()
        super().__init__(name=f"{parent.name}-pdf", daemon=True)
        # What Odoo's logging and query counters read on the current thread.
        for attribute in ("dbname", "uid", "url"):
            if hasattr(parent, attribute):
                setattr(self, attribute, getattr(parent, attribute))
        self.function = function
        self.turn = turn
        self.lock = lock
        self.has_turn = False
        self.started_rendering = threading.Event()
        self.value = self.error = None

    def acquire(self):
        self.turn.acquire()
        if self.lock is not None:
            self.lock.acquire()
        self.has_turn = True

    def release(self):
        self.has_turn = False
        if self.lock is not None:
            self.lock.release()
        self.turn.release()
        self.started_rendering.set()

    def run(self):
        _job.job = self
        try:
            self.acquire()
            self.value = self.function()
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc
        finally:
            if self.has_turn:
                self.release()
            self.started_rendering.set()
            _job.job = None

    def result(self):
        self.join()
        if self.error is not None:
            raise self.error
        return self.value


def run_concurrently(functions, width=2, lock=None):
    """``function()`` of each of ``functions``, up to ``width`` at once
    (taking turns on the database, see the module).

    :param lock: also held with the turn; in test mode, the registry's lock,
        under which the test server's threads (serving wkhtmltopdf the
        report's CSS) use the test's one cursor
    :return: the results, in the order of ``functions``
    """
    if width <= 1 or len(functions) <= 1:
        return [function() for function in functions]
    turn = threading.Lock()
    results, running = [], collections.deque()
    try:
        for function in functions:
            if len(running) >= width:
                results.append(running.popleft().result())
            job = _Job(function, turn, lock)
            job.start()
            running.append(job)
            # The next one starts once this one's wkhtmltopdf runs.
            job.started_rendering.wait()
            if job.error is not None:
                break
        while running:
            results.append(running.popleft().result())
    finally:
        for job in running:  # after an error: let the others end first
            job.join()
    return results
