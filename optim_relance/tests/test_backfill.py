from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import FROZEN_NOW, TODAY, RelanceCase

JUNE_1 = date(2024, 6, 1)
JUNE_5 = date(2024, 6, 5)


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestBackfillWizard(RelanceCase):
    """Recording reminders sent before the addon ("reprise")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.tiers = Partner.create({"name": "Backfill Tiers Payeur", "is_company": True})
        cls.patient = Partner.create(
            {"name": "Backfill Patient", "reminder_default_payer_id": cls.tiers.id}
        )
        cls.invoice_a = cls.create_late_invoice(cls.customer, 40, amount=400.0)
        cls.invoice_b = cls.create_late_invoice(cls.patient, 35, amount=350.0)
        cls.pay(cls.invoice_b, amount=100.0)
        cls.line_a = cls.installments(cls.invoice_a)
        cls.line_b = cls.installments(cls.invoice_b)
        cls.lines = cls.line_a | cls.line_b
        cls.Wizard = cls.env["relance.backfill.wizard"]

    def wizard_form(self, lines, user=None):
        Wizard = self.Wizard.with_user(user) if user else self.Wizard
        return Form(Wizard.with_context(active_model="account.move.line", active_ids=lines.ids))

    def test_open_from_the_list(self):
        action = self.lines.action_open_backfill_wizard()
        self.assertEqual(
            (action["type"], action["res_model"], action["target"]),
            ("ir.actions.act_window", "relance.backfill.wizard", "new"),
        )
        self.assertEqual(action["context"]["active_model"], "account.move.line")
        self.assertEqual(action["context"]["active_ids"], self.lines.ids)
        # The context of the action fills the wizard.
        form = Form(self.Wizard.with_context(**action["context"]))
        self.assertEqual([record.id for record in form.line_ids], self.lines.ids)
        self.assertEqual(form.line_count, 2)

    def test_proposed_level(self):
        """The level proposed is the one that comes next for the selection:
        one above the lowest level reached, at most 3."""
        form = self.wizard_form(self.lines)
        self.assertEqual(form.level, 1)
        self.line_a.write({"reminder_date_1": JUNE_1})
        form = self.wizard_form(self.lines)
        self.assertEqual(form.level, 1)
        form = self.wizard_form(self.line_a)
        self.assertEqual(form.level, 2)
        self.line_b.write({"reminder_date_1": JUNE_1})
        form = self.wizard_form(self.lines)
        self.assertEqual(form.level, 2)
        self.line_a.write({"reminder_date_2": JUNE_5, "reminder_date_3": JUNE_5})
        form = self.wizard_form(self.line_a)
        self.assertEqual(form.level, 3)

    def test_form_records_level_1(self):
        form = self.wizard_form(self.lines)
        form.level = 1
        form.date = JUNE_1
        form.note = "Phoned the accountant"
        wizard = form.save()
        self.assertEqual(wizard.line_ids, self.lines)
        result = wizard.action_confirm()
        self.assertEqual(result, {"type": "ir.actions.act_window_close"})
        self.assertEqual(self.reminder_dates(self.line_a), (JUNE_1, False, False, 1))
        self.assertEqual(self.reminder_dates(self.line_b), (JUNE_1, False, False, 1))
        history = self.history_of(self.lines)
        self.assertEqual(len(history), 2)
        expected = {
            self.line_a: (self.invoice_a, self.customer, 400.0),
            self.line_b: (self.invoice_b, self.tiers, 250.0),
        }
        for record in history:
            move, payer, residual = expected[record.move_line_id]
            self.assertEqual(
                (
                    record.move_id,
                    record.partner_id,
                    record.level,
                    record.date,
                    record.channel,
                    record.note,
                    record.amount_residual,
                    record.company_id,
                    record.user_id,
                    record.attachment_id.id,
                ),
                (
                    move,
                    payer,
                    1,
                    JUNE_1,
                    "manual",
                    "Phoned the accountant",
                    residual,
                    self.company,
                    self.env.user,
                    False,
                ),
            )
        self.assertEqual(self.invoice_b.reminder_level, 1)
        self.assertEqual(self.invoice_b.reminder_date_1, JUNE_1)
        self.assertEqual(self.tiers.reminder_history_ids.move_line_id, self.line_b)

    def test_form_records_level_2(self):
        self.lines.write({"reminder_date_1": JUNE_1})
        form = self.wizard_form(self.lines)
        form.level = 2
        form.date = JUNE_5
        form.save().action_confirm()
        self.assertEqual(self.reminder_dates(self.line_a), (JUNE_1, JUNE_5, False, 2))
        self.assertEqual(self.history_of(self.lines).mapped("level"), [2, 2])

    def test_create_and_confirm(self):
        self.Wizard.create(
            {"line_ids": [Command.set(self.line_a.ids)], "level": 1, "date": JUNE_1}
        ).action_confirm()
        self.Wizard.create(
            {
                "line_ids": [Command.set(self.line_a.ids)],
                "level": 2,
                "date": JUNE_5,
                "note": "Letter",
            }
        ).action_confirm()
        self.Wizard.create(
            {"line_ids": [Command.set(self.line_a.ids)], "level": 3, "date": TODAY}
        ).action_confirm()
        self.assertEqual(self.reminder_dates(self.line_a), (JUNE_1, JUNE_5, TODAY, 3))
        history = self.history_of(self.line_a)
        self.assertEqual(
            history.mapped(lambda h: (h.level, h.date, h.channel, h.note or "")),
            [(3, TODAY, "manual", ""), (2, JUNE_5, "manual", "Letter"), (1, JUNE_1, "manual", "")],
        )
        self.assertEqual(self.reminder_dates(self.line_b), (False, False, False, 0))
        # The invoice's smart button.
        self.assertEqual(self.invoice_a.reminder_history_count, 3)
        self.assertEqual(self.invoice_b.reminder_history_count, 0)
        action = self.invoice_a.action_view_reminder_history()
        self.assertEqual(action["res_model"], "relance.history")
        self.assertEqual(self.env["relance.history"].search(action["domain"]), history)
        self.assertEqual(self.invoice_a.reminder_history_ids, history)

    def test_invalid_level(self):
        for level in (0, 4):
            with self.subTest(level=level):
                with self.assertRaises(UserError):
                    self.Wizard.create(
                        {"line_ids": [Command.set(self.line_a.ids)], "level": level, "date": JUNE_1}
                    ).action_confirm()
                self.assertEqual(self.reminder_dates(self.line_a), (False, False, False, 0))
                self.assertFalse(self.history_of(self.line_a))

    def test_invoicing_user_records(self):
        form = self.wizard_form(self.lines, user=self.invoice_user)
        form.level = 1
        form.date = JUNE_1
        form.save().action_confirm()
        self.assertEqual(self.reminder_dates(self.line_a), (JUNE_1, False, False, 1))
        history = (
            self.env["relance.history"]
            .with_user(self.invoice_user)
            .search([("move_line_id", "in", self.lines.ids)])
        )
        self.assertEqual(len(history), 2)
        self.assertEqual(history.user_id, self.invoice_user)
        self.assertEqual(set(history.mapped("channel")), {"manual"})
