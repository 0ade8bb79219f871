"""Reminder runs (``relance.run``): every confirmation is a run; small ones
are processed in the request, larger ones chunk by chunk by the scheduled
action ``ir_cron_relance_run``, each chunk all or nothing."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config

from ..models import relance_run
from .common import FROZEN_NOW, TODAY, RelanceCase, pdf_page_count
from .test_relance_wizard import fake_render_pdf


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestRelanceRun(RelanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("optim_relance.ir_cron_relance_run")
        cls.payers = cls.env["res.partner"].create(
            [
                {"name": f"Run Payer {index}", "reminder_email": f"payer{index}@run.test"}
                for index in range(1, 6)
            ]
        )
        cls.lines = cls.env["account.move.line"]
        for index, payer in enumerate(cls.payers):
            cls.lines |= cls.installments(cls.create_late_invoice(payer, 40 + index))
        cls.level_1 = cls.env["relance.level"]._get_for(1, cls.company)

    def setUp(self):
        super().setUp()
        self.patch(self.LetterClass, "_render_pdf", fake_render_pdf)
        self.patch(relance_run, "RUN_CHUNK", 2)

    def set_sync_limit(self, value):
        self.env["ir.config_parameter"].sudo().set_param(relance_run.SYNC_LIMIT_PARAM, value)

    def confirm(self, lines=None, user=None, **values):
        wizard = self.make_wizard(lines or self.lines, env=(user and self.env(user=user)), **values)
        return wizard.action_confirm()

    def run_of(self, lines=None):
        return self.env["relance.run"].search(
            [("letter_ids.line_ids", "in", (lines or self.lines).ids)], order="id desc", limit=1
        )

    def run_cron(self):
        self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def progress(self):
        record = self.env["ir.cron.progress"].search(
            [("cron_id", "=", self.cron.id)], order="id desc", limit=1
        )
        return record.done, record.remaining

    def state_of(self, run):
        run.invalidate_recordset()
        return (
            run.state,
            run.letter_count,
            run.letter_done_count,
            sorted(run.letter_ids.mapped("state")),
        )

    def test_small_batch_is_processed_in_the_request(self):
        self.assertFalse(self.make_wizard(self.lines).in_background)
        action = self.confirm()
        run = self.run_of()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(self.state_of(run), ("done", 5, 5, ["sent"] * 5))
        self.assertTrue(run.name.startswith(f"RELANCE/{TODAY.year}/"), run.name)
        self.assertEqual(
            (run.user_id, run.output, run.level_mode, run.level, run.date),
            (self.env.user, "pdf", "fixed", 1, TODAY),
        )
        self.assertEqual(self.attachment_of_action(action), run.attachment_id)
        self.assertEqual(
            (run.attachment_id.res_model, run.attachment_id.res_id), ("relance.run", run.id)
        )
        self.assertEqual(run.attachment_id.name, "Reminders level 1 - 2024-06-15.pdf")
        self.assertEqual(len(run.history_ids), 5)
        self.assertEqual(run.letter_ids.history_ids, run.history_ids)

    def test_large_batch_runs_in_the_background(self):
        self.set_sync_limit(3)
        self.assertTrue(self.make_wizard(self.lines).in_background)
        before = self.counts()
        action = self.confirm(output="email")
        run = self.run_of()
        self.assertEqual(
            (action["res_model"], action["res_id"], action["view_mode"]),
            ("relance.run", run.id, "form"),
        )
        self.assertEqual(self.state_of(run), ("queued", 5, 0, ["queued"] * 5))
        # Nothing recorded nor sent before the cron's turn.
        self.assertEqual(self.counts()["relance_history"], before["relance_history"])
        self.assertEqual(self.counts()["mail_mail"], before["mail_mail"])
        self.assertEqual(self.lines.mapped("reminder_level"), [0] * 5)
        self.assertTrue(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]))

        self.run_cron()  # chunk of 2
        self.assertEqual(self.state_of(run), ("running", 5, 2, ["queued"] * 3 + ["sent"] * 2))
        self.assertEqual(self.progress(), (2, 3))
        self.run_cron()
        self.run_cron()  # the last letter, then the run is done
        self.assertEqual(self.state_of(run), ("done", 5, 5, ["sent"] * 5))
        self.assertEqual(self.progress(), (1, 0))
        after = self.counts()
        self.assertEqual(after["relance_history"], before["relance_history"] + 5)
        # The 5 reminders, and the notification emailed to the user who
        # confirmed (their preference: by email).
        self.assertEqual(after["mail_mail"], before["mail_mail"] + 6)
        self.assertEqual(len(run.mail_ids), 5)
        self.assertEqual(self.lines.mapped("reminder_level"), [1] * 5)
        self.assertEqual(
            sorted(run.mail_ids.mapped("email_to")), sorted(self.payers.mapped("reminder_email"))
        )
        self.assertFalse(run.attachment_id)  # emails: no batch document
        # The user who confirmed is told, in Odoo.
        notice = run.message_ids.filtered(
            lambda message: self.env.user.partner_id in message.partner_ids
        )
        self.assertEqual(len(notice), 1)
        self.assertIn("5 letters sent, 0 installments skipped", notice.body)
        # Nothing more to do: the cron sends nothing more.
        self.run_cron()
        self.assertEqual(self.counts(), after)

    def test_background_pdf_batch_in_payer_order(self):
        """A background run's merged PDF: every letter sent, in the wizard's
        order (by payer), as a run done in the request."""
        self.set_sync_limit(0)
        self.confirm(output="pdf")
        run = self.run_of()
        for _call in range(3):
            self.run_cron()
        self.assertEqual(self.state_of(run), ("done", 5, 5, ["sent"] * 5))
        by_payer = run.letter_ids.sorted(lambda letter: letter.partner_id.name)
        self.assertEqual(run._sent_documents().mapped("res_id"), by_payer.ids)
        self.assertEqual(run.attachment_id.name, "Reminders level 1 - 2024-06-15.pdf")
        self.assertEqual(pdf_page_count(run.attachment_id.raw), 5)

    def test_failed_chunk_is_rolled_back_then_retried(self):
        self.set_sync_limit(0)
        template = self.level_1.mail_template_id.sudo()
        body = template.body_html
        # A level text that raises for one payer, the second of the second chunk.
        template.body_html = (
            '<p><t t-if="object.partner_id.name == \'Run Payer 4\'" t-out="1 / 0"/>Hello</p>'
        )
        self.confirm(output="email")
        run = self.run_of()
        self.run_cron()
        self.run_cron()
        self.assertEqual(self.state_of(run), ("failed", 5, 2, ["queued"] * 3 + ["sent"] * 2))
        # Named although the first letter of the chunk passes alone.
        self.assertTrue(run.error.startswith("Run Payer 4: "), run.error)
        self.assertEqual(self.progress(), (0, 0))
        third, fourth, fifth = self.lines[2], self.lines[3], self.lines[4]
        # The failed chunk (payers 3 and 4) left nothing behind.
        self.assertFalse(self.history_of(third | fourth | fifth))
        self.assertEqual((third | fourth).mapped("reminder_level"), [0, 0])
        # A failed run waits: the cron does not loop on it.
        self.run_cron()
        self.assertEqual(run.state, "failed")

        template.body_html = body
        run.action_retry()
        self.assertEqual(run.state, "queued")
        for _call in range(3):
            self.run_cron()
        self.assertEqual(self.state_of(run), ("done", 5, 5, ["sent"] * 5))
        self.assertFalse(run.error)
        # Exactly one email per payer and one history per installment.
        self.assertEqual(
            sorted(run.mail_ids.mapped("email_to")), sorted(self.payers.mapped("reminder_email"))
        )
        self.assertEqual(
            sorted(self.history_of(self.lines).move_line_id.ids), sorted(self.lines.ids)
        )
        self.assertEqual(len(self.history_of(self.lines)), 5)

    def test_two_runs_on_the_same_installments(self):
        self.set_sync_limit(0)
        self.confirm()
        run = self.run_of()
        # A second confirmation leaves them to the run waiting with them.
        with self.assertRaises(UserError) as caught:
            self.confirm()
        self.assertIn(f"Already in the run {run.name}, not sent yet", str(caught.exception))
        self.assertEqual(self.env["relance.run"].search_count([]), 1)
        # Reminded meanwhile by other means: the run skips it when its turn comes.
        first = self.lines[0]
        first._relance_record(1, TODAY, "manual")
        for _call in range(4):
            self.run_cron()
        self.assertEqual(self.state_of(run), ("done", 5, 4, ["cancelled"] + ["sent"] * 4))
        self.assertEqual(
            [(skip.line_id, skip.reason) for skip in run.skip_ids],
            [(first, f"Level 1 already recorded on {self.fmt_date(TODAY)}")],
        )
        history = self.history_of(self.lines)
        self.assertEqual(sorted(history.move_line_id.ids), sorted(self.lines.ids))
        self.assertEqual(history.filtered(lambda h: h.move_line_id == first).channel, "manual")

    def test_runs_are_read_only_and_per_company(self):
        self.confirm(user=self.invoice_user)
        run = self.run_of()
        as_clerk = run.with_user(self.invoice_user)
        self.assertEqual(as_clerk.read(["state"])[0]["state"], "done")
        for operation in (
            lambda: as_clerk.write({"state": "failed"}),
            lambda: as_clerk.unlink(),
            lambda: (
                self.env["relance.run"]
                .with_user(self.invoice_user)
                .create(
                    {
                        "company_id": self.company.id,
                        "user_id": self.invoice_user.id,
                        "level_mode": "fixed",
                        "output": "pdf",
                        "date": TODAY,
                    }
                )
            ),
        ):
            with self.assertRaises(AccessError):
                operation()
        self.assertEqual(run.state, "done")
        with self.assertRaises(UserError):
            as_clerk.action_retry()
        auditor = self.make_user("run_auditor", "account.group_account_readonly")
        self.assertEqual(run.with_user(auditor).read(["state"])[0]["state"], "done")
        run.sudo().state = "failed"
        with self.assertRaises(AccessError):
            run.with_user(auditor).action_retry()
        self.assertEqual(run.state, "failed")
        other_company = self.setup_other_company(name="Run Elsewhere")["company"]
        stranger = self.make_user("run_stranger", "account.group_account_invoice", other_company)
        with self.assertRaises(AccessError):
            run.with_user(stranger).read(["state"])
        self.assertFalse(self.env["relance.run"].with_user(stranger).search([]))
        self.assertFalse(self.basic_user.has_group("account.group_account_invoice"))
        with self.assertRaises(AccessError):
            run.with_user(self.basic_user).read(["state"])

    def test_hands_over_before_the_time_limit(self):
        """Chunks chained in one job run stop before the cron worker's time
        limit: a new run of the job is triggered instead."""
        run_model = self.env["relance.run"]
        now = relance_run.time.monotonic()
        self.patch(relance_run, "_CHAINS", {})  # each call below starts a chain
        # 120 s, Odoo's default: 50 s left after the cron worker's longest sleep
        with patch.dict(config.options, {"limit_time_real_cron": -1, "limit_time_real": 120}):
            self.assertFalse(run_model._out_of_time(now - 20))  # 20 s + 20 s < 50 s
            relance_run._CHAINS.clear()
            self.assertTrue(run_model._out_of_time(now - 30))  # 30 s + 30 s > 50 s
            relance_run._CHAINS.clear()
        # A short limit: 30 % of it
        with patch.dict(config.options, {"limit_time_real_cron": 30, "limit_time_real": 120}):
            self.assertTrue(run_model._out_of_time(now - 5))  # 5 s + 5 s > 9 s
            relance_run._CHAINS.clear()
        with patch.dict(config.options, {"limit_time_real_cron": 0, "limit_time_real": 30}):
            self.assertFalse(run_model._out_of_time(now - 100))  # no limit for crons
        self.set_sync_limit(0)
        self.confirm(output="email")
        run = self.run_of()
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([("cron_id", "=", self.cron.id)]).unlink()
        self.patch(type(run_model), "_out_of_time", lambda self, started: True)
        self.run_cron()
        self.assertEqual(self.state_of(run)[2], 2)
        self.assertEqual(self.progress(), (2, 0))  # the scheduler stops chaining…
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", self.cron.id)]), 1
        )  # …and comes back
