"""Several wkhtmltopdf runs at once, from one transaction.

Odoo renders a PDF in one call: the report's HTML (QWeb, on the database),
then wkhtmltopdf (a child process, most of the time). Each job here is such a
call, run in its own thread; the threads take turns on the database: a job
has the turn from its start until its wkhtmltopdf is about to start
(``release_turn``, called from ``ir.actions.report._build_wkhtmltopdf_args``,
the last database access before it) or until it ends. The next job only
starts then, so the cursor, which is not thread-safe, is never used by two
threads at once, while up to ``width`` wkhtmltopdf processes run on as many
cores and the next chunk's HTML is rendered meanwhile.
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
    def __init__(self, function):
        parent = threading.current_thread()
        super().__init__(name=f"{parent.name}-pdf", daemon=True)
        # What Odoo's logging and query counters read on the current thread.
        for attribute in ("dbname", "uid", "url"):
            if hasattr(parent, attribute):
                setattr(self, attribute, getattr(parent, attribute))
        self.function = function
        self.turn = threading.Event()
        self.value = self.error = None

    def run(self):
        _turn.release = self.turn.set
        try:
            self.value = self.function()
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc
        finally:
            release_turn()

    def result(self):
        self.join()
        if self.error is not None:
            raise self.error
        return self.value


def run_concurrently(functions, width=2):
    """Yield ``function()`` of each of ``functions``, in order, running up to
    ``width`` at once (taking turns on the database, see the module). The
    caller's thread only resumes when no job uses the database: it may use it
    between two results."""
    if width <= 1 or len(functions) <= 1:
        for function in functions:
            yield function()
        return
    running = collections.deque()
    try:
        for function in functions:
            if len(running) >= width:
                yield running.popleft().result()
            job = _Job(function)
            job.start()
            running.append(job)
            job.turn.wait()
            if job.error is not None:
                break
        while running:
            yield running.popleft().result()
    finally:
        for job in running:  # after an error: let the others end first
            job.join()
