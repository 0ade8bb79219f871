"""Reminder runs in the background on a production-like server.

A real Odoo server in prefork mode with Odoo's production limits tightened
(``--workers=2 --max-cron-threads=1 --limit-time-real=30``, see PREFORK) and a real SMTP
server on loopback. An email batch whose work takes well over 30 s is
processed by the cron worker chunk by chunk; then a run's cron worker is
killed (SIGKILL) in the middle and the server restarted: the run completes,
every payer gets exactly one email.
"""

import os
import signal
import sys
import time
import unittest
from datetime import date, timedelta

from . import harness

ADMIN = ("admin", "admin")
ACCOUNTANT = ("relance_runs_accountant", "E2e-runs-accountant-1")
ACCOUNTANT_EMAIL = "runs.accountant@relance-e2e.example.com"
# HTTP requests capped at 30 s: a batch of a few hundred letters cannot run in
# one. The cron worker's own limit stays above its sleep between polls (60-69
# s, which Odoo counts in that limit): with limit_time_real_cron left at -1
# (= limit_time_real), a 30 s limit kills every idle cron worker.
PREFORK = (
    "--workers=2",
    "--max-cron-threads=1",
    "--limit-time-real=30",
    "--limit-time-real-cron=120",
)
RUN_TIMEOUT = 600  # seconds for a background run and its emails
BATCH = 50  # invoices per XML-RPC call, well within the 30 s request limit
# Letters of the large run: its work (about 0.09 s per email letter here)
# must take well over the 30 s request limit.
LARGE_RUN = 480


class TestBackgroundRuns(harness.ServerCase):
    server_options = PREFORK
    figures = []

    @classmethod
    def _setup_data(cls):
        cls.addClassCleanup(lambda: sys.stderr.write("".join(f"\n{f}\n" for f in cls.figures)))
        cls.admin = harness.Rpc(cls.url, cls.db, *ADMIN)
        cls.company_id = harness.configure_mail(
            cls.admin, cls.smtp, cls.url, "Relance Runs SA", "runs@relance-e2e.example.com"
        )
        group_ids = [
            cls.admin.ref("base.group_user"),
            cls.admin.ref("account.group_account_invoice"),
        ]
        cls.admin(
            "res.users",
            "create",
            {
                "name": "Runs Accountant",
                "login": ACCOUNTANT[0],
                "password": ACCOUNTANT[1],
                "email": ACCOUNTANT_EMAIL,
                "company_id": cls.company_id,
                "company_ids": [(6, 0, [cls.company_id])],
                "groups_id": [(6, 0, group_ids)],
            },
        )

    # ------------------------------------------------------------------
    def accountant(self):
        return harness.Rpc(self.server.url, self.db, *ACCOUNTANT)

    def create_payers(self, prefix, count):
        """``count`` payers with a reminder email and one invoice 40 days late
        each; returns ``{email: installment id}``."""
        admin = self.admin
        invoice_date = (date.today() - timedelta(days=40)).isoformat()
        lines = {}
        for start in range(0, count, BATCH):
            numbers = range(start, min(start + BATCH, count))
            emails = [f"{prefix}.{number}@payers-e2e.example.com" for number in numbers]
            partner_ids = admin(
                "res.partner",
                "create",
                [
                    {"name": f"E2E {prefix.title()} Payer {number:04d}", "reminder_email": email}
                    for number, email in zip(numbers, emails, strict=True)
                ],
            )
            move_ids = admin(
                "account.move",
                "create",
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner_id,
                        "invoice_date": invoice_date,
                        "invoice_date_due": invoice_date,
                        "invoice_line_ids": [
                            (0, 0, {"name": "Works", "quantity": 1, "price_unit": 100.0 + number})
                        ],
                    }
                    for number, partner_id in zip(numbers, partner_ids, strict=True)
                ],
            )
            admin("account.move", "action_post", move_ids)
            for line in admin(
                "account.move.line",
                "search_read",
                [("move_id", "in", move_ids), ("display_type", "=", "payment_term")],
                fields=["reminder_payer_id"],
            ):
                email = emails[partner_ids.index(line["reminder_payer_id"][0])]
                lines[email] = line["id"]
        self.assertEqual(len(lines), count)
        return lines

    def confirm_email_run(self, line_ids):
        """The accountant confirms a level 1 email batch on ``line_ids``: too
        big for the request, it opens its run."""
        accountant = self.accountant()
        context = {"active_model": "account.move.line", "active_ids": line_ids}
        wizard_id = accountant(
            "relance.wizard",
            "create",
            {"level": 1, "output": "email", "scope": "selected"},
            context=context,
        )
        action = accountant("relance.wizard", "action_confirm", [wizard_id], context=context)
        self.assertEqual((action["res_model"], action["view_mode"]), ("relance.run", "form"))
        return action["res_id"]

    def read_run(self, run_id):
        return self.admin(
            "relance.run",
            "read",
            [run_id],
            fields=["state", "letter_count", "letter_done_count", "error", "name"],
        )[0]

    def wait_for(self, what, check, timeout=RUN_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(1)
        self.fail(f"timed out waiting for {what}")

    def assert_one_email_each(self, emails, since):
        """Exactly one email per payer, and the notification of the run's end
        to the accountant (by email: their notification preference)."""
        emails = [*emails, ACCOUNTANT_EMAIL]
        received = self.wait_for(
            f"{len(emails)} emails",
            lambda: (found := self.sink.messages[since:]) and len(found) >= len(emails) and found,
        )
        time.sleep(3)  # anything more arriving would be a duplicate
        received = self.sink.messages[since:]
        recipients = sorted(address for mail in received for address in mail.to_addresses)
        self.assertEqual(recipients, sorted(emails))

    def assert_one_history_each(self, line_ids):
        history = self.admin(
            "relance.history",
            "search_read",
            [("move_line_id", "in", list(line_ids))],
            fields=["move_line_id", "level", "channel"],
        )
        self.assertEqual(
            sorted((h["move_line_id"][0], h["level"], h["channel"]) for h in history),
            sorted((line_id, 1, "email") for line_id in line_ids),
        )

    # ------------------------------------------------------------------
    def test_01_large_email_run_in_the_background(self):
        lines = self.create_payers("bulk", LARGE_RUN)
        since = len(self.sink.messages)
        started = time.monotonic()
        run_id = self.confirm_email_run(list(lines.values()))
        self.assertEqual(self.read_run(run_id)["letter_count"], LARGE_RUN)
        run = self.wait_for(
            "the run to be done",
            lambda: (run := self.read_run(run_id))["state"] in ("done", "failed") and run,
        )
        elapsed = time.monotonic() - started
        self.assertEqual(
            (run["state"], run["letter_done_count"], run["error"]), ("done", LARGE_RUN, False)
        )
        self.assertGreater(elapsed, 30, "the work takes longer than one request may")
        # Printed after the class (unittest's "... ok" stays on its line).
        type(self).figures.append(
            f"[e2e] {LARGE_RUN} email letters in the background: run done in {elapsed:.0f} s "
            f"({elapsed / LARGE_RUN:.3f} s per letter)"
        )
        self.assert_one_email_each(list(lines), since)
        self.assert_one_history_each(lines.values())

    def test_02_killed_worker_resumes_without_duplicates(self):
        lines = self.create_payers("killed", 200)
        since = len(self.sink.messages)
        run_id = self.confirm_email_run(list(lines.values()))
        self.wait_for(
            "the first chunks to be sent",
            lambda: 0 < self.read_run(run_id)["letter_done_count"] < 200,
        )
        os.kill(self.server.cron_worker_pid(), signal.SIGKILL)
        self.server.stop()
        self.server.start()
        run = self.wait_for(
            "the run to be done after the restart",
            lambda: (run := self.read_run(run_id))["state"] in ("done", "failed") and run,
        )
        self.assertEqual((run["state"], run["letter_done_count"]), ("done", 200))
        self.assert_one_email_each(list(lines), since)
        self.assert_one_history_each(lines.values())


if __name__ == "__main__":
    unittest.main()
