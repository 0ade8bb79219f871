import contextlib
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import FROZEN_NOW, TODAY, RelanceCase

JUNE_1 = date(2024, 6, 1)
JUNE_5 = date(2024, 6, 5)
JUNE_10 = date(2024, 6, 10)
TOMORROW = TODAY + timedelta(days=1)


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestSequentialRule(RelanceCase):
    """No level 2 without level 1, no level 3 without level 2, never earlier
    than the previous level, never in the future, only on customer invoice
    installments: on every path, and a refusal changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoices = cls.env["account.move"]
        for index in range(14):
            cls.invoices |= cls.create_late_invoice(cls.customer, 30 + index, amount=100.0 + index)
        cls.lines = cls.installments(cls.invoices)
        # Not customer invoice installments.
        cls.product_line = cls.invoices[0].invoice_line_ids
        cls.bill = cls.create_late_invoice(cls.customer, 20, amount=90.0, move_type="in_invoice")
        cls.bill_line = cls.installments(cls.bill)
        cls.refund = cls.create_late_invoice(cls.customer, 20, amount=40.0, move_type="out_refund")
        cls.refund_line = cls.installments(cls.refund)
        cls.entry = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "date": date(2024, 5, 1),
                "line_ids": [
                    Command.create(
                        {
                            "name": "Receivable",
                            "account_id": cls.receivable.id,
                            "partner_id": cls.customer.id,
                            "debit": 55.0,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Revenue",
                            "account_id": cls.company_data["default_account_revenue"].id,
                            "credit": 55.0,
                        }
                    ),
                ],
            }
        )
        cls.entry.action_post()
        cls.entry_line = cls.entry.line_ids.filtered(lambda line: line.account_id == cls.receivable)

    def assertUnchanged(self, lines, expected, history_count=0):
        """``lines`` still have ``expected`` (date_1, date_2, date_3, level)
        and ``history_count`` history records."""
        for line in lines:
            self.assertEqual(self.reminder_dates(line), expected, line.move_id.name)
        self.assertEqual(len(self.history_of(lines)), history_count)

    # ------------------------------------------------------------------
    # Direct write
    # ------------------------------------------------------------------
    def test_direct_write_violations(self):
        cases = [
            ("level 2 without level 1", {}, {"reminder_date_2": JUNE_10}),
            ("level 3 without any level", {}, {"reminder_date_3": JUNE_10}),
            ("level 3 without level 2", {"reminder_date_1": JUNE_1}, {"reminder_date_3": JUNE_10}),
            (
                "levels 1 and 3 without 2",
                {},
                {"reminder_date_1": JUNE_1, "reminder_date_3": JUNE_5},
            ),
            (
                "level 2 earlier than level 1",
                {"reminder_date_1": JUNE_5},
                {"reminder_date_2": JUNE_1},
            ),
            (
                "both earlier in one write",
                {},
                {"reminder_date_1": JUNE_5, "reminder_date_2": JUNE_1},
            ),
            (
                "level 3 earlier than level 2",
                {"reminder_date_1": JUNE_1, "reminder_date_2": JUNE_5},
                {"reminder_date_3": JUNE_1},
            ),
            (
                "level 1 moved after level 2",
                {"reminder_date_1": JUNE_1, "reminder_date_2": JUNE_5},
                {"reminder_date_1": JUNE_10},
            ),
            (
                "level 1 removed under level 2",
                {"reminder_date_1": JUNE_1, "reminder_date_2": JUNE_5},
                {"reminder_date_1": False},
            ),
            ("level 1 in the future", {}, {"reminder_date_1": TOMORROW}),
            ("level 2 in the future", {"reminder_date_1": JUNE_1}, {"reminder_date_2": TOMORROW}),
            (
                "level 3 in the future",
                {"reminder_date_1": JUNE_1, "reminder_date_2": JUNE_5},
                {"reminder_date_3": TOMORROW},
            ),
        ]
        self.assertLessEqual(len(cases), len(self.lines))
        for line, (name, initial, violation) in zip(self.lines, cases, strict=False):
            with self.subTest(name):
                line.write(initial)
                expected = self.reminder_dates(line)
                self.assertEqual(expected[3], max((int(f[-1]) for f in initial), default=0))
                with self.assertRaises(ValidationError) as caught:
                    line.write(violation)
                self.assertIn(line.move_id.name, str(caught.exception))
                self.assertUnchanged(line, expected)

    def test_direct_write_valid_sequences(self):
        first, second, third = self.lines[:3]
        first.write({"reminder_date_1": JUNE_1})
        first.write({"reminder_date_2": JUNE_5})
        first.write({"reminder_date_3": TODAY})
        self.assertEqual(self.reminder_dates(first), (JUNE_1, JUNE_5, TODAY, 3))
        # Same day for every level, all in one write.
        second.write({"reminder_date_1": TODAY, "reminder_date_2": TODAY, "reminder_date_3": TODAY})
        self.assertEqual(self.reminder_dates(second), (TODAY, TODAY, TODAY, 3))
        # Clearing from the top is allowed.
        first.write({"reminder_date_3": False})
        self.assertEqual(self.reminder_dates(first), (JUNE_1, JUNE_5, False, 2))
        self.assertEqual(self.reminder_dates(third), (False, False, False, 0))

    def test_direct_write_is_atomic_over_records(self):
        ready, not_ready = self.lines[:2]
        ready.write({"reminder_date_1": JUNE_1})
        with self.assertRaises(ValidationError):
            (ready | not_ready).write({"reminder_date_2": JUNE_5})
        self.assertUnchanged(ready, (JUNE_1, False, False, 1))
        self.assertUnchanged(not_ready, (False, False, False, 0))

    def test_only_customer_invoice_installments(self):
        for name, line in (
            ("invoice product line", self.product_line),
            ("vendor bill", self.bill_line),
            ("credit note", self.refund_line),
            ("journal entry", self.entry_line),
        ):
            with self.subTest(name):
                self.assertEqual(len(line), 1)
                with self.assertRaises(ValidationError):
                    line.write({"reminder_date_1": JUNE_1})
                self.assertUnchanged(line, (False, False, False, 0))

    def test_paid_installment_keeps_the_rule(self):
        """A paid installment is still an installment: reminders sent before
        the payment may be recorded, under the same rule."""
        line = self.lines[0]
        self.pay(line.move_id)
        line.write({"reminder_date_1": JUNE_1})
        self.assertEqual(self.reminder_dates(line), (JUNE_1, False, False, 1))
        with self.assertRaises(ValidationError):
            line.write({"reminder_date_3": JUNE_5})
        self.assertUnchanged(line, (JUNE_1, False, False, 1))

    # ------------------------------------------------------------------
    # _relance_record (the path of the wizards)
    # ------------------------------------------------------------------
    def test_record_valid_sequence(self):
        line = self.lines[0]
        history = line._relance_record(1, JUNE_1, "email")
        history |= line._relance_record(2, "2024-06-05", "pdf", note="Second")
        history |= line._relance_record(3, TODAY, "word")
        self.assertEqual(self.reminder_dates(line), (JUNE_1, JUNE_5, TODAY, 3))
        self.assertEqual(
            sorted(history.mapped(lambda h: (h.level, h.date, h.channel, h.note or ""))),
            [(1, JUNE_1, "email", ""), (2, JUNE_5, "pdf", "Second"), (3, TODAY, "word", "")],
        )
        self.assertEqual(self.history_of(line), history)
        self.assertEqual(line.reminder_history_ids, history)

    def test_record_violations(self):
        line_0 = self.lines[0]  # no reminder yet
        line_1 = self.lines[1]
        line_1.write({"reminder_date_1": JUNE_5})
        line_2 = self.lines[2]
        line_2.write({"reminder_date_1": JUNE_1, "reminder_date_2": JUNE_5})
        cases = [
            ("level 2 without level 1", line_0, 2, JUNE_10),
            ("level 3 without level 1 or 2", line_0, 3, JUNE_10),
            ("level 3 without level 2", line_1, 3, JUNE_10),
            ("level 2 earlier than level 1", line_1, 2, JUNE_1),
            ("level 3 earlier than level 2", line_2, 3, JUNE_1),
            ("level 1 in the future", line_0, 1, TOMORROW),
            ("level 2 in the future", line_1, 2, TOMORROW),
            ("level 1 twice", line_1, 1, JUNE_10),
            ("level 1 under level 2", line_2, 1, JUNE_10),
            ("vendor bill", self.bill_line, 1, JUNE_1),
            ("credit note", self.refund_line, 1, JUNE_1),
            ("invoice product line", self.product_line, 1, JUNE_1),
            ("journal entry", self.entry_line, 1, JUNE_1),
            ("level 0", line_0, 0, JUNE_1),
            ("level 4", line_2, 4, JUNE_10),
            ("no date", line_0, 1, False),
        ]
        for name, line, level, when in cases:
            with self.subTest(name):
                expected = self.reminder_dates(line)
                with self.assertRaises(UserError):
                    line._relance_record(level, when, "manual")
                self.assertUnchanged(line, expected)

    def test_record_is_all_or_nothing(self):
        ready = self.lines[:3]
        ready.write({"reminder_date_1": JUNE_1})
        not_ready = self.lines[3]
        with self.assertRaises(UserError) as caught:
            (ready | not_ready)._relance_record(2, JUNE_5, "manual")
        # The message names the installment that blocks.
        self.assertIn(not_ready.move_id.name, str(caught.exception))
        for line in ready[1:]:
            self.assertNotIn(line.move_id.name + " ", str(caught.exception))
        self.assertUnchanged(ready, (JUNE_1, False, False, 1))
        self.assertUnchanged(not_ready, (False, False, False, 0))
        self.assertFalse(self.history_of(ready | not_ready))

    def test_record_on_nothing(self):
        with self.assertRaises(UserError):
            self.env["account.move.line"]._relance_record(1, JUNE_1, "manual")

    # ------------------------------------------------------------------
    # Backfill wizard
    # ------------------------------------------------------------------
    def test_wizard_refuses(self):
        line_0, line_1 = self.lines[:2]
        line_1.write({"reminder_date_1": JUNE_5})
        Wizard = self.env["relance.backfill.wizard"]
        cases = [
            ("level 2 without level 1", line_0, 2, JUNE_10),
            ("level 3 without level 2", line_1, 3, JUNE_10),
            ("level 2 earlier than level 1", line_1, 2, JUNE_1),
            ("future date", line_0, 1, TOMORROW),
            ("vendor bill", self.bill_line, 1, JUNE_1),
        ]
        for name, line, level, when in cases:
            with self.subTest(name):
                expected = self.reminder_dates(line)
                wizard = Wizard.create(
                    {"line_ids": [Command.set(line.ids)], "level": level, "date": when}
                )
                with self.assertRaises(UserError):
                    wizard.action_confirm()
                self.assertUnchanged(line, expected)

    def test_wizard_form_refuses(self):
        line = self.lines[0]
        form = Form(
            self.env["relance.backfill.wizard"].with_context(
                active_model="account.move.line", active_ids=line.ids
            )
        )
        form.level = 2
        form.date = JUNE_5
        wizard = form.save()
        self.assertEqual((wizard.level, wizard.line_ids), (2, line))
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertUnchanged(line, (False, False, False, 0))

    # ------------------------------------------------------------------
    # RPC as a plain invoicing user
    # ------------------------------------------------------------------
    def test_rpc_as_invoicing_user(self):
        """An invoicing user never writes the dates directly, valid or not:
        only through the recording path, under the rule."""
        line = self.lines[0].with_user(self.invoice_user)
        for vals in (
            {"reminder_date_2": JUNE_5},
            {"reminder_date_1": TOMORROW},
            {"reminder_date_1": JUNE_5, "reminder_date_2": JUNE_1},
            {"reminder_date_1": JUNE_1},
        ):
            for method in ("write", "web_save"):
                with self.subTest(vals=vals, method=method), self.assertRaises(UserError) as caught:
                    if method == "write":
                        line.write(vals)
                    else:
                        line.web_save(vals, {})
                self.assertIn("cannot be changed directly", str(caught.exception))
                self.assertUnchanged(line, (False, False, False, 0))
        with self.assertRaises(UserError):
            self.bill_line.with_user(self.invoice_user).write({"reminder_date_1": JUNE_1})
        self.assertUnchanged(self.bill_line, (False, False, False, 0))
        with self.assertRaises(UserError):
            line._relance_record(2, JUNE_5, "manual")
        self.assertUnchanged(line, (False, False, False, 0))
        # What the rule allows, the invoicing user records.
        line._relance_record(1, JUNE_1, "manual")
        history = line._relance_record(2, JUNE_5, "manual")
        self.assertEqual(self.reminder_dates(line), (JUNE_1, JUNE_5, False, 2))
        self.assertEqual(history.user_id, self.invoice_user)

    def test_level_cannot_be_forced(self):
        """The level is the one of the dates: writing reminder_level never changes it."""
        line = self.lines[0].with_user(self.invoice_user)
        for method in ("write", "web_save"):
            with self.subTest(method=method):
                # A refusal is rolled back to the savepoint, then ignored.
                with contextlib.suppress(UserError), self.env.cr.savepoint():
                    if method == "write":
                        line.write({"reminder_level": 3})
                    else:
                        line.web_save({"reminder_level": 2}, {})
                    self.env.flush_all()
                self.assertUnchanged(line, (False, False, False, 0))
                self.assertFalse(
                    self.env["account.move.line"].search(
                        [("id", "=", line.id), ("reminder_level", ">", 0)]
                    )
                )

    def test_messages_in_french(self):
        """The refusals are translatable: in French for a French user."""
        self.env["res.lang"]._activate_lang("fr_FR")
        line = self.lines[0].with_context(lang="fr_FR")
        with self.assertRaises(ValidationError) as caught:
            line.write({"reminder_date_2": JUNE_10})
        self.assertIn(
            "Une relance de niveau 2 ne peut pas être enregistrée sur", str(caught.exception)
        )
        self.assertIn("sans date de relance de niveau 1", str(caught.exception))
        with self.assertRaises(UserError) as caught:
            line._relance_record(2, JUNE_10, "manual")
        self.assertIn("Aucune relance n'a été enregistrée", str(caught.exception))
        self.assertIn(
            "Règle des niveaux : pas encore de relance de niveau 1", str(caught.exception)
        )
        self.assertUnchanged(line, (False, False, False, 0))

    # ------------------------------------------------------------------
    # Performance
    # ------------------------------------------------------------------
    def test_record_queries_do_not_grow_with_lines(self):
        """Recording on 10 installments takes as many queries as on 2."""
        warmup, two, ten = self.lines[:1], self.lines[1:3], self.lines[3:13]
        self.assertEqual((len(two), len(ten)), (2, 10))

        def count(lines):
            self.env.flush_all()
            self.env.invalidate_all()
            lines = lines.browse(lines.ids)
            start = self.env.cr.sql_log_count
            lines._relance_record(1, JUNE_1, "manual", note="Batch")
            self.env.flush_all()
            return self.env.cr.sql_log_count - start

        count(warmup)
        queries_two = count(two)
        queries_ten = count(ten)
        self.assertEqual(queries_ten, queries_two)
        self.assertEqual(len(self.history_of(two | ten)), 12)
