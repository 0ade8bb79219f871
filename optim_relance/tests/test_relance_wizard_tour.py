"""The reminder processing wizard in the browser (tour
``optim_relance_wizard_tour``, static/tests/tours/relance_wizard_tour.js)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import RelanceCase


@tagged("post_install", "-at_install")
class TestRelanceWizardTour(RelanceCase, HttpCase):
    """No frozen time here: the browser and the server share the real
    today. The data lives in the test company only, which the tour user is
    restricted to, so demo data never shows up in the list."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = today = fields.Date.context_today(cls.env["relance.wizard"])
        alpha, bravo, recent = cls.env["res.partner"].create(
            [
                {"name": "Tour Payer Alpha", "reminder_email": "alpha@tour.test"},
                {"name": "Tour Payer Bravo"},
                {"name": "Tour Payer Recent"},
            ]
        )
        cls.tour_payers = alpha | bravo | recent
        # The PDF is rendered during the tour's request, which holds the test
        # cursor: wkhtmltopdf could not fetch the report's CSS from the test
        # server (it would wait for that cursor forever). Point it to a closed
        # port instead: the letters are real PDFs, only unstyled.
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

        def invoice(partner, days, amount):
            return cls.create_invoice(
                partner, amounts=(amount,), invoice_date=today - timedelta(days=days)
            )

        cls.alpha_45 = invoice(alpha, 45, 450.0)
        cls.alpha_60 = invoice(alpha, 60, 600.0)
        cls.bravo_40 = invoice(bravo, 40, 400.0)
        cls.recent_10 = invoice(recent, 10, 100.0)
        cls.tour_user = cls.make_user(
            "relance_wizard_tour", "base.group_user,account.group_account_invoice"
        )

    def test_process_reminders_tour(self):
        selected = self.installments(self.alpha_45 | self.bravo_40)
        others = self.installments(self.alpha_60 | self.recent_10)
        self.assertEqual((selected | others).mapped("reminder_days_late"), [45, 40, 60, 10])
        self.assertFalse(self.history_of(selected | others))

        self.start_tour("/odoo", "optim_relance_wizard_tour", login=self.tour_user.login)

        self.env.invalidate_all()
        history = self.history_of(selected | others)
        self.assertEqual(history.move_line_id, selected)
        self.assertEqual(len(history), 2)
        today = fields.Date.context_today(self.tour_user)
        for line in selected:
            record = history.filtered(lambda h, ln=line: h.move_line_id == ln)
            self.assertRecordValues(
                record,
                [
                    {
                        "level": 1,
                        "channel": "pdf",
                        "date": today,
                        "partner_id": line.reminder_payer_id.id,
                        "user_id": self.tour_user.id,
                    }
                ],
            )
            attachment = self.letter_of(line)
            self.assertEqual(attachment.mimetype, "application/pdf")
            self.assertEqual(
                attachment.name, f"Payment reminder - {line.reminder_payer_id.name} - {today}.pdf"
            )
            self.assertEqual(attachment.raw[:5], b"%PDF-")
            self.assertEqual(line.reminder_date_1, today)
        self.assertEqual(others.mapped("reminder_date_1"), [False, False])
        # The merged download the tour saw.
        batches = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "relance.run"),
                    ("mimetype", "=", "application/pdf"),
                    ("create_uid", "=", self.tour_user.id),
                ]
            )
        )
        self.assertEqual(len(batches), 1)
        self.assertEqual(batches.mimetype, "application/pdf")
        self.assertEqual(batches.create_uid, self.tour_user)
