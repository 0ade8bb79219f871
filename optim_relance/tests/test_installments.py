import operator
from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import FROZEN_NOW, TODAY, RelanceCase, days_ago

OPERATORS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
}


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestOpenInstallments(RelanceCase):
    """Which journal items are installments to collect."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.open_invoice = cls.create_late_invoice(cls.customer, 10, amount=100.0)
        cls.paid_invoice = cls.create_late_invoice(cls.customer, 45, amount=200.0)
        cls.pay(cls.paid_invoice)
        cls.partial_invoice = cls.create_late_invoice(cls.customer, 40, amount=1000.0)
        cls.pay(cls.partial_invoice, amount=400.0)
        cls.credit_note = cls.create_late_invoice(
            cls.customer, 5, amount=50.0, move_type="out_refund"
        )
        cls.draft_invoice = cls.create_late_invoice(cls.customer, 20, amount=70.0, post=False)
        cls.cancelled_invoice = cls.create_late_invoice(cls.customer, 25, amount=80.0)
        cls.cancelled_invoice.button_draft()
        cls.cancelled_invoice.button_cancel()
        cls.vendor_bill = cls.create_late_invoice(
            cls.customer, 15, amount=90.0, move_type="in_invoice"
        )
        # 30 % due on the invoice date, 70 % at the end of the following month.
        cls.split_invoice = cls.create_invoice(
            cls.customer,
            amounts=(1000.0,),
            invoice_date=date(2024, 3, 10),
            payment_term=cls.pay_terms_b,
        )
        cls.all_moves = (
            cls.open_invoice
            | cls.paid_invoice
            | cls.partial_invoice
            | cls.credit_note
            | cls.draft_invoice
            | cls.cancelled_invoice
            | cls.vendor_bill
            | cls.split_invoice
        )

    def test_state_of_fixtures(self):
        """The fixtures are what the other tests assume."""
        self.assertEqual(self.paid_invoice.payment_state, "paid")
        self.assertEqual(self.partial_invoice.payment_state, "partial")
        self.assertEqual(self.partial_invoice.amount_residual, 600.0)
        self.assertEqual(self.cancelled_invoice.state, "cancel")
        self.assertEqual(self.draft_invoice.state, "draft")

    def test_open_domain(self):
        found = self.open_lines([("move_id", "in", self.all_moves.ids)])
        expected = (
            self.installments(self.open_invoice)
            | self.installments(self.partial_invoice)
            | self.installments(self.split_invoice)
        )
        self.assertEqual(found, expected)
        self.assertEqual(len(found), 4)
        # reminder_is_open says the same, line by line (product lines included).
        for line in self.all_moves.line_ids:
            with self.subTest(move=line.move_id.name, line=line.display_type):
                self.assertEqual(line.reminder_is_open, line in expected)

    def test_partial_payment_keeps_the_rest_open(self):
        line = self.installments(self.partial_invoice)
        self.assertEqual(len(line), 1)
        self.assertEqual(line.balance, 1000.0)
        self.assertEqual(line.amount_residual, 600.0)
        self.assertIn(line, self.open_lines())

    def test_two_installments(self):
        first, second = self.installments(self.split_invoice)
        self.assertEqual(
            [
                (first.date_maturity, first.amount_residual),
                (second.date_maturity, second.amount_residual),
            ],
            [(date(2024, 3, 10), 300.0), (date(2024, 4, 30), 700.0)],
        )
        self.assertEqual([first.reminder_days_late, second.reminder_days_late], [97, 46])
        self.assertEqual(first.reminder_payer_id, self.customer)
        self.assertEqual(second.reminder_payer_id, self.customer)

    def test_paying_one_installment_closes_only_it(self):
        first, second = self.installments(self.split_invoice)
        self.pay(first)
        self.assertEqual(first.amount_residual, 0.0)
        self.assertEqual(self.split_invoice.payment_state, "partial")
        found = self.open_lines([("move_id", "=", self.split_invoice.id)])
        self.assertEqual(found, second)
        self.assertFalse(first.reminder_is_open)
        self.assertTrue(second.reminder_is_open)

    def test_paying_in_full_closes_everything(self):
        self.pay(self.split_invoice)
        self.assertIn(self.split_invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(self.open_lines([("move_id", "=", self.split_invoice.id)]))

    def test_credit_note_reconciled_with_invoice(self):
        """A credit note matched with an invoice lowers its residual; the
        credit note itself is never to collect."""
        refund = self.create_late_invoice(self.customer, 3, amount=30.0, move_type="out_refund")
        lines = (self.installments(self.open_invoice) | self.installments(refund)).filtered(
            lambda line: not line.reconciled
        )
        lines.reconcile()
        line = self.installments(self.open_invoice)
        self.assertEqual(line.amount_residual, 70.0)
        self.assertEqual(
            self.open_lines([("move_id", "in", (self.open_invoice | refund).ids)]), line
        )

    def test_menu_action(self):
        action = self.env["account.move.line"].action_open_relance_installments()
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], "account.move.line")
        self.assertEqual(action["domain"], self.env["account.move.line"]._relance_open_domain())
        # The menu's server action returns the same window action.
        server_action = self.env.ref("optim_relance.action_server_relance_installments")
        returned = server_action.with_context(active_model="account.move.line", active_ids=[]).run()
        self.assertEqual(returned["domain"], action["domain"])
        self.assertEqual(returned["res_model"], "account.move.line")
        menu = self.env.ref("optim_relance.menu_relance_installments")
        self.assertEqual(menu.action, server_action)


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestDaysLate(RelanceCase):
    """reminder_days_late: computed, searchable, sortable, summable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late_customer = cls.env["res.partner"].create({"name": "Late Customer"})
        cls.days_by_move = {}
        for days, amount in ((60, 600.0), (31, 310.0), (30, 300.0), (29, 290.0), (0, 100.0)):
            move = cls.create_late_invoice(cls.late_customer, days, amount=amount)
            cls.days_by_move[move] = days
        # Due in 20 days: not late, never negative.
        future = cls.create_invoice(
            cls.late_customer,
            amounts=(50.0,),
            invoice_date=days_ago(10),
            payment_term=cls.pay_terms_30,
        )
        cls.days_by_move[future] = 0
        cls.future_line = cls.installments(future)
        cls.line_days = {cls.installments(move): days for move, days in cls.days_by_move.items()}
        cls.lines = cls.env["account.move.line"].union(*cls.line_days)
        cls.line_30 = next(line for line, d in cls.line_days.items() if d == 30)
        cls.line_31 = next(line for line, d in cls.line_days.items() if d == 31)

    def search_ids(self, op, value, **context):
        Line = self.env["account.move.line"].with_context(**context)
        return set(
            Line.search([("id", "in", self.lines.ids), ("reminder_days_late", op, value)]).ids
        )

    def test_compute(self):
        self.assertEqual(self.future_line.date_maturity, date(2024, 7, 5))
        self.assertEqual(
            sorted(line.reminder_days_late for line in self.lines), [0, 0, 29, 30, 31, 60]
        )
        for line, days in self.line_days.items():
            self.assertEqual(line.reminder_days_late, days)
            if days:
                self.assertEqual((TODAY - line.date_maturity).days, days)

    def test_search_boundaries(self):
        def ids(*days):
            return {line.id for line, d in self.line_days.items() if d in days}

        self.assertEqual(self.search_ids(">", 30), ids(60, 31))
        self.assertEqual(self.search_ids(">=", 30), ids(60, 31, 30))
        self.assertEqual(self.search_ids("<", 30), ids(29, 0))
        self.assertEqual(self.search_ids("<=", 30), ids(30, 29, 0))
        self.assertEqual(self.search_ids("=", 30), ids(30))
        self.assertEqual(self.search_ids("!=", 30), ids(60, 31, 29, 0))
        self.assertEqual(self.search_ids("=", 0), ids(0))
        self.assertEqual(len(self.search_ids("=", 0)), 2)
        self.assertEqual(self.search_ids("!=", 0), ids(60, 31, 30, 29))
        self.assertEqual(self.search_ids(">", 0), ids(60, 31, 30, 29))
        self.assertEqual(self.search_ids(">=", 0), set(self.lines.ids))
        self.assertEqual(self.search_ids("<", 0), set())
        self.assertEqual(self.search_ids("<=", 0), ids(0))
        self.assertEqual(self.search_ids(">", 60), set())
        self.assertEqual(self.search_ids(">=", 60), ids(60))

    def test_search_every_operator_and_value(self):
        for op, compare in OPERATORS.items():
            for value in (-1, 0, 1, 28, 29, 30, 31, 32, 59, 60, 61):
                with self.subTest(operator=op, value=value):
                    expected = {line.id for line, d in self.line_days.items() if compare(d, value)}
                    self.assertEqual(self.search_ids(op, value), expected)

    def test_search_combined_with_open_domain(self):
        Line = self.env["account.move.line"]
        found = Line.search(
            [
                *Line._relance_open_domain(),
                ("partner_id", "=", self.late_customer.id),
                ("reminder_days_late", ">", 30),
            ]
        )
        self.assertEqual(
            set(found.ids),
            {self.line_31.id, *(line.id for line, d in self.line_days.items() if d == 60)},
        )

    def test_order_by_days_late(self):
        Line = self.env["account.move.line"]
        rows = Line.search_read(
            [("id", "in", self.lines.ids)],
            ["reminder_days_late"],
            order="reminder_days_late desc, id asc",
        )
        self.assertEqual([row["reminder_days_late"] for row in rows], [60, 31, 30, 29, 0, 0])
        zeros = sorted(line.id for line, d in self.line_days.items() if d == 0)
        self.assertEqual([row["id"] for row in rows[-2:]], zeros)
        ascending = Line.search([("id", "in", self.lines.ids)], order="reminder_days_late asc, id")
        self.assertEqual(ascending.mapped("reminder_days_late"), [0, 0, 29, 30, 31, 60])

    def test_read_group_sum(self):
        Line = self.env["account.move.line"]
        groups = Line.read_group(
            [("id", "in", self.lines.ids)],
            ["reminder_days_late:sum", "amount_residual:sum"],
            ["reminder_payer_id"],
        )
        self.assertEqual(len(groups), 1)
        self.assertEqual(groups[0]["reminder_payer_id"][0], self.late_customer.id)
        self.assertEqual(groups[0]["reminder_days_late"], 150)
        self.assertEqual(groups[0]["amount_residual"], 1650.0)
        self.assertEqual(
            Line._read_group(
                [("id", "in", self.lines.ids)],
                [],
                ["reminder_days_late:sum", "reminder_days_late:max"],
            ),
            [(150, 60)],
        )

    def test_field_description(self):
        description = self.env["account.move.line"].fields_get(
            ["reminder_days_late"], ["searchable", "sortable", "aggregator"]
        )["reminder_days_late"]
        self.assertEqual(
            (description["searchable"], description["sortable"], description["aggregator"]),
            (True, True, "sum"),
        )

    @freeze_time("2024-06-15 23:30:00")
    def test_today_follows_user_timezone(self):
        """At 23:30 UTC it is already the 16th in Auckland: compute and search
        agree on the user's day."""
        line = self.line_30.with_context(tz="Pacific/Auckland")
        self.assertEqual(line.reminder_days_late, 31)
        self.assertEqual(self.search_ids("=", 31, tz="Pacific/Auckland"), {self.line_30.id})
        self.assertEqual(self.line_30.with_context(tz="UTC").reminder_days_late, 30)
        self.assertEqual(self.search_ids("=", 31, tz="UTC"), {self.line_31.id})


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestSummaries(RelanceCase):
    """Level summaries of the invoice, totals and last dates of the payer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rounding_customer = cls.env["res.partner"].create({"name": "Rounding Customer"})
        cls.cents_10 = cls.create_late_invoice(cls.rounding_customer, 10, amount=0.10)
        cls.cents_20 = cls.create_late_invoice(cls.rounding_customer, 20, amount=0.20)
        # 333.33 split 30 % / 70 %: due 2024-05-10 (36 days late) and 2024-06-30.
        cls.split = cls.create_invoice(
            cls.rounding_customer,
            amounts=(333.33,),
            invoice_date=date(2024, 5, 10),
            payment_term=cls.pay_terms_b,
        )

    def test_split_amounts(self):
        first, second = self.installments(self.split)
        self.assertEqual(
            [
                (first.date_maturity, first.amount_residual, first.reminder_days_late),
                (second.date_maturity, second.amount_residual, second.reminder_days_late),
            ],
            [(date(2024, 5, 10), 100.0, 36), (date(2024, 6, 30), 233.33, 0)],
        )

    def test_partner_totals(self):
        partner = self.rounding_customer
        # 0.10 + 0.20 + 100.00 + 233.33, summed without float noise.
        self.assertEqual(partner.reminder_total_due, 333.63)
        self.assertEqual(partner.reminder_days_late_total, 10 + 20 + 36 + 0)
        self.assertEqual(partner.reminder_open_count, 4)

    def test_partner_totals_after_partial_payment(self):
        # 150 pays the first installment (100) and 50 of the second.
        self.pay(self.split, amount=150.0)
        first, second = self.installments(self.split)
        self.assertEqual((first.amount_residual, second.amount_residual), (0.0, 183.33))
        self.env.invalidate_all()
        partner = self.rounding_customer
        self.assertEqual(partner.reminder_total_due, 183.63)
        self.assertEqual(partner.reminder_days_late_total, 10 + 20)
        self.assertEqual(partner.reminder_open_count, 3)
        # The line's payer panel shows the same totals.
        self.assertEqual(second.reminder_payer_total_due, 183.63)
        self.assertEqual(second.reminder_payer_days_late_total, 30)

    def test_paid_invoices_do_not_count(self):
        self.pay(self.cents_10 | self.cents_20)
        self.env.invalidate_all()
        self.assertEqual(self.rounding_customer.reminder_total_due, 333.33)
        self.assertEqual(self.rounding_customer.reminder_days_late_total, 36)

    def test_invoice_summary_over_installments(self):
        # Both installments late (due April 1 and May 31): both may be reminded.
        split = self.create_invoice(
            self.rounding_customer,
            amounts=(333.33,),
            invoice_date=date(2024, 4, 1),
            payment_term=self.pay_terms_b,
        )
        first, second = self.installments(split)
        self.assertEqual(
            (first.date_maturity, second.date_maturity), (date(2024, 4, 1), date(2024, 5, 31))
        )
        self.assertEqual(
            (
                split.reminder_date_1,
                split.reminder_date_2,
                split.reminder_date_3,
                split.reminder_level,
            ),
            (False, False, False, 0),
        )
        first.write({"reminder_date_1": date(2024, 5, 20), "reminder_date_2": date(2024, 6, 1)})
        second.write({"reminder_date_1": date(2024, 6, 10)})
        self.assertEqual((first.reminder_level, second.reminder_level), (2, 1))
        self.assertEqual(
            (
                split.reminder_date_1,
                split.reminder_date_2,
                split.reminder_date_3,
                split.reminder_level,
            ),
            (date(2024, 6, 10), date(2024, 6, 1), False, 2),
        )
        # Partner: last date of each level over the installments it pays.
        self.env.invalidate_all()
        partner = self.rounding_customer
        self.assertEqual(
            (partner.reminder_date_1, partner.reminder_date_2, partner.reminder_date_3),
            (date(2024, 6, 10), date(2024, 6, 1), False),
        )
        # A partial payment closing the first installment keeps its reminders.
        self.pay(split, amount=150.0)
        split.invalidate_recordset()
        self.assertEqual(split.payment_state, "partial")
        self.assertEqual(
            (split.reminder_date_1, split.reminder_date_2, split.reminder_level),
            (date(2024, 6, 10), date(2024, 6, 1), 2),
        )
        self.assertEqual(
            self.reminder_dates(first), (date(2024, 5, 20), date(2024, 6, 1), False, 2)
        )

    def test_level_three(self):
        line = self.installments(self.cents_10)
        line.write(
            {
                "reminder_date_1": date(2024, 6, 6),
                "reminder_date_2": date(2024, 6, 10),
                "reminder_date_3": date(2024, 6, 10),
            }
        )
        self.assertEqual(line.reminder_level, 3)
        self.assertEqual(self.cents_10.reminder_level, 3)
        self.assertEqual(self.cents_10.reminder_date_3, date(2024, 6, 10))
        # reminder_level is stored: searchable in SQL.
        Line = self.env["account.move.line"]
        self.assertEqual(
            Line.search(
                [("reminder_level", "=", 3), ("partner_id", "=", self.rounding_customer.id)]
            ),
            line,
        )


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestPayer(RelanceCase):
    """Who is reminded: the customer, its company, or a third-party payer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.tiers = Partner.create({"name": "Mutuelle Tiers Payeur", "is_company": True})
        cls.patient = Partner.create({"name": "Patient", "reminder_default_payer_id": cls.tiers.id})
        cls.company_partner = Partner.create({"name": "Client SA", "is_company": True})
        cls.contact = Partner.create(
            {"name": "Jean Contact", "parent_id": cls.company_partner.id, "type": "invoice"}
        )
        cls.other_payer = Partner.create({"name": "Other Payer", "is_company": True})

    def test_default_is_the_commercial_partner(self):
        move = self.create_late_invoice(self.contact, 12, amount=120.0)
        self.assertEqual(move.reminder_payer_id, self.company_partner)
        self.assertEqual(self.installments(move).reminder_payer_id, self.company_partner)
        self.assertEqual(self.company_partner.reminder_total_due, 120.0)
        self.assertEqual(self.company_partner.reminder_days_late_total, 12)
        self.assertEqual(self.contact.reminder_total_due, 0.0)

    def test_default_payer_of_the_customer(self):
        move = self.create_late_invoice(self.patient, 8, amount=80.0)
        self.assertEqual(move.reminder_payer_id, self.tiers)
        self.assertEqual(self.installments(move).reminder_payer_id, self.tiers)
        self.assertEqual(self.tiers.reminder_total_due, 80.0)
        self.assertEqual(self.tiers.reminder_days_late_total, 8)
        self.assertEqual(self.patient.reminder_total_due, 0.0)

    def test_vendor_bill_has_no_payer(self):
        bill = self.create_late_invoice(self.patient, 8, amount=80.0, move_type="in_invoice")
        self.assertFalse(bill.reminder_payer_id)

    def test_payer_chosen_before_posting(self):
        move = self.create_late_invoice(self.patient, 8, amount=80.0, post=False)
        self.assertEqual(move.reminder_payer_id, self.tiers)
        move.reminder_payer_id = self.other_payer
        move.action_post()
        self.assertEqual(move.reminder_payer_id, self.other_payer)
        self.assertEqual(self.installments(move).reminder_payer_id, self.other_payer)
        self.assertEqual(self.other_payer.reminder_total_due, 80.0)
        self.assertEqual(self.tiers.reminder_total_due, 0.0)

    def test_payer_changed_after_posting(self):
        move = self.create_invoice(
            self.customer,
            amounts=(1000.0,),
            invoice_date=date(2024, 3, 10),
            payment_term=self.pay_terms_b,
        )
        self.assertEqual(self.customer.reminder_total_due, 1000.0)
        self.assertEqual(self.customer.reminder_days_late_total, 97 + 46)
        move.reminder_payer_id = self.other_payer
        self.assertEqual(move.state, "posted")
        self.assertEqual(self.installments(move).reminder_payer_id, self.other_payer)
        self.assertEqual(
            self.env["account.move.line"].search_count(
                [
                    ("reminder_payer_id", "=", self.other_payer.id),
                    ("display_type", "=", "payment_term"),
                ]
            ),
            2,
        )
        self.env.invalidate_all()
        self.assertEqual(self.customer.reminder_total_due, 0.0)
        self.assertEqual(self.customer.reminder_days_late_total, 0)
        self.assertEqual(self.other_payer.reminder_total_due, 1000.0)
        self.assertEqual(self.other_payer.reminder_days_late_total, 97 + 46)

    def test_invoicing_user_changes_payer_after_posting(self):
        move = self.create_late_invoice(self.customer, 8, amount=80.0)
        move.with_user(self.invoice_user).write({"reminder_payer_id": self.other_payer.id})
        self.assertEqual(self.installments(move).reminder_payer_id, self.other_payer)
