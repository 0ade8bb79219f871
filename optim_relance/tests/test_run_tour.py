"""A run's form follows the run while the scheduler works on it (tour
``optim_relance_run_tour``, static/tests/tours/relance_run_tour.js)."""

import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, tagged

from ..models import relance_run
from .common import RelanceCase
from .test_relance_wizard import fake_render_pdf


@tagged("post_install", "-at_install")
class TestRunTour(RelanceCase, HttpCase):
    def test_run_form_follows_the_run(self):
        payers = self.env["res.partner"].create([{"name": f"Tour Run {i}"} for i in range(3)])
        lines = self.env["account.move.line"].union(
            *(self.installments(self.create_late_invoice(payer, 40)) for payer in payers)
        )
        self.patch(self.LetterClass, "_render_pdf", fake_render_pdf)
        self.patch(relance_run, "RUN_CHUNK", 1)
        self.env["ir.config_parameter"].sudo().set_param(relance_run.SYNC_LIMIT_PARAM, 0)
        user = self.make_user("relance_run_tour", "base.group_user,account.group_account_invoice")
        action = self.make_wizard(lines, env=self.env(user=user)).action_confirm()
        run = self.env["relance.run"].browse(action["res_id"])
        self.assertEqual((run.state, run.letter_count, run.letter_done_count), ("queued", 3, 0))

        # The scheduler's work, once the form has read the run: one letter
        # per call, each in its own transaction, as a cron worker does.
        opened, calls = threading.Event(), []
        run_class = self.env.registry["relance.run"]
        web_read = run_class.web_read

        def read_and_tell(records, *args, **kwargs):
            opened.set()
            return web_read(records, *args, **kwargs)

        def scheduler():
            if not opened.wait(60):
                return
            for _call in range(5):
                threading.Event().wait(1)
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["relance.run"]._cron_process()
                    calls.append(env["relance.run"].browse(run.id).state)
                if calls[-1] == "done":
                    return

        self.patch(run_class, "web_read", read_and_tell)
        worker = threading.Thread(target=scheduler, daemon=True)
        worker.start()
        self.start_tour(f"/odoo/reminder-runs/{run.id}", "optim_relance_run_tour", login=user.login)
        worker.join(30)
        self.assertEqual(calls, ["running", "running", "done"])
        self.env.invalidate_all()
        self.assertEqual((run.state, run.letter_done_count), ("done", 3))
