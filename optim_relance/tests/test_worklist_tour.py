"""The day's worklist in the browser (tour ``optim_relance_worklist_tour``,
static/tests/tours/relance_worklist_tour.js)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import RelanceCase


@tagged("post_install", "-at_install")
class TestWorklistTour(RelanceCase, HttpCase):
    """Real today, shared by the browser and the server; the tour user only
    sees the test company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = today = fields.Date.context_today(cls.env["relance.wizard"])
        promised, other, later = cls.env["res.partner"].create(
            [
                {"name": "Worklist Payer Promise"},
                {"name": "Worklist Payer Other"},
                {"name": "Worklist Payer Later"},
            ]
        )

        def installment(partner, days, amount):
            invoice = cls.create_invoice(
                partner, amounts=(amount,), invoice_date=today - timedelta(days=days)
            )
            return cls.installments(invoice)

        cls.promised = installment(promised, 40, 700.0)  # level 1 due 30 days ago
        cls.other = installment(other, 20, 200.0)  # level 1 due 10 days ago
        cls.later = installment(later, 5, 50.0)  # level 1 due in 5 days
        cls.tour_user = cls.make_user(
            "relance_worklist_tour", "base.group_user,account.group_account_invoice"
        )

    def test_worklist_tour(self):
        lines = self.promised | self.other | self.later
        to_do = self.Line.search([("id", "in", lines.ids), ("reminder_to_do", "=", True)])
        self.assertEqual(to_do, self.promised | self.other)

        self.start_tour("/odoo", "optim_relance_worklist_tour", login=self.tour_user.login)

        self.env.invalidate_all()
        promised_for = self.today + timedelta(days=10)
        self.assertRecordValues(
            self.promised,
            [
                {
                    "reminder_block_reason": "promise",
                    "reminder_block_until": promised_for,
                    "reminder_block_note": "Promis par téléphone",
                    "reminder_promise_date": promised_for,
                    "reminder_promise_amount": 700.0,
                    "reminder_blocked": True,
                    "reminder_to_do": False,
                }
            ],
        )
        to_do = self.Line.search([("id", "in", lines.ids), ("reminder_to_do", "=", True)])
        self.assertEqual(to_do, self.other)
        self.assertFalse(self.history_of(lines))
