"""Benchmark of the collection analysis on a data set of bench_relance.py.

What a credit controller opens, timed as the web client asks for it: the
collection dashboard (every figure), the receivables pivot by payer × aging
bucket (the four read_group calls of the pivot: total, rows, columns,
cells), the graph by bucket × level, the effectiveness pivot by level ×
channel, a payer's aging and badge, and the aged balance (figures, then the
PDF). Each is run ``--repeat`` times; the median and the worst wall time are
printed with the query count, and written to ``bench/out/analysis-*.json``.

Before measuring, in a transaction rolled back at the end: level 1 recorded
on half the late installments (a tenth of them by email, at four dates), a
level 2 on a fifth, and ``--payments`` invoices paid, so that the history
and the payment delays have something to show.

Run through ``bash bench/run.sh ... --analysis`` (or with ``--db`` on a kept
database).
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_relance import LIST_DOMAIN, admin_env, log, open_registry

from odoo import fields

TARGET_S = 1.0


class Counter:
    """Wall time and queries of a block."""

    def __init__(self, cr):
        self.cr = cr

    def measure(self, function):
        before = self.cr.sql_log_count
        started = time.perf_counter()
        function()
        return time.perf_counter() - started, self.cr.sql_log_count - before


def prepare(env, payments):
    """History and payments on the generated data (rolled back later)."""
    lines = env["account.move.line"]
    today = fields.Date.context_today(env.user)
    late = lines.search(LIST_DOMAIN + lines._relance_open_domain(), order="id")
    reminded = late[::2]
    started = time.perf_counter()
    for index in range(4):
        date = today - datetime.timedelta(days=40 + 10 * index)
        # a reminder comes after the due date
        batch = reminded[index::4].filtered(lambda line, date=date: line.date_maturity < date)
        batch._relance_record(1, date, "email" if index == 0 else "pdf")
    reminded = reminded.filtered("reminder_level")
    second = reminded[::5]
    second._relance_record(2, today - datetime.timedelta(days=10), "email")
    log(f"recorded {len(reminded) + len(second)} reminders in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    invoices = reminded.move_id[:payments]
    if invoices:
        wizard = (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"payment_date": today - datetime.timedelta(days=5), "group_payment": False})
        )
        wizard._create_payments()
    env.flush_all()
    log(f"paid {len(invoices)} invoices in {time.perf_counter() - started:.1f}s")


def scenarios(env):
    """``{name: callable}``: what the screens ask the server."""
    lines = env["account.move.line"]
    history = env["relance.history"]
    open_domain = lines._relance_open_domain()
    payer = lines.search(open_domain, limit=1).reminder_payer_id
    dashboard_fields = [
        name for name in env["relance.dashboard"]._fields if name not in ("id", "display_name")
    ]

    def dashboard():
        record = env["relance.dashboard"].create({})
        record.read(dashboard_fields)

    def pivot(domain, model, rows, cols, measures):
        for groupby in ([], [rows], [cols], [rows, cols]):
            model.read_group(domain, measures, groupby, lazy=False)

    def payer_panel():
        payer.invalidate_recordset()
        payer.read(
            [
                "reminder_aging_not_due",
                "reminder_aging_1_30",
                "reminder_aging_31_60",
                "reminder_aging_61_90",
                "reminder_aging_over_90",
                "reminder_payment_delay",
                "reminder_rating",
                "reminder_total_due",
            ]
        )

    def aged_balance():
        env["relance.aged.balance.wizard"].create({})._aged_balance_values()

    return {
        "dashboard": dashboard,
        "pivot payer x bucket": lambda: pivot(
            open_domain,
            lines,
            "reminder_payer_id",
            "reminder_aging_bucket",
            ["amount_residual:sum"],
        ),
        "graph bucket x level": lambda: lines.read_group(
            open_domain,
            ["amount_residual:sum"],
            ["reminder_aging_bucket", "reminder_level"],
            lazy=False,
        ),
        "effectiveness pivot": lambda: pivot(
            [("channel", "!=", "correction")],
            history,
            "level",
            "channel",
            [
                "amount_residual:sum",
                "amount_recovered_15:sum",
                "amount_recovered_30:sum",
                "paid_within_days:avg",
            ],
        ),
        "payer panel": payer_panel,
        "aged balance figures": aged_balance,
    }


def run(args):
    registry = open_registry(args)
    report = {"db": args.db, "repeat": args.repeat, "results": {}}
    with registry.cursor() as cr:
        env = admin_env(cr)
        lines = env["account.move.line"]
        report["open_installments"] = lines.search_count(lines._relance_open_domain())
        report["payers"] = len(lines.search(lines._relance_open_domain()).reminder_payer_id)
        prepare(env, args.payments)
        report["history"] = env["relance.history"].search_count([])
        counter = Counter(cr)
        for name, function in scenarios(env).items():
            env.invalidate_all()
            function()  # warm: templates, views, caches
            times, queries = [], set()
            for _ in range(args.repeat):
                env.invalidate_all()
                seconds, count = counter.measure(function)
                times.append(seconds)
                queries.add(count)
            result = {
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "queries": sorted(queries),
            }
            report["results"][name] = result
            log(
                f"{name:24s} median {result['median_s']:.3f}s  max {result['max_s']:.3f}s  "
                f"queries {'/'.join(map(str, result['queries']))}"
            )
        # The PDF: informative (its size grows with the payers, one row each).
        wizard = env["relance.aged.balance.wizard"].create({})
        started = time.perf_counter()
        pdf, _format = env["ir.actions.report"]._render_qweb_pdf(
            "optim_relance.action_report_aged_balance", wizard.ids
        )
        report["aged_balance_pdf"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "bytes": len(pdf),
            "pages": pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages"),
        }
        log(
            f"aged balance PDF         {report['aged_balance_pdf']['seconds']:.2f}s  "
            f"{report['aged_balance_pdf']['pages']} pages"
        )
        cr.rollback()
    worst = max(result["median_s"] for result in report["results"].values())
    log(
        f"{report['open_installments']} open installments, {report['payers']} payers, "
        f"{report['history']} reminders: slowest screen {worst:.3f}s (target < {TARGET_S:.0f} s)"
    )
    os.makedirs(args.out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(args.out_dir, f"analysis-{stamp}.json")
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2)
    log(f"written to {path}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-d", "--db", required=True)
    parser.add_argument("--addons-path")
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--payments", type=int, default=500, help="invoices paid before")
    parser.add_argument(
        "--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    )
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
