"""Several wkhtmltopdf runs at once, from one transaction.

Odoo renders a PDF in one call: the report's HTML (QWeb, on the database),
then wkhtmltopdf (a child process, most of the time). Each job here is such a
call, run in its own thread; the threads take turns on the database: a job
has the turn from its start until its wkhtmltopdf is about to start
(``release_turn``, called from ``ir.actions.report._build_wkhtmltopdf_args``,
the last database access before it) or until it ends. The next job only
starts then, and the caller waits until every job has ended, so the cursor,
which is not thread-safe, is never used by two threads at once, while up to
``width`` wkhtmltopdf processes run on as many cores and the next chunk's
HTML is rendered meanwhile.
"""

import collections
import threading

_turn = threading.local()


def release_turn():
    """Called by a job when it no longer needs the database."""
    release = getattr(_turn, "release", None)
    if release is not None:
        _turn.release = None
        release()


class _Job(threading.Thread):
    def __init__(self, function, lock):
        parent = threading.current_thread()
        super().__init__(name=f"{parent.name}-pdf", daemon=True)
        # What Odoo's logging and query counters read on the current thread.
        for attribute in ("dbname", "uid", "url"):
            if hasattr(parent, attribute):
                setattr(self, attribute, getattr(parent, attribute))
        self.function = function
        self.lock = lock
        self.turn = threading.Event()
        self.value = self.error = None

    def run(self):
        if self.lock is not None:
            self.lock.acquire()
        _turn.release = self._release
        try:
            self.value = self.function()
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc
        finally:
            release_turn()

    def _release(self):
        if self.lock is not None:
            self.lock.release()
        self.turn.set()

    def result(self):
        self.join()
        if self.error is not None:
            raise self.error
        return self.value


def run_concurrently(functions, width=2, lock=None):
    """``function()`` of each of ``functions``, up to ``width`` at once
    (taking turns on the database, see the module).

    :param lock: also held by a job while it has the turn; in test mode, the
        registry's lock, under which the test server's threads (serving
        wkhtmltopdf the report's CSS) use the test's one cursor
    :return: the results, in the order of ``functions``
    """
    if width <= 1 or len(functions) <= 1:
        return [function() for function in functions]
    results, running = [], collections.deque()
    try:
        for function in functions:
            if len(running) >= width:
                results.append(running.popleft().result())
            job = _Job(function, lock)
            job.start()
            running.append(job)
            job.turn.wait()
            if job.error is not None:
                break
        while running:
            results.append(running.popleft().result())
    finally:
        for job in running:  # after an error: let the others end first
            job.join()
    return results
