from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import FROZEN_NOW, RelanceCase

JUNE_1 = date(2024, 6, 1)
JUNE_6 = date(2024, 6, 6)


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestAccess(RelanceCase):
    """Who sees and does what."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.create_late_invoice(cls.customer, 20, amount=200.0)
        cls.line = cls.installments(cls.invoice)
        cls.history = cls.line._relance_record(1, JUNE_1, "manual", note="Before the addon")
        cls.menu = cls.env.ref("optim_relance.menu_relance_installments")
        cls.history_menu = cls.env.ref("optim_relance.menu_relance_history")

    def test_menu_visible_to_invoicing_users_only(self):
        Menu = self.env["ir.ui.menu"]
        visible = Menu.with_user(self.invoice_user)._visible_menu_ids()
        self.assertIn(self.menu.id, visible)
        self.assertIn(self.history_menu.id, visible)
        hidden = Menu.with_user(self.basic_user)._visible_menu_ids()
        self.assertNotIn(self.menu.id, hidden)
        self.assertNotIn(self.history_menu.id, hidden)
        # What the web client loads.
        loaded = Menu.with_user(self.basic_user).load_menus(False)
        self.assertNotIn(self.menu.id, loaded)
        loaded = Menu.with_user(self.invoice_user).load_menus(False)
        self.assertIn(self.menu.id, loaded)
        self.assertEqual(loaded[self.menu.id]["name"], "Installments to collect")

    def test_invoicing_user_reads_history(self):
        History = self.env["relance.history"].with_user(self.invoice_user)
        found = History.search([("move_line_id", "=", self.line.id)])
        self.assertEqual(found, self.history)
        self.assertEqual(found.note, "Before the addon")
        self.assertEqual(self.line.with_user(self.invoice_user).reminder_history_ids, self.history)

    def test_invoicing_user_never_deletes_history(self):
        history = self.history.with_user(self.invoice_user)
        with self.assertRaises(AccessError):
            history.unlink()
        with self.assertRaises(AccessError):
            history.write({"note": "Rewritten"})
        self.history.invalidate_recordset()
        self.assertTrue(self.history.exists())
        self.assertEqual(self.history.note, "Before the addon")

    def test_invoicing_user_records_reminders(self):
        self.env["relance.backfill.wizard"].with_user(self.invoice_user).create(
            {"line_ids": [Command.set(self.line.ids)], "level": 2, "date": date(2024, 6, 10)}
        ).action_confirm()
        self.assertEqual(self.reminder_dates(self.line), (JUNE_1, date(2024, 6, 10), False, 2))
        self.assertEqual(len(self.history_of(self.line)), 2)

    def test_employee_without_accounting_rights(self):
        History = self.env["relance.history"].with_user(self.basic_user)
        with self.assertRaises(AccessError):
            History.search([])
        with self.assertRaises(AccessError):
            self.history.with_user(self.basic_user).read(["note"])
        with self.assertRaises(AccessError):
            History.create(
                {
                    "move_line_id": self.line.id,
                    "move_id": self.invoice.id,
                    "partner_id": self.customer.id,
                    "level": 2,
                    "date": JUNE_1,
                }
            )
        with self.assertRaises(AccessError):
            self.env["relance.backfill.wizard"].with_user(self.basic_user).create(
                {"line_ids": [Command.set(self.line.ids)], "level": 2, "date": JUNE_1}
            )
        self.assertEqual(self.reminder_dates(self.line), (JUNE_1, False, False, 1))
        self.assertEqual(self.history_of(self.line), self.history)


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestMultiCompany(RelanceCase):
    """A user of company B never sees company A's installments nor history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.setup_other_company(name="Relance Company B")["company"]
        cls.shared = cls.env["res.partner"].create({"name": "Shared Customer", "company_id": False})
        cls.invoice_a = cls.create_late_invoice(cls.shared, 20, amount=200.0)
        cls.invoice_b = cls.create_late_invoice(cls.shared, 10, amount=100.0, company=cls.company_b)
        cls.line_a = cls.installments(cls.invoice_a)
        cls.line_b = cls.installments(cls.invoice_b)
        cls.history_a = cls.line_a._relance_record(1, JUNE_1, "manual")
        cls.history_b = cls.line_b._relance_record(1, JUNE_6, "manual")
        cls.user_b = cls.make_user(
            "relance_user_b", "account.group_account_invoice", cls.company_b, "Relance User B"
        )

    def test_fixtures(self):
        self.assertEqual(self.line_a.company_id, self.company_a)
        self.assertEqual(self.line_b.company_id, self.company_b)
        self.assertEqual(self.history_b.company_id, self.company_b)
        self.assertEqual(self.history_a.company_id, self.company_a)

    def test_installments_of_other_company_are_hidden(self):
        Line = self.env["account.move.line"].with_user(self.user_b)
        found = Line.search([*Line._relance_open_domain(), ("partner_id", "=", self.shared.id)])
        self.assertEqual(found, self.line_b)
        action = Line.action_open_relance_installments()
        self.assertEqual(
            Line.search([*action["domain"], ("partner_id", "=", self.shared.id)]), self.line_b
        )
        with self.assertRaises(AccessError):
            self.line_a.with_user(self.user_b).read(["reminder_date_1"])

    def test_history_of_other_company_is_hidden(self):
        History = self.env["relance.history"].with_user(self.user_b)
        self.assertEqual(History.search([("partner_id", "=", self.shared.id)]), self.history_b)
        with self.assertRaises(AccessError):
            self.history_a.with_user(self.user_b).read(["date"])
        # The payer's history tab only lists company B.
        self.assertEqual(self.shared.with_user(self.user_b).reminder_history_ids, self.history_b)

    def test_cannot_record_on_other_company(self):
        with self.assertRaises(AccessError):
            self.line_a.with_user(self.user_b)._relance_record(2, date(2024, 6, 10), "manual")
        self.assertEqual(self.reminder_dates(self.line_a), (JUNE_1, False, False, 1))
        self.assertEqual(self.history_of(self.line_a), self.history_a)

    def test_user_b_records_in_company_b(self):
        self.env["relance.backfill.wizard"].with_user(self.user_b).create(
            {"line_ids": [Command.set(self.line_b.ids)], "level": 2, "date": date(2024, 6, 10)}
        ).action_confirm()
        self.assertEqual(self.reminder_dates(self.line_b), (JUNE_6, date(2024, 6, 10), False, 2))
        history = self.history_of(self.line_b) - self.history_b
        self.assertEqual(
            (history.level, history.company_id, history.user_id, history.partner_id),
            (2, self.company_b, self.user_b, self.shared),
        )

    def test_partner_totals_count_allowed_companies_only(self):
        as_b = self.shared.with_user(self.user_b)
        self.assertEqual(
            (as_b.reminder_total_due, as_b.reminder_days_late_total, as_b.reminder_open_count),
            (100.0, 10, 1),
        )
        both = self.shared.with_context(allowed_company_ids=[self.company_a.id, self.company_b.id])
        self.assertEqual(
            (both.reminder_total_due, both.reminder_days_late_total, both.reminder_open_count),
            (300.0, 30, 2),
        )
        only_a = self.shared.with_context(allowed_company_ids=[self.company_a.id])
        self.assertEqual(
            (
                only_a.reminder_total_due,
                only_a.reminder_days_late_total,
                only_a.reminder_open_count,
            ),
            (200.0, 20, 1),
        )
        only_b = self.shared.with_context(allowed_company_ids=[self.company_b.id])
        self.assertEqual(only_b.reminder_date_1, JUNE_6)
        self.assertEqual(only_b.reminder_total_due, 100.0)
