from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import RelanceCase


@tagged("post_install", "-at_install")
class TestRelanceTour(RelanceCase, HttpCase):
    """Invoicing › Customers › Installments to collect, in the browser.

    The data lives in the test company only (the tour user is not in the
    main company), so demo data never shows up in the list."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.overdue = cls.env["res.partner"].create({"name": "Tour Overdue Customer"})
        cls.recent = cls.env["res.partner"].create({"name": "Tour Recent Customer"})
        cls.overdue_invoice = cls.create_invoice(
            cls.overdue, amounts=(450.0,), invoice_date=cls.ago(45)
        )
        cls.recent_invoice = cls.create_invoice(
            cls.recent, amounts=(50.0,), invoice_date=cls.ago(5)
        )
        cls.tour_user = cls.make_user("relance_tour_user", "account.group_account_invoice")

    def test_installments_tour(self):
        lines = self.installments(self.overdue_invoice | self.recent_invoice)
        self.assertEqual(lines.mapped("reminder_days_late"), [45, 5])
        self.assertFalse(self.overdue.reminder_comment)
        self.start_tour("/odoo", "optim_relance_installments_tour", login=self.tour_user.login)
        self.overdue.invalidate_recordset()
        self.assertEqual(self.overdue.reminder_comment, "Promised to pay on Friday")
        self.assertFalse(self.recent.reminder_comment)
