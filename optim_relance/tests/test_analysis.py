"""Collection analysis: aging buckets, the aged balance, the dashboard's
figures, what each reminder level brings in and the payer badge, on
hand-built data whose figures are computed by hand in each test."""

from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import format_amount, format_date, html2plaintext
from odoo.tools.safe_eval import safe_eval

from .common import FROZEN_NOW, TODAY, RelanceCase, days_ago, pdf_text, squash

BUCKETS = ["not_due", "1_30", "31_60", "61_90", "over_90"]


def by_payer_and_bucket(groups):
    """``_read_group`` rows ``(payer, bucket, amount)`` as the aged balance's
    ``{payer id: {bucket: amount}}``."""
    balance = {}
    for payer, bucket, amount in groups:
        balance.setdefault(payer.id, {})[bucket] = amount
    return balance


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestAgingBuckets(RelanceCase):
    """Installments due 0, 1, 30, 31, 60, 61, 90 and 91 days ago, and one due
    in 30 days, of amounts that tell them apart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.days = [0, 1, 30, 31, 60, 61, 90, 91]
        cls.lines = cls.Line
        for index, days in enumerate(cls.days):
            invoice = cls.create_late_invoice(cls.payer_a, days, amount=float(2**index))
            cls.lines |= cls.installments(invoice)
        cls.future = cls.installments(
            cls.create_invoice(cls.payer_a, amounts=(256.0,), payment_term=cls.pay_terms_30)
        )
        cls.all_lines = cls.lines | cls.future

    def test_buckets_at_the_boundaries(self):
        self.assertEqual(self.future.date_maturity, TODAY + timedelta(days=30))
        self.assertEqual(
            [line.reminder_days_late for line in self.lines], [0, 1, 30, 31, 60, 61, 90, 91]
        )
        self.assertEqual(
            [line.reminder_aging_bucket for line in self.lines],
            ["not_due", "1_30", "1_30", "31_60", "31_60", "61_90", "61_90", "over_90"],
        )
        self.assertEqual(self.future.reminder_aging_bucket, "not_due")
        # The day after, the boundaries move by one day.
        with freeze_time("2024-06-16 12:00:00"):
            self.lines.invalidate_recordset(["reminder_aging_bucket", "reminder_days_late"])
            self.assertEqual(
                [line.reminder_aging_bucket for line in self.lines],
                ["1_30", "1_30", "31_60", "31_60", "61_90", "61_90", "over_90", "over_90"],
            )

    def test_search_on_buckets(self):
        def found(*condition):
            return self.Line.search([("id", "in", self.all_lines.ids), condition])

        lines = self.lines
        self.assertEqual(found("reminder_aging_bucket", "=", "not_due"), lines[0] | self.future)
        self.assertEqual(found("reminder_aging_bucket", "=", "1_30"), lines[1:3])
        self.assertEqual(found("reminder_aging_bucket", "=", "31_60"), lines[3:5])
        self.assertEqual(found("reminder_aging_bucket", "=", "61_90"), lines[5:7])
        self.assertEqual(found("reminder_aging_bucket", "=", "over_90"), lines[7])
        self.assertEqual(
            found("reminder_aging_bucket", "in", ["31_60", "over_90"]), lines[3:5] | lines[7]
        )
        self.assertEqual(found("reminder_aging_bucket", "not in", ["not_due", "1_30"]), lines[3:])
        self.assertEqual(found("reminder_aging_bucket", "!=", "not_due"), lines[1:])
        with self.assertRaises(UserError) as catcher:
            found("reminder_aging_bucket", "=", "120_days")
        self.assertEqual(str(catcher.exception), "Unknown aging bucket: 120_days.")

    def test_grouped_in_bucket_order_with_exact_sums(self):
        groups = self.Line._read_group(
            [("id", "in", self.all_lines.ids)],
            ["reminder_aging_bucket"],
            ["amount_residual:sum", "__count"],
        )
        self.assertEqual(
            groups,
            [
                ("not_due", 1.0 + 256.0, 2),
                ("1_30", 2.0 + 4.0, 2),
                ("31_60", 8.0 + 16.0, 2),
                ("61_90", 32.0 + 64.0, 2),
                ("over_90", 128.0, 1),
            ],
        )
        # Descending too, and as the web client asks (groupable, sortable).
        groups = self.Line._read_group(
            [("id", "in", self.all_lines.ids)],
            ["reminder_aging_bucket"],
            ["__count"],
            order="reminder_aging_bucket desc",
        )
        self.assertEqual([bucket for bucket, _count in groups], list(reversed(BUCKETS)))
        description = self.Line.fields_get(["reminder_aging_bucket"], ["groupable", "sortable"])
        self.assertEqual(
            description["reminder_aging_bucket"], {"groupable": True, "sortable": True}
        )

    def test_payer_aging_fields(self):
        self.assertRecordValues(
            self.payer_a,
            [
                {
                    "reminder_aging_not_due": 257.0,
                    "reminder_aging_1_30": 6.0,
                    "reminder_aging_31_60": 24.0,
                    "reminder_aging_61_90": 96.0,
                    "reminder_aging_over_90": 128.0,
                }
            ],
        )
        self.assertEqual(self.lines[0].reminder_payer_aging_over_90, 128.0)
        self.assertEqual(self.payer_b.reminder_aging_1_30, 0.0)

    def test_analysis_action_opens_the_pivot(self):
        action = self.Line.action_open_relance_analysis()
        self.assertEqual([mode for _view, mode in action["views"]][:2], ["pivot", "graph"])
        self.assertEqual(action["context"], {})
        pivot = self.Line.get_views([(action["views"][0][0], "pivot")])["views"]["pivot"]
        self.assertIn('name="reminder_aging_bucket" type="col"', pivot["arch"])
        self.assertIn('name="reminder_payer_id" type="row"', pivot["arch"])
        # What the pivot asks for: payer × bucket (the web client's call).
        groups = self.Line.read_group(
            [*action["domain"], ("id", "in", self.all_lines.ids)],
            ["amount_residual:sum"],
            ["reminder_payer_id", "reminder_aging_bucket"],
            lazy=False,
        )
        self.assertEqual(
            [(g["reminder_aging_bucket"], g["amount_residual"]) for g in groups],
            [
                ("not_due", 257.0),
                ("1_30", 6.0),
                ("31_60", 24.0),
                ("61_90", 96.0),
                ("over_90", 128.0),
            ],
        )
        # Grouped by collector too (a related field).
        self.payer_a.reminder_collector_id = self.invoice_user
        groups = self.Line._read_group(
            [("id", "in", self.all_lines.ids)], ["reminder_payer_collector_id"], ["__count"]
        )
        self.assertEqual(groups, [(self.invoice_user, 9)])


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestAgedBalance(RelanceCase):
    """Three payers of company A (one paid partly, one in full after the
    date of the past balance), one invoice of company B, one draft."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.setup_other_company(name="Relance Company B")["company"]
        cls.inv1 = cls.create_late_invoice(cls.payer_a, 10, amount=1000.0)
        cls.inv2 = cls.create_late_invoice(cls.payer_a, 45, amount=2000.0)
        cls.pay(cls.inv2, amount=500.0, payment_date=days_ago(5))
        cls.inv3 = cls.create_late_invoice(cls.payer_b, 100, amount=3000.0)
        cls.inv4 = cls.create_invoice(
            cls.payer_b, amounts=(400.0,), invoice_date=days_ago(20), payment_term=cls.pay_terms_30
        )
        cls.inv5 = cls.create_late_invoice(cls.payer_c, 70, amount=700.0)
        cls.pay(cls.inv5, payment_date=days_ago(2))
        cls.inv6 = cls.create_late_invoice(cls.payer_c, 3, amount=600.0)
        cls.create_late_invoice(cls.payer_c, 30, amount=5000.0, post=False)
        cls.inv_b = cls.create_late_invoice(cls.payer_a, 10, amount=999.0, company=cls.company_b)
        cls.user_b = cls.make_user(
            "relance_aged_b", "account.group_account_invoice", cls.company_b, "Aged User B"
        )

    def balance(self, date, company=None):
        return self.Line._reminder_aged_balance(date, company or self.company_a)

    def test_today(self):
        expected = {
            self.payer_a.id: {"1_30": 1000.0, "31_60": 1500.0},
            self.payer_b.id: {"not_due": 400.0, "over_90": 3000.0},
            self.payer_c.id: {"1_30": 600.0},
        }
        self.assertEqual(self.balance(TODAY), expected)
        # The same figures as the pivot of the open installments, by payer
        # and bucket, in the company.
        groups = self.Line._read_group(
            [*self.Line._relance_open_domain(), ("company_id", "=", self.company_a.id)],
            ["reminder_payer_id", "reminder_aging_bucket"],
            ["amount_residual:sum"],
        )
        self.assertEqual(by_payer_and_bucket(groups), expected)

    def test_payment_dated_later(self):
        """A payment dated tomorrow (a post-dated cheque): deducted today, as
        the pivot does, not from a balance of yesterday."""
        self.pay(self.inv6, amount=200.0, payment_date=days_ago(-1))
        groups = self.Line._read_group(
            [*self.Line._relance_open_domain(), ("company_id", "=", self.company_a.id)],
            ["reminder_payer_id", "reminder_aging_bucket"],
            ["amount_residual:sum"],
        )
        self.assertEqual(by_payer_and_bucket(groups)[self.payer_c.id], {"1_30": 400.0})
        self.assertEqual(self.balance(TODAY)[self.payer_c.id], {"1_30": 400.0})
        self.assertEqual(self.balance(days_ago(1))[self.payer_c.id], {"1_30": 600.0})

    def test_past_date(self):
        """On 5 June: the partial payment (10 June) and the full one (13 June)
        had not come, the invoice of 12 June did not exist, each installment
        was ten days less late."""
        self.assertEqual(
            self.balance(days_ago(10)),
            {
                self.payer_a.id: {"not_due": 1000.0, "31_60": 2000.0},
                self.payer_b.id: {"not_due": 400.0, "61_90": 3000.0},
                self.payer_c.id: {"31_60": 700.0},
            },
        )
        self.assertEqual(self.balance(days_ago(200)), {})

    def test_wizard_rows_sorted_by_total(self):
        wizard = self.env["relance.aged.balance.wizard"].create({"date": TODAY})
        self.assertEqual(wizard.company_id, self.company_a)
        values = wizard._aged_balance_values()
        self.assertEqual(
            [(row["payer"], row["amounts"], row["total"]) for row in values["rows"]],
            [
                (self.payer_b, [400.0, 0.0, 0.0, 0.0, 3000.0], 3400.0),
                (self.payer_a, [0.0, 1000.0, 1500.0, 0.0, 0.0], 2500.0),
                (self.payer_c, [0.0, 600.0, 0.0, 0.0, 0.0], 600.0),
            ],
        )
        self.assertEqual(values["totals"], [400.0, 1600.0, 1500.0, 0.0, 3000.0])
        open_total = sum(
            self.open_lines([("company_id", "=", self.company_a.id)]).mapped("amount_residual")
        )
        self.assertEqual(values["total"], open_total)
        self.assertEqual(values["total"], 6500.0)
        self.assertEqual(
            values["headers"], ["Not due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"]
        )
        self.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        action = wizard.action_print()
        self.assertEqual(action["report_name"], "optim_relance.report_aged_balance")
        self.assertEqual(action["context"]["active_ids"], wizard.ids)

    def test_auditor_and_employee(self):
        auditor = self.make_user("relance_aged_auditor", "account.group_account_readonly")
        wizard = self.env["relance.aged.balance.wizard"].with_user(auditor).create({})
        self.assertEqual(wizard._aged_balance_values()["total"], 6500.0)
        dashboard = self.env["relance.dashboard"].with_user(auditor).create({})
        self.assertEqual(dashboard.receivable_amount, 6500.0)
        # Nothing for an employee without accounting rights.
        with self.assertRaises(AccessError):
            self.env["relance.dashboard"].with_user(self.basic_user).create({})
        with self.assertRaises(AccessError):
            self.env["relance.aged.balance.wizard"].with_user(self.basic_user).create({})
        # Another user's dashboard is not readable.
        with self.assertRaises(AccessError):
            dashboard.with_user(self.invoice_user).read(["receivable_amount"])

    def test_other_company_user_sees_none_of_company_a(self):
        Line = self.Line.with_user(self.user_b)
        self.assertEqual(
            Line._reminder_aged_balance(TODAY, self.company_b), {self.payer_a.id: {"1_30": 999.0}}
        )
        with self.assertRaises(UserError) as catcher:
            Line._reminder_aged_balance(TODAY, self.company_a)
        self.assertEqual(
            str(catcher.exception), f"You cannot see the receivables of {self.company_a.name}."
        )
        Wizard = self.env["relance.aged.balance.wizard"].with_user(self.user_b)
        self.assertEqual(Wizard.create({}).company_id, self.company_b)
        with self.assertRaises(UserError):
            Wizard.create({"company_id": self.company_a.id})
        dashboard = self.env["relance.dashboard"].with_user(self.user_b).create({})
        self.assertEqual(dashboard.company_id, self.company_b)
        self.assertEqual((dashboard.receivable_amount, dashboard.late_amount), (999.0, 999.0))
        with self.assertRaises(UserError):
            self.env["relance.dashboard"].with_user(self.user_b).create(
                {"company_id": self.company_a.id}
            )
        # The payer's figures: company B's only.
        payer = self.payer_a.with_user(self.user_b)
        self.assertEqual(
            (payer.reminder_aging_1_30, payer.reminder_aging_31_60, payer.reminder_total_due),
            (999.0, 0.0, 999.0),
        )


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestDashboard(RelanceCase):
    """Payer A: 1,000 due 40 days ago (level 1), 2,000 due 10 days ago (a
    promise pending). Payer B: 3,000 due 100 days ago (level 3, a promise
    broken). Payer C: 500 not due (a dispute) and a credit note of 200."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a1 = cls.installments(cls.create_late_invoice(cls.payer_a, 40, amount=1000.0))
        cls.a2 = cls.installments(cls.create_late_invoice(cls.payer_a, 10, amount=2000.0))
        cls.b1 = cls.installments(cls.create_late_invoice(cls.payer_b, 100, amount=3000.0))
        cls.c1 = cls.installments(
            cls.create_invoice(
                cls.payer_c,
                amounts=(500.0,),
                invoice_date=days_ago(5),
                payment_term=cls.pay_terms_30,
            )
        )
        cls.refund = cls.create_invoice(
            cls.payer_c, amounts=(200.0,), invoice_date=days_ago(3), move_type="out_refund"
        )
        cls.a1._relance_record(1, days_ago(30), "manual")
        for level, days in ((1, 80), (2, 60), (3, 40)):
            cls.b1._relance_record(level, days_ago(days), "manual")
        cls.a2._relance_promise(days_ago(-5), 2000.0)
        with freeze_time("2024-06-10 12:00:00"):
            cls.b1._relance_promise(days_ago(3), 3000.0)
        cls.c1.write({"reminder_block_reason": "dispute", "reminder_block_note": "Réserves"})

    def figures(self, dashboard):
        return dashboard.read(
            [
                "receivable_amount",
                "late_amount",
                "late_percent",
                "weighted_days_late",
                "sales_amount",
                "dso_days",
                "payer_level_1_count",
                "payer_level_2_count",
                "payer_level_3_count",
                "dispute_count",
                "promise_count",
                "promise_broken_count",
            ]
        )[0]

    def test_figures(self):
        dashboard = self.env["relance.dashboard"].create({})
        figures = self.figures(dashboard)
        figures.pop("id")
        late = 1000.0 + 2000.0 + 3000.0
        sales = 1000.0 + 2000.0 + 500.0 - 200.0  # the invoice of 100 days ago is older
        self.assertEqual(
            figures,
            {
                "receivable_amount": 6500.0,
                "late_amount": late,
                "late_percent": round(late * 100 / 6500.0, 1),
                "weighted_days_late": (1000.0 * 40 + 2000.0 * 10 + 3000.0 * 100) / late,
                "sales_amount": sales,
                "dso_days": round(6500.0 / sales * 90, 1),
                "payer_level_1_count": 1,
                "payer_level_2_count": 0,
                "payer_level_3_count": 1,
                "dispute_count": 1,
                "promise_count": 1,
                "promise_broken_count": 1,
            },
        )
        self.assertEqual((figures["late_percent"], figures["dso_days"]), (92.3, 177.3))
        self.assertEqual(figures["weighted_days_late"], 60.0)

    def listed(self, action):
        """What the list ``action`` opens shows: its domain and the filters
        its context turns on, as the search view defines them."""
        arch = etree.fromstring(self.env.ref("optim_relance.view_move_line_relance_search").arch)
        domain = list(action["domain"])
        for key in action["context"]:
            name = key.removeprefix("search_default_")
            node = arch.find(f".//filter[@name='{name}']")
            if node is not None and node.get("domain"):
                domain += safe_eval(node.get("domain"), {"uid": self.env.uid})
        return self.Line.search(domain)

    def test_each_figure_opens_its_list(self):
        dashboard = self.env["relance.dashboard"].create({})

        def opened(figure):
            return dashboard.with_context(figure=figure).action_open_figure()

        for figure, expected, count in (
            ("receivable", self.a1 | self.a2 | self.b1 | self.c1, None),
            ("late", self.a1 | self.a2 | self.b1, None),
            ("level_1", self.a1 | self.a2, dashboard.payer_level_1_count),
            ("level_2", self.Line, dashboard.payer_level_2_count),
            ("level_3", self.b1, dashboard.payer_level_3_count),
            ("disputes", self.c1, dashboard.dispute_count),
            ("promises", self.a2, dashboard.promise_count),
            ("promises_broken", self.b1, dashboard.promise_broken_count),
        ):
            action = opened(figure)
            self.assertEqual(action["res_model"], "account.move.line")
            listed = self.listed(action)
            self.assertEqual(listed, expected, figure)
            if figure.startswith("level_"):
                self.assertEqual(len(listed.reminder_payer_id), count, figure)
            elif count is not None:
                self.assertEqual(len(listed), count, figure)
        self.assertEqual(sum(self.listed(opened("receivable")).mapped("amount_residual")), 6500.0)
        self.assertEqual(sum(self.listed(opened("late")).mapped("amount_residual")), 6000.0)
        sales = opened("sales")
        self.assertEqual(sales["res_model"], "account.move")
        self.assertEqual(
            self.env["account.move"].search(sales["domain"]),
            (self.a1 | self.a2 | self.c1).move_id | self.refund,
        )
        effectiveness = opened("effectiveness")
        self.assertEqual(effectiveness["res_model"], "relance.history")
        for figure in ("everything", ["late"], {"a": 1}):
            with self.assertRaises(UserError):
                opened(figure)

    def test_a_payer_is_at_its_highest_level(self):
        """Payer B, at level 3 on one installment and level 1 on another, is
        at level 3: its two installments are listed there, not at level 1."""
        b2 = self.installments(self.create_late_invoice(self.payer_b, 50, amount=100.0))
        b2._relance_record(1, days_ago(20), "manual")
        dashboard = self.env["relance.dashboard"].create({})
        self.assertEqual((dashboard.payer_level_1_count, dashboard.payer_level_3_count), (1, 1))
        level_1 = dashboard.with_context(figure="level_1").action_open_figure()
        level_3 = dashboard.with_context(figure="level_3").action_open_figure()
        self.assertEqual(self.listed(level_1), self.a1 | self.a2)
        self.assertEqual(self.listed(level_3), self.b1 | b2)

    def test_queries_do_not_grow_with_payers(self):
        def count_queries():
            dashboard = self.env["relance.dashboard"].create({})
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.figures(dashboard)
            self.assertTrue(dashboard.effectiveness_html)
            return self.env.cr.sql_log_count - before

        # Counted once the caches (templates, fields, rules) are warm.
        count_queries()
        first = count_queries()
        payers = self.env["res.partner"].create([{"name": f"Payer {i}"} for i in range(6)])
        for index, payer in enumerate(payers):
            line = self.installments(self.create_late_invoice(payer, 20 + index, amount=100.0))
            line._relance_record(1, days_ago(5), "manual")
        count_queries()
        self.assertEqual(count_queries(), first)
        self.assertLess(first, 15)


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestEffectiveness(RelanceCase):
    """Reminders of 40, 60 and 35 days ago and the payments that followed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        History = cls.env["relance.history"]

        def line(amount, days_late, payer=None):
            invoice = cls.create_late_invoice(payer or cls.payer_a, days_late, amount=amount)
            return cls.installments(invoice)

        # X: level 1 email, paid 600 ten days later, 400 after 25 days.
        cls.x = line(1000.0, 50)
        cls.hx = cls.x._relance_record(1, days_ago(40), "email")
        cls.pay(cls.x, amount=600.0, payment_date=days_ago(30))
        cls.last_x_payment = cls.pay(cls.x, amount=400.0, payment_date=days_ago(15))
        # Y: level 1 PDF, unpaid.
        cls.y = line(2000.0, 50)
        cls.hy = cls.y._relance_record(1, days_ago(40), "pdf")
        # Z: level 1 PDF, level 2 email, paid in full 5 days ago.
        cls.z = line(4000.0, 90, cls.payer_b)
        cls.hz1 = cls.z._relance_record(1, days_ago(60), "pdf")
        cls.hz2 = cls.z._relance_record(2, days_ago(35), "email")
        cls.pay(cls.z, payment_date=days_ago(5))
        # W: level 1 email, settled by a credit note: nothing recovered.
        cls.w = line(800.0, 50, cls.payer_c)
        cls.hw = cls.w._relance_record(1, days_ago(40), "email")
        refund = cls.create_invoice(
            cls.payer_c, amounts=(800.0,), invoice_date=days_ago(20), move_type="out_refund"
        )
        (
            cls.w | refund.line_ids.filtered(lambda item: item.account_id == cls.w.account_id)
        ).reconcile()
        # V: 300 paid before its level 1 email (700 reminded), 700 five days after.
        cls.v = line(1000.0, 50, cls.payer_c)
        cls.pay(cls.v, amount=300.0, payment_date=days_ago(45))
        cls.hv = cls.v._relance_record(1, days_ago(40), "email")
        cls.pay(cls.v, amount=700.0, payment_date=days_ago(35))
        # F: 1,000 EUR invoiced at 2 EUR per dollar (500.00), Word letter, paid
        # at 2.5 (400.00): the 100.00 exchange difference is not money.
        eur = cls.setup_other_currency(
            "EUR", rates=[(str(days_ago(60)), 2.0), (str(days_ago(35)), 2.5)]
        )
        cls.f = cls.installments(
            cls.create_invoice(
                cls.payer_b, amounts=(1000.0,), invoice_date=days_ago(50), currency=eur
            )
        )
        cls.hf = cls.f._relance_record(1, days_ago(40), "word")
        cls.pay(cls.f, payment_date=days_ago(30))
        # U: Word letter, 600 paid 5 days later, the rest settled by a credit
        # note 30 days after the reminder: settled that day, 600 recovered.
        cls.u = line(1000.0, 50, cls.payer_b)
        cls.hu = cls.u._relance_record(1, days_ago(40), "word")
        cls.pay(cls.u, amount=600.0, payment_date=days_ago(35))
        refund = cls.create_invoice(
            cls.payer_b, amounts=(400.0,), invoice_date=days_ago(10), move_type="out_refund"
        )
        (
            cls.u | refund.line_ids.filtered(lambda item: item.account_id == cls.u.account_id)
        ).reconcile()
        # A date correction is not a reminder.
        cls.correction = History._log_corrections([(cls.y, 1, days_ago(40), days_ago(40))])
        cls.reminders = cls.hx | cls.hy | cls.hz1 | cls.hz2 | cls.hw | cls.hv | cls.hf | cls.hu

    def recovery(self, history):
        return [
            (
                h.amount_residual,
                h.paid_date,
                h.paid_within_days,
                h.amount_recovered_15,
                h.amount_recovered_30,
                h.amount_recovered,
            )
            for h in history
        ]

    def test_per_reminder(self):
        self.assertTrue(self.w.reconciled and self.f.reconciled and self.u.reconciled)
        # The exchange difference of F is a match of its own.
        self.assertEqual(sorted(self.f.matched_credit_ids.mapped("amount")), [100.0, 400.0])
        self.assertEqual(
            self.recovery(self.reminders),
            [
                (1000.0, days_ago(15), 25, 600.0, 1000.0, 1000.0),
                (2000.0, False, 0, 0.0, 0.0, 0.0),
                (4000.0, days_ago(5), 55, 0.0, 0.0, 4000.0),
                (4000.0, days_ago(5), 30, 0.0, 4000.0, 4000.0),
                (800.0, False, 0, 0.0, 0.0, 0.0),
                (700.0, days_ago(35), 5, 700.0, 700.0, 700.0),
                (500.0, days_ago(30), 10, 400.0, 400.0, 400.0),
                (1000.0, days_ago(10), 30, 600.0, 600.0, 600.0),
            ],
        )
        self.assertEqual(self.recovery(self.correction), [(2000.0, False, 0, 0.0, 0.0, 0.0)])

    def test_unmatching_a_payment_updates_the_reminder(self):
        self.last_x_payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(self.recovery(self.hx), [(1000.0, False, 0, 600.0, 600.0, 600.0)])

    def test_pivot_per_level_and_channel(self):
        """Averages of the days to payment over settled reminders only."""
        History = self.env["relance.history"]
        domain = [("id", "in", self.reminders.ids)]
        groups = History._read_group(
            domain,
            ["level", "channel"],
            [
                "__count",
                "amount_residual:sum",
                "amount_recovered_15:sum",
                "amount_recovered_30:sum",
                "paid_within_days:avg",
            ],
        )
        self.assertEqual(
            groups,
            [
                (1, "email", 3, 2500.0, 1300.0, 1700.0, (25 + 5) / 2),
                (1, "pdf", 2, 6000.0, 0.0, 0.0, 55.0),
                (1, "word", 2, 1500.0, 1000.0, 1000.0, (10 + 30) / 2),
                (2, "email", 1, 4000.0, 0.0, 4000.0, 30.0),
            ],
        )
        # The menu's action and the dashboard's link leave the correction out.
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optim_relance.action_relance_effectiveness"
        )
        self.assertEqual(action["view_mode"].split(",")[:2], ["pivot", "graph"])
        link = (
            self.env["relance.dashboard"]
            .create({})
            .with_context(figure="effectiveness")
            .action_open_figure()
        )
        everything = self.reminders | self.correction
        for domain in (safe_eval(action["domain"]), link["domain"]):
            self.assertEqual(
                History.search([*domain, ("id", "in", everything.ids)]), self.reminders
            )
        description = History.fields_get(["paid_within_days"], ["groupable", "aggregator"])
        self.assertEqual(description["paid_within_days"]["aggregator"], "avg")

    def test_dashboard_rows(self):
        dashboard = self.env["relance.dashboard"].create({})
        self.assertEqual(
            dashboard._effectiveness_rows(),
            [
                {
                    "level": 1,
                    "channel": "Email",
                    "count": 3,
                    "amount": 2500.0,
                    "share_15": 52.0,
                    "share_30": 68.0,
                },
                {
                    "level": 1,
                    "channel": "PDF letter",
                    "count": 2,
                    "amount": 6000.0,
                    "share_15": 0.0,
                    "share_30": 0.0,
                },
                {
                    "level": 1,
                    "channel": "Word letter",
                    "count": 2,
                    "amount": 1500.0,
                    "share_15": 66.7,
                    "share_30": 66.7,
                },
                {
                    "level": 2,
                    "channel": "Email",
                    "count": 1,
                    "amount": 4000.0,
                    "share_15": 0.0,
                    "share_30": 100.0,
                },
            ],
        )
        text = squash(html2plaintext(dashboard.effectiveness_html))
        self.assertIn(squash(f"1 Email 3 {self.fmt(2500)} 52.0 % 68.0 %"), text)
        self.assertIn(squash(f"2 Email 1 {self.fmt(4000)} 0.0 % 100.0 %"), text)
        # Older than 12 months: left out (the level 2 of 35 days ago is not).
        with freeze_time("2025-05-08 12:00:00"):
            dashboard = self.env["relance.dashboard"].create({})
            self.assertEqual(
                [(row["level"], row["channel"]) for row in dashboard._effectiveness_rows()],
                [(2, "Email")],
            )


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestPayerRating(RelanceCase):
    """Payer A paid 20 and 2 days late (and once more than a year ago);
    payer B 45 days late and once early; payer C never paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay(cls.create_late_invoice(cls.payer_a, 60, amount=1000.0), payment_date=days_ago(40))
        cls.pay(cls.create_late_invoice(cls.payer_a, 30, amount=3000.0), payment_date=days_ago(28))
        cls.pay(
            cls.create_late_invoice(cls.payer_a, 420, amount=5000.0), payment_date=days_ago(380)
        )
        cls.pay(cls.create_late_invoice(cls.payer_b, 50, amount=2000.0), payment_date=days_ago(5))
        early = cls.create_invoice(
            cls.payer_b, amounts=(1000.0,), invoice_date=days_ago(10), payment_term=cls.pay_terms_30
        )
        cls.pay(early, payment_date=days_ago(5))
        cls.open_c = cls.installments(cls.create_late_invoice(cls.payer_c, 5, amount=100.0))
        cls.open_b = cls.installments(cls.create_late_invoice(cls.payer_b, 5, amount=100.0))

    def ratings(self):
        payers = self.payer_a | self.payer_b | self.payer_c
        payers.invalidate_recordset()
        return [(p.reminder_payment_delay, p.reminder_rating) for p in payers]

    def test_average_delay_and_badge(self):
        self.assertEqual(
            self.company.read(["reminder_rating_slow_days", "reminder_rating_bad_days"])[0],
            {
                "id": self.company.id,
                "reminder_rating_slow_days": 10,
                "reminder_rating_bad_days": 30,
            },
        )
        delay_a = (1000.0 * 20 + 3000.0 * 2) / 4000.0
        delay_b = (2000.0 * 45 + 1000.0 * 0) / 3000.0
        self.assertEqual((delay_a, delay_b), (6.5, 30.0))
        self.assertEqual(self.ratings(), [(6.5, "good"), (30.0, "slow"), (0.0, False)])
        self.company.write({"reminder_rating_slow_days": 5, "reminder_rating_bad_days": 29})
        self.assertEqual(self.ratings(), [(6.5, "slow"), (30.0, "bad"), (0.0, False)])
        # The payer panel shows the same badge.
        self.assertEqual(
            (self.open_b.reminder_payer_rating, self.open_b.reminder_payer_payment_delay),
            ("bad", 30.0),
        )
        self.assertFalse(self.open_c.reminder_payer_rating)

    def test_thresholds_in_order(self):
        before = self.company.read(["reminder_rating_slow_days", "reminder_rating_bad_days"])
        with self.assertRaises(ValidationError) as catcher:
            self.company.write({"reminder_rating_slow_days": 40})
        self.assertEqual(
            str(catcher.exception),
            "The bad payer threshold cannot be below the slow payer threshold, nor either below 0.",
        )
        self.company.invalidate_recordset()
        self.assertEqual(
            self.company.read(["reminder_rating_slow_days", "reminder_rating_bad_days"]), before
        )
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            (settings.reminder_rating_slow_days, settings.reminder_rating_bad_days), (10, 30)
        )


@tagged("post_install", "-at_install")
class TestAnalysisInBrowser(RelanceCase, HttpCase):
    """The aged balance PDF read back, and the dashboard in a tour, on the
    real today, shared with the browser and wkhtmltopdf."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["relance.wizard"])
        cls.create_late_invoice(cls.payer_a, 10, amount=1000.0)
        cls.create_late_invoice(cls.payer_a, 95, amount=2500.0)
        cls.create_invoice(cls.payer_b, amounts=(300.0,), payment_term=cls.pay_terms_30)
        cls.tour_user = cls.make_user(
            "relance_dashboard_tour", "base.group_user,account.group_account_invoice"
        )

    def test_aged_balance_pdf_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["optim_relance"], ["fr_FR"])
        wizard = self.env["relance.aged.balance.wizard"].with_context(lang="fr_FR").create({})
        pdf, _format = (
            self.env["ir.actions.report"]
            .with_context(lang="fr_FR", force_report_rendering=True)
            ._render_qweb_pdf("optim_relance.action_report_aged_balance", wizard.ids)
        )
        text = squash(pdf_text(pdf))
        date_text = format_date(self.env(context={"lang": "fr_FR"}), self.today)

        def fr(amount):
            return format_amount(self.env, amount, self.currency, lang_code="fr_FR")

        expected = [
            f"Balance âgée clients au {date_text}",
            "Payeur Non échu 1 à 30 jours 31 à 60 jours 61 à 90 jours Plus de 90 jours Total",
            f"{self.payer_a.name} {fr(1000)} {fr(2500)} {fr(3500)}",
            f"{self.payer_b.name} {fr(300)} {fr(300)}",
            f"Total {fr(300)} {fr(1000)} {fr(0)} {fr(0)} {fr(2500)} {fr(3800)}",
        ]
        for part in expected:
            self.assertIn(squash(part), text)
        # Largest total first.
        self.assertLess(text.index(self.payer_a.name), text.index(self.payer_b.name))

    def test_dashboard_tour(self):
        self.start_tour("/odoo", "optim_relance_dashboard_tour", login=self.tour_user.login)
