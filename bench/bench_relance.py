"""Benchmark of the reminder batch (relance.wizard) on a generated data set.

Run through bench/run.sh, which creates the database, starts the Odoo HTTP
server wkhtmltopdf needs for the report CSS, and cleans up. Two commands:

``generate``  payers, customers and posted invoices (committed), timed apart;
``run``       for each output (pdf, email, word): a level 1 batch of every
              late open installment, run as the buttons run it (the preview
              compute, then ``action_confirm()``), its methods timed by
              wrappers: selection, preview, rendering, recording, mail
              queue, download. Each output in its own transaction, rolled
              back, so each starts from the same data. A second pass under
              tracemalloc gives the Python peak memory per stage.

Standalone: ``python bench/bench_relance.py run -d DB --addons-path ...``
with ``ODOO_HOME`` pointing at the Odoo sources.
"""

import argparse
import collections
import datetime
import gc
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import tracemalloc

ODOO_HOME = os.environ.get("ODOO_HOME", "/opt/odoo/18.0")
if ODOO_HOME not in sys.path:
    sys.path.insert(0, ODOO_HOME)

import odoo  # noqa: E402
from odoo import Command, api, fields  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402

OCA_SECONDS_PER_LETTER = (1.3, 1.6)  # one wkhtmltopdf run per letter
MB = 1024 * 1024
OUTPUTS = ("pdf", "email", "word")
# The "Late" filter of the installments list: what a user selects, then
# "all installments of the list".
LIST_DOMAIN = [("reminder_days_late", ">", 0)]


def log(message):
    print(f"[bench] {message}", flush=True)


# ----------------------------------------------------------------------
# Odoo environment
# ----------------------------------------------------------------------
def open_registry(args):
    options = ["-d", args.db, "--log-level", args.log_level, "--max-cron-threads", "0"]
    if args.addons_path:
        options += ["--addons-path", args.addons_path]
    odoo.tools.config.parse_config(options)
    return Registry(args.db)


def admin_env(cr):
    """The administrator as a user (record rules apply), with its context."""
    env = api.Environment(cr, odoo.SUPERUSER_ID, {})
    admin = env.ref("base.user_admin")
    return api.Environment(cr, admin.id, admin.context_get())


# ----------------------------------------------------------------------
# Data set
# ----------------------------------------------------------------------
CITIES = [
    ("75002", "Paris"),
    ("69003", "Lyon"),
    ("13001", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
]
STREETS = ["rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Nationale"]
SERVICES = ["Maintenance contract", "Consulting", "Spare parts", "Training day", "Licence"]


def distribute(total, buckets, rng, skew=0.7):
    """``total`` units over ``buckets``: at least one each, the rest
    Zipf-like (a few big payers, many small ones), as in a real ledger."""
    counts = [1] * buckets
    weights = [1.0 / (rank + 1) ** skew for rank in range(buckets)]
    rng.shuffle(weights)
    for index in rng.choices(range(buckets), weights=weights, k=max(total - buckets, 0)):
        counts[index] += 1
    return counts


def payment_terms(env, max_installments):
    """``{installments: payment term}``: 1 → 30 days; 2 → 50 % at 30 and 60
    days (the demo's two-installment term); n > 2 → equal parts every 15
    days from 30 days (``accounting.installment_term_vals``)."""
    accounting = shared_accounting()
    return {
        count: env["account.payment.term"].create(
            accounting.installment_term_vals(count, f"Bench {count}x")
        )
        for count in range(1, max_installments + 1)
    }


def shared_accounting():
    """The accounting pieces the demo data and the benchmark share
    (optim_relance_demo/demo/accounting.py): importable once the addons
    path, which holds the repository root, is set (``open_registry``), the
    addon being installed or not."""
    from odoo.addons.optim_relance_demo.demo import accounting

    return accounting


def generate(args):
    rng = random.Random(args.seed)
    registry = open_registry(args)
    started = time.perf_counter()
    stats = {}
    with registry.cursor() as cr:
        env = admin_env(cr)
        company = env.company
        today = fields.Date.context_today(env.user)
        company.partner_id.write(
            {
                "street": "12 rue des Tanneurs",
                "zip": "67000",
                "city": "Strasbourg",
                "email": "compta@bench.example",
                "phone": "+33 3 88 00 00 00",
            }
        )
        company.write({"company_registry": "123 456 789 00012"})
        accounting = shared_accounting()
        terms = payment_terms(env, args.max_installments)
        # the company's sale journal, its income account and its default sale tax
        accounts = accounting.company_accounts(company)
        journal, income, tax = accounts["sale_journal"], accounts["income"], accounts["tax"]

        # Payers, and a few customers whose invoices a payer pays (tiers payeur).
        t0 = time.perf_counter()
        payer_vals = []
        for i in range(args.payers):
            zip_code, city = CITIES[i % len(CITIES)]
            payer_vals.append(
                {
                    "name": f"Bench Payer {i + 1:05d}",
                    "is_company": True,
                    "street": f"{1 + i % 120} {STREETS[i % len(STREETS)]}",
                    "zip": zip_code,
                    "city": city,
                    "email": f"contact{i + 1}@payer.example",
                    "reminder_email": f"compta{i + 1}@payer.example",
                }
            )
        payers = env["res.partner"].create(payer_vals)
        sponsored = payers[:: args.tiers_every] if args.tiers_every else payers.browse()
        customers = env["res.partner"].create(
            [
                {
                    "name": f"Bench Customer of {payer.name}",
                    "is_company": True,
                    "city": payer.city,
                    "reminder_default_payer_id": payer.id,
                }
                for payer in sponsored
            ]
        )
        customer_of = dict(zip(sponsored.ids, customers.ids, strict=True))
        cr.commit()
        stats["partners_s"] = round(time.perf_counter() - t0, 2)

        # Installments per payer, then invoices of 1..max installments.
        lines_per_payer = distribute(args.lines, args.payers, rng)
        invoices = []  # (payer index, installments, late)
        for index, count in enumerate(lines_per_payer):
            while count > 0:
                size = 1
                if args.max_installments > 1 and rng.random() < args.multi_share:
                    size = rng.randint(2, args.max_installments)
                size = min(size, count)
                invoices.append((index, size, True))
                count -= size
        # Noise the selection must leave out: not yet due, and drafts.
        noise = int(len(invoices) * args.noise)
        for _ in range(noise):
            invoices.append((rng.randrange(args.payers), 1, False))
        rng.shuffle(invoices)

        def invoice_vals(payer_index, size, late):
            payer_id = payers[payer_index].id
            partner_id = payer_id
            if payer_id in customer_of and rng.random() < 0.3:
                partner_id = customer_of[payer_id]
            if late:
                # every due date within the past 120 days
                span = accounting.term_span(size)
                invoice_date = today - datetime.timedelta(days=rng.randint(span + 1, 150))
            else:
                invoice_date = today - datetime.timedelta(days=rng.randint(0, 20))
            return {
                "move_type": "out_invoice",
                "partner_id": partner_id,
                "invoice_date": invoice_date,
                "journal_id": journal.id,
                "invoice_payment_term_id": terms[size].id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": rng.choice(SERVICES),
                            "quantity": rng.randint(1, 5),
                            "price_unit": rng.randint(40, 2500),
                            "account_id": income.id,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                    for _ in range(rng.randint(1, 2))
                ],
            }

        def keep_draft(moves):
            """A third of the invoices of the last 3 days stay in draft."""
            drafts = moves.filtered(lambda m: m.invoice_date > today - datetime.timedelta(days=3))
            return drafts[: len(drafts) // 3]

        def progress(created):
            elapsed = time.perf_counter() - t0
            log(
                f"  invoices {created}/{len(invoices)}  {elapsed:.0f}s "
                f"({1000 * elapsed / created:.0f} ms/invoice)"
            )

        # by --batch: each batch created, posted (but a few drafts) and committed
        t0 = time.perf_counter()
        _moves, t_create, t_post = accounting.create_invoices(
            env,
            (invoice_vals(*spec) for spec in invoices),
            batch_size=args.batch,
            keep_draft=keep_draft,
            commit=True,
            progress=progress,
        )
        stats["invoices_s"] = round(time.perf_counter() - t0, 2)
        stats["create_s"] = round(t_create, 2)
        stats["post_s"] = round(t_post, 2)

        line_model = env["account.move.line"]
        stats["invoices"] = len(invoices)
        stats["open_installments"] = line_model.search_count(line_model._relance_open_domain())
        stats["late_open_installments"] = line_model.search_count(
            LIST_DOMAIN + line_model._relance_open_domain()
        )
        stats["payers"] = len(payers)
        stats["tiers_customers"] = len(customers)
    stats["total_s"] = round(time.perf_counter() - started, 2)
    log(
        f"generated {stats['payers']} payers, {stats['invoices']} invoices, "
        f"{stats['late_open_installments']} late open installments "
        f"({stats['open_installments']} open) in {stats['total_s']}s "
        f"(invoices: create {stats['create_s']}s + post {stats['post_s']}s)"
    )
    if args.stats_file:
        with open(args.stats_file, "w") as handle:
            json.dump(stats, handle)


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------
# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------
def rss_now_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    """The process's peak resident memory while a batch runs (``ru_maxrss``
    only grows over the whole benchmark), sampled every 50 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss_now_mb()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.05):
            self.peak = max(self.peak, rss_now_mb())

    def stop(self):
        self.stopped.set()
        self.join()
        return round(max(self.peak, rss_now_mb()), 1)


def maxrss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class QueryShapes:
    """Optional (--top-queries): count the queries by shape, numbers and
    literals blanked, to name the N+1 patterns. Costs a little."""

    active = None

    @classmethod
    def install(cls):
        cursor_class = odoo.sql_db.Cursor
        original = cursor_class.execute

        def execute(self, query, params=None, log_exceptions=True):
            if cls.active is not None:
                text = query.code if hasattr(query, "code") else str(query)
                shape = re.sub(r"\s+", " ", text)
                shape = re.sub(r"'[^']*'|\b\d+\b|%s", "?", shape)
                shape = re.sub(r"(\?, )+\?", "?…", shape)
                cls.active[shape[:150]] += 1
            return original(self, query, params, log_exceptions)

        cursor_class.execute = execute


class Meter:
    """Time, CPU (ours and wkhtmltopdf's), SQL queries, Python memory
    (tracemalloc, when on) and RSS of nested stages. A stage entered several
    times under the same parent (a wkhtmltopdf run per chunk) is one row."""

    def __init__(self, env, trace_memory, shapes):
        self.env = env
        self.trace_memory = trace_memory
        self.shapes = shapes
        self.rows = {}  # path -> row, in order of first entry
        self.stack = []
        self.results = {}  # method name -> its last return value

    def stage(self, name):
        if threading.current_thread() is not threading.main_thread():
            return _ThreadStage(self, name)
        return _Stage(self, name)


class _ThreadStage:
    """A method run in a rendering thread (the addon's PDF chunks): its
    calls, time and how many ran at once; no queries nor flush (the thread
    must not touch the cursor once its wkhtmltopdf starts)."""

    lock = threading.Lock()

    def __init__(self, meter, name):
        self.meter = meter
        self.name = name

    def __enter__(self):
        with self.lock:
            self.row = self.meter.rows.setdefault(
                ("threads", self.name),
                {
                    "stage": f"{self.name} (threads)",
                    "path": f"threads/{self.name}",
                    "depth": 0,
                    "calls": 0,
                    "seconds": 0.0,
                    "cpu_seconds": 0.0,
                    "child_cpu_seconds": 0.0,
                    "queries": 0,
                    "running": 0,
                    "at_once": 0,
                },
            )
            self.row["running"] += 1
            self.row["at_once"] = max(self.row["at_once"], self.row["running"])
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        with self.lock:
            self.row["calls"] += 1
            self.row["seconds"] += time.perf_counter() - self.t0
            self.row["running"] -= 1
            self.row["rss_mb"] = round(rss_now_mb(), 1)
        return False


class _Stage:
    def __init__(self, meter, name):
        self.meter = meter
        self.name = name

    def __enter__(self):
        meter = self.meter
        parent = meter.stack[-1] if meter.stack else None
        self.path = (parent.path if parent else ()) + (self.name,)
        self.row = meter.rows.setdefault(
            self.path,
            {
                "stage": self.name,
                "path": "/".join(self.path),
                "depth": len(self.path) - 1,
                "calls": 0,
                "seconds": 0.0,
                "cpu_seconds": 0.0,
                "child_cpu_seconds": 0.0,
                "queries": 0,
            },
        )
        if meter.trace_memory:
            if parent:
                parent.peak_seen = max(parent.peak_seen, tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()
            self.mem_start = tracemalloc.get_traced_memory()[0]
            self.peak_seen = 0
        if meter.shapes:
            self.outer_shapes = QueryShapes.active
            QueryShapes.active = collections.Counter()
        meter.stack.append(self)
        self.queries = meter.env.cr.sql_log_count
        self.child = child_cpu()
        self.cpu = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        meter = self.meter
        if exc_type is None:
            meter.env.flush_all()  # the pending writes belong to this stage
        row = self.row
        row["calls"] += 1
        row["seconds"] += time.perf_counter() - self.t0
        row["cpu_seconds"] += time.process_time() - self.cpu
        row["child_cpu_seconds"] += child_cpu() - self.child
        row["queries"] += meter.env.cr.sql_log_count - self.queries
        row["rss_mb"] = round(rss_now_mb(), 1)
        row["maxrss_mb"] = round(maxrss_mb(), 1)
        meter.stack.pop()
        if meter.trace_memory:
            current, peak = tracemalloc.get_traced_memory()
            peak = max(peak, self.peak_seen)
            row["peak_mb"] = max(row.get("peak_mb", 0), round((peak - self.mem_start) / MB, 1))
            row["retained_mb"] = round((current - self.mem_start) / MB, 1)
            if meter.stack:
                meter.stack[-1].peak_seen = max(meter.stack[-1].peak_seen, peak)
        if meter.shapes:
            shapes = QueryShapes.active
            row.setdefault("_shapes", collections.Counter()).update(shapes)
            if self.outer_shapes is not None:
                self.outer_shapes.update(shapes)
            QueryShapes.active = self.outer_shapes
        return False


# What is measured: these methods, wherever they are called from. The batch
# runs exactly as the user's buttons run it (the preview compute, then
# action_confirm); the wrappers only time them.
MEASURED = [
    ("relance.wizard", "_compute_preview"),
    ("relance.wizard", "_prepare_batch"),
    ("relance.wizard", "_get_target_lines"),
    ("relance.wizard", "action_confirm"),
    ("relance.wizard", "_create_letters"),
    ("relance.letter", "_compute_texts"),
    ("relance.letter", "_render"),
    ("ir.actions.report", "_render_qweb_html"),
    ("ir.actions.report", "_run_wkhtmltopdf"),
    ("relance.letter", "_render_word"),
    ("account.move.line", "_relance_lock"),
    ("relance.letter", "_record"),
    ("account.move.line", "_relance_record"),
    ("relance.letter", "_send"),
    ("relance.run", "_done"),
]

# The issue's stages, from the rows above (paths under the confirmation).
ISSUE_STAGES = [
    ("selection", ["action_confirm/_prepare_batch/_get_target_lines"]),
    ("preview", ["_compute_preview"]),
    ("batch & lock", ["action_confirm/_prepare_batch", "action_confirm/_relance_lock"]),
    (
        "rendering",
        [
            "action_confirm/_create_letters",
            "action_confirm/_render",
        ],
    ),
    ("recording", ["action_confirm/_record"]),
    ("mail queue", ["action_confirm/_send"]),
    ("download", ["action_confirm/_done"]),
    ("delivery", ["deliver"]),
]


class measured:
    """Context manager: wrap the MEASURED methods of the registry classes."""

    def __init__(self, env, meter):
        self.env = env
        self.meter = meter
        self.undo = []

    def __enter__(self):
        meter = self.meter
        for model, name in MEASURED:
            if model not in self.env:  # renamed or gone in this version of the addon
                log(f"not measured: {model}.{name} (no such model)")
                continue
            cls = type(self.env[model])
            own = name in cls.__dict__
            original = getattr(cls, name, None)
            if original is None:  # renamed or gone in this version of the addon
                log(f"not measured: {model}.{name} (no such method)")
                continue

            def wrapper(record, *args, _original=original, _name=name, **kwargs):
                with meter.stage(_name):
                    result = _original(record, *args, **kwargs)
                meter.results[_name] = result
                return result

            setattr(cls, name, wrapper)
            self.undo.append((cls, name, own, original))
        return self

    def __exit__(self, *exc):
        for cls, name, own, original in reversed(self.undo):
            if own:
                setattr(cls, name, original)
            else:
                delattr(cls, name)
        return False


def pdf_pages(raw):
    import io

    from odoo.tools.pdf import PdfFileReader

    return PdfFileReader(io.BytesIO(raw), strict=False).getNumPages()


# ----------------------------------------------------------------------
# The benchmark
# ----------------------------------------------------------------------
def new_wizard(env, output, level_mode="fixed"):
    """“Process reminders” on the list filtered on late installments, scope
    “all installments of the list”, level 1 (or the level due), today."""
    return (
        env["relance.wizard"]
        .with_context(active_model="account.move.line", active_domain=LIST_DOMAIN)
        .create({"scope": "all", "output": output, "level": 1, "level_mode": level_mode})
    )


def compare_level_modes(env, repeat=3):
    """The preview of the whole book in each level mode (best of ``repeat``,
    cold caches, rolled back): "auto" computes each installment's next level
    and date in SQL, "fixed" does not."""
    result = {}
    for mode in ("fixed", "auto"):
        runs = []
        for _ in range(repeat):
            env.invalidate_all()
            start_queries = env.cr.sql_log_count
            t0 = time.perf_counter()
            wizard = new_wizard(env, "email", mode)
            letters = wizard.letter_count
            runs.append((time.perf_counter() - t0, env.cr.sql_log_count - start_queries))
            included = wizard.included_count
            env.cr.rollback()
        seconds, queries = min(runs)
        result[mode] = {
            "seconds": round(seconds, 3),
            "queries": queries,
            "letters": letters,
            "installments": included,
        }
    result["ratio"] = round(result["auto"]["seconds"] / result["fixed"]["seconds"], 2)
    return result


def warm_up(env):
    """One payer's batch in every output, rolled back: QWeb templates
    compiled, report assets built by the server, wkhtmltopdf and python-docx
    loaded, so that the figures are those of a running server."""
    t0 = time.perf_counter()
    line_model = env["account.move.line"]
    domain = LIST_DOMAIN + line_model._relance_open_domain()
    payer = line_model.search(domain, limit=1).reminder_payer_id
    lines = line_model.search([*domain, ("reminder_payer_id", "=", payer.id)])
    for output in OUTPUTS:
        wizard = (
            env["relance.wizard"]
            .with_context(active_model="account.move.line", active_ids=lines.ids)
            .create({"scope": "selected", "output": output, "level": 1})
        )
        wizard.preview_html  # noqa: B018
        wizard.action_confirm()
        env.cr.rollback()
    return time.perf_counter() - t0


def _serve_smtp(port, count, ready):
    """The loopback SMTP server's process: accept and count every message."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.Event().wait())  # until the benchmark ends (daemon process)


class SmtpCounter:
    """A loopback SMTP server (aiosmtpd) counting what it receives, in a
    process of its own, as a mail server is: it does not share the
    benchmark's interpreter (and its lock) with the Odoo code that sends."""

    def __init__(self):
        self._context = multiprocessing.get_context("spawn")
        self._count = self._context.Value("i", 0)

    @property
    def count(self):
        return self._count.value

    def start(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        ready = self._context.Event()
        self.process = self._context.Process(
            target=_serve_smtp, args=(port, self._count, ready), daemon=True
        )
        self.process.start()
        if not ready.wait(60):
            raise RuntimeError("the loopback SMTP server did not start")
        return port

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while self.count < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count


def use_loopback_smtp(env, smtp):
    """The loopback server as the outgoing mail server (committed)."""
    port = smtp.start()
    env["ir.mail_server"].sudo().search([]).active = False
    env["ir.mail_server"].sudo().create(
        {
            "name": "bench loopback SMTP",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_encryption": "none",
            "sequence": 1,
        }
    )
    env.cr.commit()
    log(f"loopback SMTP server on 127.0.0.1:{port}")


def deliver(mails, smtp):
    """The queued emails delivered as Odoo's mail queue delivers them
    (``mail.mail.send``, one SMTP connection per batch), rolled back
    afterwards with the rest of the batch; what the server received."""
    before = smtp.count
    mails = mails.sudo()
    mails.send(auto_commit=False, raise_exception=True)
    received = smtp.wait_for(before + len(mails)) - before
    failed = len(mails.exists().filtered(lambda mail: mail.state != "sent"))
    return {"queued": len(mails), "received": received, "failed": failed}


def one_pass(env, output, trace_memory, shapes, preview_only=False, smtp=None):
    """Preview then confirm, measured; rolled back. Returns (meter, info)."""
    gc.collect()
    meter = Meter(env, trace_memory, shapes)
    info = {}
    if trace_memory:
        tracemalloc.start()
    sampler = RssSampler()
    sampler.start()
    try:
        with measured(env, meter):
            wizard = new_wizard(env, output)
            html = wizard.preview_html
            if not preview_only:
                wizard.action_confirm()
                if output == "email" and smtp:
                    with meter.stage("deliver"):
                        meter.results["deliver"] = deliver(meter.results["_send"], smtp)
        meter.peak_rss_mb = sampler.stop()
        info = describe(env, output, meter.results, html)
    except Exception as exc:
        exc.meter = meter  # what ran until the failure
        raise
    finally:
        if sampler.is_alive():
            meter.peak_rss_mb = sampler.stop()
        if trace_memory:
            tracemalloc.stop()
        env.cr.rollback()
    return meter, info


def describe(env, output, results, html):
    """What the batch produced, from the measured methods' results."""
    letters, skipped = results["_prepare_batch"]
    info = {
        "letters": len(letters),
        "installments": sum(len(letter[3]) for letter in letters),
        "skipped": len(skipped),
        "preview_html_kb": round(len(html or "") / 1024, 1),
    }
    if "action_confirm" not in results:  # --preview-only
        return info
    try:
        info.update(describe_documents(env, output, results))
    except Exception as exc:  # the addon changed what its methods return
        info["describe_error"] = repr(exc)
    return info


def describe_documents(env, output, results):
    info = {}
    attachments = [attachment for *_document, attachment in results["_render"]]
    info["documents"] = len(attachments)
    info["documents_mb"] = round(sum(a.file_size for a in attachments) / MB, 1)
    if output == "email":
        info["mails"] = len(results["_send"])
        if "deliver" in results:
            info["delivered"] = results["deliver"]
    else:
        url = results["action_confirm"]["url"]
        batch = env["ir.attachment"].browse(int(url.split("/")[3].split("?")[0]))
        # Its size, not its bytes: reading a zip of thousands of Word letters
        # would be the largest allocation of the benchmark.
        info["download_mb"] = round(batch.file_size / MB, 1)
        if output == "pdf":
            info["pages"] = pdf_pages(batch.raw)
    info["wkhtmltopdf_max_rss_mb"] = round(maxrss_mb(resource.RUSAGE_CHILDREN), 1)
    return info


def run_output(env, output, args):
    log(f"--- output {output}: timed pass (preview + action_confirm)")
    result = {"output": output}
    try:
        meter, info = one_pass(env, output, False, args.top_queries, args.preview_only, args.smtp)
    except Exception as exc:  # a crash is a result too (wkhtmltopdf out of memory…)
        log(f"FAILED: {type(exc).__name__}: {exc}")
        result["error"] = f"{type(exc).__name__}: {exc}"
        meter = getattr(exc, "meter", None)
        if meter:  # the methods run until the failure, with their time
            result["stages"] = [
                {**row, "seconds": round(row["seconds"], 3)} for row in meter.rows.values()
            ]
        return result
    rows = list(meter.rows.values())
    for row in rows:
        for key in ("seconds", "cpu_seconds", "child_cpu_seconds"):
            row[key] = round(row[key], 3)
        shapes = row.pop("_shapes", None)
        if shapes:
            row["top_queries"] = shapes.most_common(5)
    result["info"] = info
    result["stages"] = rows
    result["peak_rss_mb"] = meter.peak_rss_mb
    if args.memory_pass:
        log(f"--- output {output}: memory pass (same, under tracemalloc)")
        try:
            traced, _info = one_pass(env, output, True, False, args.preview_only)
            peaks = {row["path"]: row for row in traced.rows.values()}
            for row in rows:
                if row["path"] in peaks:
                    row["peak_mb"] = peaks[row["path"]].get("peak_mb")
                    row["retained_mb"] = peaks[row["path"]].get("retained_mb")
            result["traced_seconds"] = round(
                sum(row["seconds"] for row in traced.rows.values() if row["depth"] == 0), 2
            )
        except Exception as exc:
            log(f"memory pass FAILED: {type(exc).__name__}: {exc}")
            result["memory_pass_error"] = f"{type(exc).__name__}: {exc}"
    by_path = {row["path"]: row for row in rows}
    summary = []
    stages = ISSUE_STAGES
    if args.preview_only:  # the preview's own selection, then the preview
        stages = [("selection", ["_compute_preview/_prepare_batch/_get_target_lines"])]
        stages += ISSUE_STAGES[1:2]
    for stage, paths in stages:
        parts = [by_path[p] for p in paths if p in by_path]
        if not parts:
            continue
        seconds = sum(p["seconds"] for p in parts)
        queries = sum(p["queries"] for p in parts)
        if stage == "batch & lock":  # the confirm's own selection is reported apart
            sel = by_path.get("action_confirm/_prepare_batch/_get_target_lines")
            if sel:
                seconds -= sel["seconds"]
                queries -= sel["queries"]
        peaks = [p["peak_mb"] for p in parts if p.get("peak_mb") is not None]
        summary.append(
            {
                "stage": stage,
                "seconds": round(seconds, 3),
                "queries": queries,
                "peak_mb": max(peaks) if peaks else None,
            }
        )
    result["summary"] = summary
    letters = info["letters"] or 1
    preview = by_path["_compute_preview"]
    confirm = by_path.get("action_confirm") or {"seconds": 0.0, "queries": 0}
    wk = [row for row in rows if row["stage"].startswith("_run_wkhtmltopdf")]
    delivery = by_path.get("deliver") or {"seconds": 0.0}
    end_to_end = preview["seconds"] + confirm["seconds"] + delivery["seconds"]
    result["total"] = {
        "seconds": round(preview["seconds"] + confirm["seconds"], 3),
        "queries": preview["queries"] + confirm["queries"],
        "confirm_seconds": round(confirm["seconds"], 3),
        "seconds_per_letter": round((preview["seconds"] + confirm["seconds"]) / letters, 4),
        "confirm_seconds_per_letter": round(confirm["seconds"] / letters, 4),
        "rendering_seconds_per_letter": round(
            sum(s["seconds"] for s in summary if s["stage"] == "rendering") / letters, 4
        ),
        "wkhtmltopdf_runs": sum(row["calls"] for row in wk),
        "wkhtmltopdf_seconds": round(sum(row["seconds"] for row in wk), 2),
        "wkhtmltopdf_at_once": max((row.get("at_once", 1) for row in wk), default=0),
        "delivery_seconds": round(delivery["seconds"], 3),
        "end_to_end_seconds": round(end_to_end, 3),
        "end_to_end_seconds_per_letter": round(end_to_end / letters, 4),
        "peak_rss_mb": meter.peak_rss_mb,
        "peak_mb": max(preview.get("peak_mb") or 0, confirm.get("peak_mb") or 0)
        if args.memory_pass
        else None,
        "maxrss_mb": round(maxrss_mb(), 1),
    }
    return result


def _num(value, fmt):
    return format(value, fmt) if value is not None else format("–", fmt.split(".")[0] + "s")


def fmt_output(result, args):
    out = [f"=== output: {result['output']} — {args.payers} payers / {args.lines} installments ==="]
    if "error" in result:
        out.append(f"FAILED: {result['error']}")
        if result.get("stages"):
            out.append("until the failure:")
            for row in result["stages"]:
                name = "  " * row["depth"] + ("↳ " if row["depth"] else "") + row["stage"]
                out.append(
                    f"  {name[:34]:<34}{row['calls']:>4} call(s) {row['seconds']:>8.2f} s "
                    f"{row['queries']:>6} queries"
                )
        return "\n".join(out)
    header = (
        f"{'method (nested as called)':<34}{'calls':>6}{'seconds':>9}{'cpu s':>8}{'wk cpu':>8}"
        f"{'queries':>9}{'peak MB':>9}{'RSS MB':>8}"
    )
    out += [header, "-" * len(header)]
    for row in result["stages"]:
        name = "  " * row["depth"] + ("↳ " if row["depth"] else "") + row["stage"]
        out.append(
            f"{name[:34]:<34}{row['calls']:>6}{row['seconds']:>9.2f}{row['cpu_seconds']:>8.2f}"
            f"{row['child_cpu_seconds']:>8.2f}{row['queries']:>9}"
            f"{_num(row.get('peak_mb'), '>9.1f')}{row['rss_mb']:>8.0f}"
        )
    out.append("")
    header = f"{'stage (issue)':<16}{'seconds':>9}{'queries':>9}{'peak MB':>9}{'s/letter':>10}"
    out += [header, "-" * len(header)]
    letters = result["info"]["letters"] or 1
    for stage in result["summary"]:
        out.append(
            f"{stage['stage']:<16}{stage['seconds']:>9.2f}{stage['queries']:>9}"
            f"{_num(stage['peak_mb'], '>9.1f')}{stage['seconds'] / letters:>10.4f}"
        )
    total = result["total"]
    out.append("-" * len(header))
    out.append(
        f"{'total':<16}{total['seconds']:>9.2f}{total['queries']:>9}"
        f"{_num(total['peak_mb'], '>9.1f')}{total['seconds_per_letter']:>10.4f}"
    )
    info = result["info"]
    if args.preview_only:
        out.append(
            f"letters {info['letters']}, installments {info['installments']}, "
            f"skipped {info['skipped']}, preview HTML {info['preview_html_kb']} KB "
            "(--preview-only: no confirmation)"
        )
        return "\n".join(out)
    if "describe_error" in info:
        out.append(f"(could not describe the documents: {info['describe_error']})")
        info = collections.defaultdict(int, info)
    out.append(
        f"letters {info['letters']}, installments {info['installments']}, "
        f"skipped {info['skipped']}, documents {info['documents']} ({info['documents_mb']} MB)"
        + (f", merged PDF {info['pages']} pages" if "pages" in info else "")
        + (f", mails queued {info['mails']}" if "mails" in info else "")
        + (
            f", delivered to the loopback SMTP server {info['delivered']['received']}"
            f" (failed {info['delivered']['failed']})"
            if "delivered" in info
            else ""
        )
        + f", preview HTML {info['preview_html_kb']} KB"
    )
    out.append(
        f"action_confirm: {total['confirm_seconds']:.2f} s = "
        f"{total['confirm_seconds_per_letter']:.4f} s/letter; "
        f"preview + confirm: {total['seconds_per_letter']:.4f} s/letter; peak RSS of the "
        f"batch {total['peak_rss_mb']:.0f} MB"
    )
    if total["delivery_seconds"]:
        out.append(
            f"end to end (preview, confirm, delivery {total['delivery_seconds']:.2f} s): "
            f"{total['end_to_end_seconds']:.2f} s = "
            f"{total['end_to_end_seconds_per_letter']:.4f} s/letter"
        )
    if total["wkhtmltopdf_runs"]:
        low, high = OCA_SECONDS_PER_LETTER
        rendering = total["rendering_seconds_per_letter"]
        out.append(
            f"wkhtmltopdf: {total['wkhtmltopdf_runs']} run(s), up to "
            f"{total['wkhtmltopdf_at_once']} at once, {total['wkhtmltopdf_seconds']:.1f} s "
            "(summed over the threads), largest process RSS so far "
            f"{info['wkhtmltopdf_max_rss_mb']:.0f} MB"
        )
        out.append(
            f"PDF rendering {rendering:.3f} s/letter vs OCA {low}–{high} s/letter "
            f"(one wkhtmltopdf per letter): {low / rendering:.1f}–{high / rendering:.1f}x faster; "
            f"whole batch {total['seconds_per_letter']:.3f} s/letter"
        )
    if "traced_seconds" in result:
        out.append(
            f"(memory pass under tracemalloc: {result['traced_seconds']:.1f} s, "
            "its times are not used)"
        )
    if "memory_pass_error" in result:
        out.append(f"memory pass FAILED: {result['memory_pass_error']}")
    if args.top_queries:
        out.append("most repeated queries (≥ 20 per method):")
        for row in result["stages"]:
            for shape, count in row.get("top_queries", [])[:3]:
                if count >= 20 and not any(
                    child["path"].startswith(row["path"] + "/")
                    and any(s == shape and c == count for s, c in child.get("top_queries", []))
                    for child in result["stages"]
                ):
                    out.append(f"  {row['stage'][:20]:<20}{count:>7}  {shape[:110]}")
    return "\n".join(out)


def addon_version():
    """The commit measured, and whether the addon had uncommitted changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "optim_relance"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def run(args):
    if args.limit_memory_hard:
        # As Odoo's server does (limit_memory_hard, inherited by wkhtmltopdf)
        limit = args.limit_memory_hard * MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    registry = open_registry(args)
    if args.top_queries:
        QueryShapes.install()
    if args.pdf_chunk:  # letters per wkhtmltopdf run, instead of the addon's PDF_CHUNK
        from odoo.addons.optim_relance.models import relance_letter

        log(f"PDF_CHUNK {relance_letter.PDF_CHUNK} -> {args.pdf_chunk}")
        relance_letter.PDF_CHUNK = args.pdf_chunk
    report = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "db": args.db,
        "machine": {
            "cpus": os.cpu_count(),
            "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3),
            "load_avg_at_start": os.getloadavg(),
            "python": platform.python_version(),
        },
        "parameters": {
            "payers": args.payers,
            "lines": args.lines,
            "outputs": args.outputs,
            "memory_pass": args.memory_pass,
            "limit_memory_hard_mb": args.limit_memory_hard,
            "pdf_chunk": args.pdf_chunk,
        },
        "outputs": [],
    }
    report["addon"] = addon_version()
    if args.generation_stats and os.path.exists(args.generation_stats):
        with open(args.generation_stats) as handle:
            report["generation"] = json.load(handle)
        # a reused database: its real size, whatever the command line said
        args.payers = report["generation"]["payers"]
        args.lines = report["generation"]["late_open_installments"]
        report["parameters"].update(payers=args.payers, lines=args.lines)
    with registry.cursor() as cr:
        env = admin_env(cr)
        icp = env["ir.config_parameter"].sudo()
        log(f"report CSS served by {icp.get_param('report.url') or icp.get_param('web.base.url')}")
        # The batch in the request, as before runs existed: what is measured
        # is the work itself, not the background scheduling.
        icp.set_param("optim_relance.sync_letter_limit", "1000000")
        cr.commit()
        args.smtp = None
        if "email" in args.outputs and not args.preview_only:
            args.smtp = SmtpCounter()
            use_loopback_smtp(env, args.smtp)
        report["warm_up_seconds"] = round(warm_up(env), 2)
        log(f"warm-up (one payer, every output, rolled back): {report['warm_up_seconds']} s")
        log("--- preview of the whole book, level mode fixed vs auto")
        report["level_modes"] = compare_level_modes(env)
        for output in args.outputs:
            result = run_output(env, output, args)
            report["outputs"].append(result)
            print()
            print(fmt_output(result, args))
            print(flush=True)
    report["maxrss_mb"] = round(maxrss_mb(), 1)
    report["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    print(
        f"=== summary — {args.payers} payers / {args.lines} installments — "
        f"optim_relance {report['addon']} ==="
    )
    gen = report.get("generation")
    if gen:
        print(
            f"data generation: {gen['total_s']:.0f} s ({gen['invoices']} invoices: create "
            f"{gen['create_s']:.0f} s + post {gen['post_s']:.0f} s), not part of the stages"
        )
    print(
        f"{'output':<8}{'letters':>8}{'preview s':>10}{'confirm s':>10}{'total s':>9}"
        f"{'queries':>9}{'s/letter':>10}{'e2e s/l':>9}{'RSS MB':>8}{'wk at once':>11}"
    )
    for result in report["outputs"]:
        if "error" in result:
            print(f"{result['output']:<8} FAILED: {result['error'][:100]}")
            continue
        total = result["total"]
        preview = total["seconds"] - total["confirm_seconds"]
        print(
            f"{result['output']:<8}{result['info']['letters']:>8}{preview:>10.2f}"
            f"{total['confirm_seconds']:>10.2f}{total['seconds']:>9.2f}{total['queries']:>9}"
            f"{total['seconds_per_letter']:>10.4f}{total['end_to_end_seconds_per_letter']:>9.4f}"
            f"{total['peak_rss_mb']:>8.0f}{total['wkhtmltopdf_at_once']:>11}"
        )
    modes = report["level_modes"]
    print(
        "preview of the whole book (email): "
        + ", ".join(
            f"{mode} {modes[mode]['seconds']:.2f} s / {modes[mode]['queries']} queries "
            f"({modes[mode]['letters']} letters, {modes[mode]['installments']} installments)"
            for mode in ("fixed", "auto")
        )
        + f"; auto/fixed {modes['ratio']:.2f}x"
    )
    print(
        f"benchmark process max RSS: {report['maxrss_mb']:.0f} MB; machine: "
        f"{report['machine']['cpus']} CPUs, {report['machine']['mem_gb']} GB, load at start "
        f"{report['machine']['load_avg_at_start'][0]:.1f}"
    )
    os.makedirs(args.out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(args.out_dir, f"{stamp}-{args.payers}x{args.lines}.json")
    with open(path, "w") as handle:
        json.dump(report, handle, indent=1, default=str)
    log(f"JSON written to {path}")
    return 1 if any("error" in result for result in report["outputs"]) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["generate", "run"])
    parser.add_argument("-d", "--db", required=True)
    parser.add_argument("--addons-path")
    parser.add_argument("--log-level", default="warn")
    group = parser.add_argument_group("generate")
    group.add_argument("--payers", type=int, default=50)
    group.add_argument("--lines", type=int, default=400, help="late open installments")
    group.add_argument("--max-installments", type=int, default=2)
    group.add_argument(
        "--multi-share", type=float, default=0.6, help="share of multi-installment invoices"
    )
    group.add_argument("--tiers-every", type=int, default=10, help="a tiers payeur every N payers")
    group.add_argument("--noise", type=float, default=0.05, help="extra not-due/draft invoices")
    group.add_argument("--batch", type=int, default=500, help="invoices per create/post")
    group.add_argument("--seed", type=int, default=42)
    group.add_argument("--stats-file")
    group = parser.add_argument_group("run")
    group.add_argument("--generation-stats")
    group.add_argument("--outputs", default="pdf,email,word")
    group.add_argument(
        "--no-memory-pass",
        dest="memory_pass",
        action="store_false",
        help="skip the second pass under tracemalloc (no Python peak memory)",
    )
    group.add_argument("--top-queries", action="store_true", help="query shapes per method")
    group.add_argument(
        "--pdf-chunk",
        type=int,
        help="letters per wkhtmltopdf run, overriding the addon's PDF_CHUNK (to tune it)",
    )
    group.add_argument(
        "--preview-only",
        action="store_true",
        help="selection and preview only, no confirmation (cheap check of a large data set)",
    )
    group.add_argument(
        "--limit-memory-hard",
        type=int,
        default=2560,
        help="address-space limit in MB, as Odoo's limit_memory_hard (default 2560, "
        "Odoo's default; wkhtmltopdf inherits it); 0 = none",
    )
    group.add_argument(
        "--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    )
    args = parser.parse_args()
    args.outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
    unknown = set(args.outputs) - set(OUTPUTS)
    if unknown:
        parser.error(f"unknown output(s): {', '.join(sorted(unknown))}")
    if args.command == "generate":
        generate(args)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
