"""The day's worklist: each installment's next level, the date it becomes
due by the levels' delays, and whether it is to remind today."""

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import html2plaintext

from ..wizard import relance_wizard
from .common import FROZEN_NOW, TODAY, RelanceCase, days_ago
from .test_relance_wizard import fake_render_pdf


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestWorklist(RelanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.levels = {
            level: cls.env["relance.level"]._get_for(level, cls.company) for level in (1, 2, 3)
        }
        cls.manager = cls.make_user("worklist_manager", "account.group_account_manager")

        def late(days):
            return cls.installments(cls.create_late_invoice(cls.payer_a, days))

        cls.never_40 = late(40)  # level 1 due 10 days after its due date: 30 days ago
        cls.never_5 = late(5)  # level 1 due in 5 days
        cls.due_today = cls.installments(cls.create_invoice(cls.payer_b))  # not late yet
        cls.level1_old = late(60)
        cls.level1_old._relance_record(1, days_ago(20), "manual")  # level 2 due 5 days ago
        cls.level1_recent = late(50)
        cls.level1_recent._relance_record(1, days_ago(5), "manual")  # level 2 in 10 days
        cls.level2 = late(90)
        cls.level2._relance_record(1, days_ago(60), "manual")
        cls.level2._relance_record(2, days_ago(15), "manual")  # level 3 due today
        cls.level3 = late(120)
        cls.level3._relance_record(1, days_ago(90), "manual")
        cls.level3._relance_record(2, days_ago(60), "manual")
        cls.level3._relance_record(3, days_ago(30), "manual")
        cls.paid = late(45)
        cls.pay(cls.paid)
        cls.lines = (
            cls.never_40
            | cls.never_5
            | cls.due_today
            | cls.level1_old
            | cls.level1_recent
            | cls.level2
            | cls.level3
            | cls.paid
        )

    def next_of(self, line):
        line.invalidate_recordset()
        return line.reminder_next_level, line.reminder_next_date, line.reminder_to_do

    def test_shipped_delays(self):
        self.assertEqual([self.levels[level].delay_days for level in (1, 2, 3)], [10, 15, 15])

    def test_next_level_and_date(self):
        self.assertEqual(self.next_of(self.never_40), (1, days_ago(30), True))
        self.assertEqual(self.next_of(self.never_5), (1, TODAY + timedelta(days=5), False))
        self.assertEqual(self.next_of(self.due_today), (1, TODAY + timedelta(days=10), False))
        self.assertEqual(self.next_of(self.level1_old), (2, days_ago(5), True))
        self.assertEqual(self.next_of(self.level1_recent), (2, TODAY + timedelta(days=10), False))
        self.assertEqual(self.next_of(self.level2), (3, TODAY, True))
        self.assertEqual(self.next_of(self.level3), (0, False, False))
        # Paid: its next level is computed, it is not to remind.
        self.assertEqual(self.next_of(self.paid), (1, days_ago(35), False))

    def test_delay_edited_changes_the_worklist_at_once(self):
        self.levels[2].with_user(self.manager).delay_days = 30
        self.assertEqual(self.next_of(self.level1_old), (2, TODAY + timedelta(days=10), False))
        self.assertFalse(self.search([("reminder_to_do", "=", True)]) & self.level1_old)
        self.levels[1].with_user(self.manager).delay_days = 0
        # At the earliest the day after the due date (only late ones are reminded).
        self.assertEqual(self.next_of(self.never_5), (1, days_ago(4), True))
        self.assertEqual(self.next_of(self.due_today), (1, TODAY + timedelta(days=1), False))
        # And the day after the previous level: one level a day.
        self.levels[3].with_user(self.manager).delay_days = 0
        self.level1_recent._relance_record(2, TODAY, "manual")
        self.assertEqual(self.next_of(self.level1_recent), (3, TODAY + timedelta(days=1), False))

    def test_backfilled_date_moves_the_next_date(self):
        self.never_5.invalidate_recordset()
        self.never_40._relance_record(1, days_ago(3), "manual")
        self.assertEqual(self.next_of(self.never_40), (2, TODAY + timedelta(days=12), False))

    def search(self, domain, order=None):
        return self.Line.search([("id", "in", self.lines.ids), *domain], order=order)

    def test_searches_match_the_values(self):
        expected_to_do = self.never_40 | self.level1_old | self.level2
        self.assertEqual(self.search([("reminder_to_do", "=", True)]), expected_to_do)
        self.assertEqual(self.search([("reminder_to_do", "=", False)]), self.lines - expected_to_do)
        self.assertEqual(self.search([("reminder_to_do", "!=", True)]), self.lines - expected_to_do)
        self.assertEqual(
            self.search([("reminder_next_level", "=", 2)]), self.level1_old | self.level1_recent
        )
        self.assertEqual(self.search([("reminder_next_level", "=", 0)]), self.level3)
        self.assertEqual(
            self.search([("reminder_next_level", "in", [0, 3])]), self.level2 | self.level3
        )
        self.assertEqual(
            self.search([("reminder_next_level", "not in", [1, 2])]), self.level2 | self.level3
        )
        self.assertEqual(self.search([("reminder_next_level", "in", [])]), self.Line)
        self.assertEqual(self.search([("reminder_next_level", "not in", [])]), self.lines)
        # Inside a larger domain too (an empty list is a constant leaf).
        self.assertEqual(
            self.search(["|", ("reminder_next_level", "in", []), ("reminder_next_level", "=", 0)]),
            self.level3,
        )
        self.assertEqual(self.search([("reminder_next_level", "in", 3)]), self.level2)
        self.assertEqual(self.search([("reminder_next_date", "in", [False])]), self.level3)
        self.assertEqual(
            self.search([("reminder_next_date", "in", [False, TODAY])]), self.level2 | self.level3
        )
        self.assertEqual(
            self.search([("reminder_next_date", "not in", [False, TODAY])]),
            self.lines - self.level2 - self.level3,
        )
        self.assertEqual(self.search([("reminder_next_date", "=", False)]), self.level3)
        self.assertEqual(
            self.search([("reminder_next_date", "not in", [TODAY])]), self.lines - self.level2
        )
        self.assertEqual(
            self.search([("reminder_next_date", "<=", TODAY), ("reminder_next_level", ">", 0)]),
            self.never_40 | self.level1_old | self.level2 | self.paid,
        )
        # Sorted by next date as the list sorts it (no date last).
        ordered = self.search([], order="reminder_next_date, id")
        dates = [line.reminder_next_date for line in ordered]
        self.assertEqual(dates, sorted(dates, key=lambda d: (d is False, d or TODAY)))
        for line in self.lines:
            with self.subTest(line=line.move_id.name):
                self.assertEqual(
                    line in self.search([("reminder_to_do", "=", True)]), line.reminder_to_do
                )

    def test_bad_searches_are_refused_in_french_terms(self):
        for domain in (
            [("reminder_next_date", "<", "zzz")],
            [("reminder_next_level", "in", ["x"])],
            [("reminder_next_level", "like", 1)],
            [("reminder_to_do", ">", 1)],
            [("reminder_next_date", "<", False)],
        ):
            with self.subTest(domain=domain), self.assertRaises(UserError):
                self.Line.search(domain)

    def test_only_managers_edit_delays(self):
        with self.assertRaises(AccessError):
            self.levels[1].with_user(self.invoice_user).delay_days = 1
        self.levels[1].invalidate_recordset()
        self.assertEqual(self.levels[1].delay_days, 10)
        # The worklist itself reads for every invoicing user and auditor.
        auditor = self.make_user("worklist_auditor", "account.group_account_readonly")
        for user in (self.invoice_user, auditor):
            lines = self.never_40.with_user(user)
            self.assertEqual((lines.reminder_next_level, lines.reminder_to_do), (1, True))

    def test_no_query_per_installment(self):
        more = self.installments(
            self.env["account.move"].union(
                *(self.create_late_invoice(self.payer_c, 31 + i) for i in range(27))
            )
        )
        counts = []
        # The first pass warms the caches (rules, levels): not counted.
        for lines in (
            self.never_40,
            self.never_40 | self.level1_old | self.level2,
            more | self.lines,
        ):
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            found = self.Line.search([("id", "in", lines.ids), ("reminder_to_do", "=", True)])
            found.read(["reminder_next_level", "reminder_next_date", "reminder_to_do"])
            counts.append(self.env.cr.sql_log_count - start)
        self.assertEqual(counts[1], counts[2], counts)


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestHolds(RelanceCase):
    """Disputes, promises and excluded payers leave the worklist and are
    skipped by the processing wizard; a hold ends by itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line = cls.installments(cls.create_late_invoice(cls.payer_a, 40))
        cls.other = cls.installments(cls.create_late_invoice(cls.payer_b, 45))

    def to_do(self, lines):
        lines.invalidate_recordset()
        found = self.Line.search([("id", "in", lines.ids), ("reminder_to_do", "=", True)])
        self.assertEqual(found, lines.filtered("reminder_to_do"))
        return found

    def test_dispute_without_end_date(self):
        self.line.with_user(self.invoice_user).write(
            {"reminder_block_reason": "dispute", "reminder_block_note": "Réserve au PV"}
        )
        self.assertTrue(self.line.reminder_blocked)
        self.assertEqual(self.to_do(self.line | self.other), self.other)
        self.assertEqual(
            self.Line.search(
                [("id", "in", (self.line | self.other).ids), ("reminder_blocked", "=", True)]
            ),
            self.line,
        )
        wizard = self.make_wizard(self.line | self.other)
        _batch, skipped = wizard._prepare_batch()
        self.assertEqual(dict(skipped), {self.line: "Dispute: Réserve au PV"})
        # The backfill still records an earlier reminder on it.
        self.line._relance_record(1, days_ago(20), "manual", note="Appel")
        self.assertEqual(self.reminder_dates(self.line)[3], 1)

    def test_hold_ends_by_itself(self):
        self.line.write({"reminder_block_reason": "promise", "reminder_block_until": days_ago(-3)})
        self.assertEqual(self.to_do(self.line), self.Line)
        _batch, skipped = self.make_wizard(self.line)._prepare_batch()
        self.assertEqual(
            dict(skipped), {self.line: f"Payment promise until {self.fmt_date(days_ago(-3))}"}
        )
        with freeze_time("2024-06-18 12:00:00"):  # its last day
            self.assertTrue(self.line.with_context(tz="UTC").reminder_blocked)
        with freeze_time("2024-06-19 12:00:00"):  # the day after: chased again
            self.line.invalidate_recordset()
            self.assertFalse(self.line.reminder_blocked)
            self.assertEqual(self.to_do(self.line), self.line)
            batch, skipped = self.make_wizard(
                self.line, date=TODAY + timedelta(days=4)
            )._prepare_batch()
            self.assertEqual((len(batch), skipped), (1, []))

    def test_my_payers(self):
        self.payer_a.reminder_collector_id = self.invoice_user
        self.assertEqual(self.line.reminder_payer_collector_id, self.invoice_user)
        domain = [
            ("id", "in", (self.line | self.other).ids),
            ("reminder_payer_id.reminder_collector_id", "=", self.invoice_user.id),
        ]
        self.assertEqual(self.Line.with_user(self.invoice_user).search(domain), self.line)

    def test_excluded_payer(self):
        self.line.with_user(self.invoice_user).reminder_payer_excluded = True
        self.assertTrue(self.payer_a.reminder_excluded)
        self.assertEqual(self.to_do(self.line | self.other), self.other)
        _batch, skipped = self.make_wizard(self.line | self.other, level=1)._prepare_batch()
        self.assertEqual(dict(skipped), {self.line: "Payer excluded from reminders"})
        self.assertEqual(
            self.Line.search(
                [
                    ("id", "in", (self.line | self.other).ids),
                    ("reminder_payer_id.reminder_excluded", "=", True),
                ]
            ),
            self.line,
        )

    def test_refused_holds(self):
        with self.assertRaises(AccessError):
            self.line.with_user(self.basic_user).write({"reminder_block_reason": "dispute"})
        with self.assertRaises(ValidationError):
            self.line.write({"reminder_block_note": "Sans motif"})
        income = self.line.move_id.line_ids.filtered(lambda line: line.display_type == "product")
        with self.assertRaises(ValidationError):
            income.write({"reminder_block_reason": "other"})
        self.line.invalidate_recordset()
        self.assertEqual(
            (self.line.reminder_block_reason, self.line.reminder_block_note), (False, False)
        )


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestPromise(RelanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lines = cls.installments(
            cls.create_late_invoice(cls.payer_a, 60, amount=600.0)
            | cls.create_late_invoice(cls.payer_a, 40, amount=400.0)
        )
        cls.first, cls.second = cls.lines

    def promise(self, lines=None, user=None, **values):
        lines = lines or self.lines
        context = {"active_model": "account.move.line", "active_ids": lines.ids}
        wizard = (
            self.env["relance.promise.wizard"]
            .with_user(user or self.invoice_user)
            .with_context(**context)
            .create({"date": days_ago(-5), "note": "Virement annoncé", **values})
        )
        return wizard, wizard.action_confirm()

    def state(self):
        self.lines.invalidate_recordset()
        return [
            (
                line.reminder_block_reason,
                line.reminder_block_until,
                line.reminder_promise_date,
                line.reminder_promise_amount,
                line.reminder_blocked,
                line.reminder_promise_broken,
                line.reminder_to_do,
            )
            for line in self.lines
        ]

    def test_promise_holds_then_escalates_when_broken(self):
        self.assertEqual([line.reminder_to_do for line in self.lines], [True, True])
        wizard, _action = self.promise(amount=700.0)
        self.assertEqual(wizard.line_ids, self.lines)
        promised = days_ago(-5)
        self.assertEqual(
            self.state(),
            [
                ("promise", promised, promised, 600.0, True, False, False),
                ("promise", promised, promised, 100.0, True, False, False),
            ],
        )
        _batch, skipped = self.make_wizard(self.lines)._prepare_batch()
        reason = f"Payment promise until {self.fmt_date(promised)}: Virement annoncé"
        self.assertEqual(dict(skipped), {self.first: reason, self.second: reason})
        log = self.payer_a.message_ids[0]
        self.assertEqual(
            html2plaintext(log.body),
            f"Payment promise: {self.fmt(700.0)} by {self.fmt_date(promised)} for "
            f"{self.first.move_id.name}, {self.second.move_id.name}. Virement annoncé",
        )
        # The day after the promised date, unpaid: broken, due at once
        # (the level 1 delay would have waited).
        with freeze_time("2024-06-21 12:00:00"):
            self.assertEqual(
                [s[4:] for s in self.state()], [(False, True, True), (False, True, True)]
            )
            # Already due by its delay: that date stays.
            self.assertEqual(self.second.reminder_next_date, days_ago(30))
            found = self.Line.search(
                [("id", "in", self.lines.ids), ("reminder_promise_broken", "=", True)]
            )
            self.assertEqual(found, self.lines)
            # The payer panel counts them.
            self.payer_a.invalidate_recordset()
            self.assertEqual(self.payer_a.reminder_promise_broken_count, 2)
            self.assertEqual(self.first.reminder_payer_promise_broken_count, 2)
        self.payer_a.invalidate_recordset()
        self.assertEqual(self.payer_a.reminder_promise_broken_count, 0)

    def test_broken_promise_does_not_wait_for_the_delay(self):
        recent = self.installments(self.create_late_invoice(self.payer_a, 3))
        self.assertEqual(recent.reminder_next_date, days_ago(-7))  # level 1 delay: 10 days
        self.promise(lines=recent, date=days_ago(-2), amount=1000.0)
        with freeze_time("2024-06-18 12:00:00"):  # the day after the promised date
            recent.invalidate_recordset()
            self.assertEqual(
                (recent.reminder_promise_broken, recent.reminder_next_date, recent.reminder_to_do),
                (True, days_ago(-3), True),
            )
            found = self.Line.search([("id", "in", recent.ids), ("reminder_to_do", "=", True)])
            self.assertEqual(found, recent)

    def test_kept_promise_leaves_the_list(self):
        self.promise(amount=1000.0)
        self.pay(self.lines)
        with freeze_time("2024-06-21 12:00:00"):
            self.assertEqual([s[5:] for s in self.state()], [(False, False), (False, False)])
            self.assertFalse(
                self.Line.search(
                    [("id", "in", self.lines.ids), ("reminder_promise_broken", "=", True)]
                )
            )

    def test_refused_promises(self):
        other = self.installments(self.create_late_invoice(self.payer_b, 40))
        before = self.state()
        for values, lines, error in (
            ({"date": days_ago(1)}, None, ValidationError),
            ({"amount": 0.0}, None, ValidationError),
            ({}, self.lines | other, UserError),
        ):
            with self.subTest(values=values), self.assertRaises(error):
                self.promise(lines=lines, **values)
        with self.assertRaises(AccessError):
            self.promise(user=self.basic_user)
        self.assertEqual(self.state(), before)


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestAutoMode(RelanceCase):
    """The wizard in automatic mode: each installment its own next level, when
    due; one letter per payer, company, currency and level."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def late(payer, days):
            return cls.installments(cls.create_late_invoice(payer, days))

        cls.a_level1 = late(cls.payer_a, 40)  # level 1 due
        cls.a_level2 = late(cls.payer_a, 60)
        cls.a_level2._relance_record(1, days_ago(20), "manual")  # level 2 due
        cls.a_not_due = late(cls.payer_a, 50)
        cls.a_not_due._relance_record(1, days_ago(5), "manual")  # level 2 in 10 days
        cls.b_level3 = late(cls.payer_b, 120)
        cls.b_level3._relance_record(1, days_ago(90), "manual")
        cls.b_level3._relance_record(2, days_ago(60), "manual")
        cls.b_level3._relance_record(3, days_ago(30), "manual")  # nothing more
        cls.lines = cls.a_level1 | cls.a_level2 | cls.a_not_due | cls.b_level3

    def test_opened_from_the_worklist_proposes_auto(self):
        worklist = self.make_wizard(self.lines, domain=[("reminder_to_do", "=", True)])
        self.assertEqual(worklist.level_mode, "auto")
        self.assertEqual(self.make_wizard(self.lines).level_mode, "fixed")

    def test_one_letter_per_level_with_the_rule(self):
        wizard = self.make_wizard(self.lines, level_mode="auto")
        batch, skipped = wizard._prepare_batch()
        self.assertEqual(
            [(payer, wizard._line_level(lines), lines) for payer, _c, _cur, lines in batch],
            [(self.payer_a, 1, self.a_level1), (self.payer_a, 2, self.a_level2)],
        )
        self.assertEqual(
            dict(skipped),
            {
                self.a_not_due: "Next reminder (level 2) on "
                + self.fmt_date(TODAY + timedelta(days=10)),
                self.b_level3: "Already at level 3",
            },
        )
        self.assertIn("Level 2", wizard.preview_html)
        with patch.object(self.LetterClass, "_render_pdf", fake_render_pdf):
            action = wizard.action_confirm()
        self.assertEqual(self.attachment_of_action(action).name, "Reminders - 2024-06-15.pdf")
        letters = self.history_of(self.lines).letter_id
        self.assertEqual(sorted(letters.mapped("level")), [1, 2])
        self.assertEqual(self.reminder_dates(self.a_level1), (TODAY, False, False, 1))
        self.assertEqual(self.reminder_dates(self.a_level2), (days_ago(20), TODAY, False, 2))
        self.assertEqual(self.reminder_dates(self.a_not_due), (days_ago(5), False, False, 1))
        for letter in letters:
            self.assertEqual(
                letter.history_ids.mapped("level"), [letter.level] * len(letter.line_ids)
            )
        # Nothing is due any more: a second run sends nothing.
        with self.assertRaises(UserError):
            self.make_wizard(self.lines, level_mode="auto").action_confirm()

    def test_auto_preview_queries_do_not_grow(self):
        payers = self.payer_a | self.payer_b | self.payer_c
        sets = {
            size: self.installments(
                self.env["account.move"].union(
                    *(self.create_late_invoice(payers[i % 3], 31 + i) for i in range(size))
                )
            )
            for size in (1, 3, 30)
        }
        counts = {}
        for size, lines in sets.items():  # size 1 warms the caches
            wizard = self.make_wizard(lines, level_mode="auto")
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            batch, _skipped = wizard._prepare_batch()
            counts[size] = self.env.cr.sql_log_count - start
            self.assertEqual(sum(len(letter[3]) for letter in batch), size)
        self.assertEqual(counts[3], counts[30], counts)


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestAutoSend(RelanceCase):
    """The scheduled action "Automatic reminders" and its server action on
    the list: the wizard's code in "auto" mode, by email, for the levels a
    manager opted in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Relance Nord")["company"]
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.cron = cls.env.ref("optim_relance.ir_cron_relance_auto")
        levels = cls.env["relance.level"].sudo()  # both companies
        cls.level_of = {
            (company, level): levels._get_for(level, company)
            for company in (cls.company, cls.company_2)
            for level in (1, 2, 3)
        }

        def late(payer, days, company=None):
            return cls.installments(cls.create_late_invoice(payer, days, company=company))

        cls.a_level1 = late(cls.payer_a, 40)  # level 1 due
        cls.a_level2 = late(cls.payer_a, 60)
        cls.a_level2._relance_record(1, days_ago(20), "manual")  # level 2 due
        cls.a_held = late(cls.payer_a, 45)
        cls.a_held.reminder_block_reason = "dispute"
        cls.b_level3 = late(cls.payer_b, 90)
        cls.b_level3._relance_record(1, days_ago(60), "manual")
        cls.b_level3._relance_record(2, days_ago(15), "manual")  # level 3 due today
        cls.c_no_email = late(cls.payer_c, 40)  # level 1 due, no reminder email
        cls.b_company_2 = late(cls.payer_b, 40, company=cls.company_2)  # level 1 due
        cls.lines = (
            cls.a_level1 | cls.a_level2 | cls.a_held | cls.b_level3 | cls.c_no_email
        ) | cls.b_company_2

    def setUp(self):
        super().setUp()
        self.patch(self.LetterClass, "_render_pdf", fake_render_pdf)

    def opt_in(self, *keys, **values):
        for key in keys:
            self.level_of[key].write({"auto_send": True, **values})

    def run_cron(self):
        self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def letters(self):
        return (
            self.env["relance.letter"]
            .sudo()
            .search([("line_ids", "in", self.lines.ids)])
            .sorted(lambda letter: (letter.company_id.id, letter.level))
        )

    def to_do(self):
        self.env.invalidate_all()
        return self.Line.search([("id", "in", self.lines.ids), ("reminder_to_do", "=", True)])

    def test_cron_sends_in_batches(self):
        """One call sends at most AUTO_BATCH_LETTERS letters and tells the
        scheduler what remains; the next call goes on."""
        one, two = self.company, self.company_2
        self.opt_in((one, 1), (one, 2), (two, 1))
        self.patch(relance_wizard, "AUTO_BATCH_LETTERS", 2)
        progress = self.env["ir.cron.progress"]
        self.run_cron()
        # Payer a's two letters of company one; company two waits.
        self.assertEqual(self.letters().line_ids, self.a_level1 | self.a_level2)
        first = progress.search([("cron_id", "=", self.cron.id)], order="id desc", limit=1)
        self.assertEqual((first.done, first.remaining), (2, 1))
        self.run_cron()
        self.assertEqual(self.letters().line_ids, self.a_level1 | self.a_level2 | self.b_company_2)
        second = progress.search([("cron_id", "=", self.cron.id)], order="id desc", limit=1)
        self.assertEqual((second.done, second.remaining), (1, 0))

    def test_a_failing_company_leaves_the_others_sent(self):
        one, two = self.company, self.company_2
        self.opt_in((one, 1), (two, 1))
        # A template that cannot render: company two's level 1 email fails.
        self.level_of[
            (two, 1)
        ].mail_template_id.sudo().body_html = '<p><t t-out="object.no_such_field"/></p>'
        before = self.counts()
        with self.assertLogs("odoo.addons.optim_relance.wizard.relance_wizard", "ERROR") as logs:
            self.run_cron()
        self.assertIn("Automatic reminders of Relance Nord failed", logs.output[0])
        self.assertEqual(
            [(letter.company_id, letter.line_ids) for letter in self.letters()],
            [(one, self.a_level1)],
        )
        # Nothing half-written in company two: no letter, date or history.
        self.assertEqual(self.reminder_dates(self.b_company_2), (False, False, False, 0))
        self.assertFalse(self.history_of(self.b_company_2))
        after = self.counts()
        self.assertEqual(after["relance_letter"], before["relance_letter"] + 1)
        self.assertEqual(after["relance_history"], before["relance_history"] + 1)
        self.assertEqual(after["mail_mail"], before["mail_mail"] + 1)

    @freeze_time("2024-06-15 06:00:00")  # 20:00 on the 14th in Tahiti
    def test_cron_dates_in_the_company_timezone(self):
        self.opt_in((self.company, 1))
        self.company.partner_id.tz = "Pacific/Tahiti"
        self.run_cron()
        yesterday = TODAY - timedelta(days=1)
        self.assertEqual(self.letters().mapped("date"), [yesterday])
        self.assertEqual(self.reminder_dates(self.a_level1), (yesterday, False, False, 1))

    def test_automation_needs_a_template_and_a_contact_activity(self):
        level = self.level_of[(self.company, 1)]
        with self.assertRaises(ValidationError):
            level.write({"auto_send": True, "mail_template_id": False})
        self.assertTrue(level.mail_template_id)
        todo = self.env["mail.activity.type"].create(
            {"name": "Invoice check", "res_model": "account.move"}
        )
        with self.assertRaises(ValidationError):
            level.activity_type_id = todo
        self.assertFalse(level.activity_type_id)

    def test_nothing_is_sent_until_a_level_opts_in(self):
        self.assertFalse(any(self.level_of[key].auto_send for key in self.level_of))
        before = self.counts()
        self.run_cron()
        self.assertEqual(self.counts(), before)

    def test_cron_twice_the_same_day(self):
        one, two = self.company, self.company_2
        self.opt_in((one, 1), (one, 2), (two, 1))
        # Level 2 due the very day of level 1: still never two levels a day.
        self.level_of[(one, 2)].delay_days = 0
        before = self.counts()
        self.run_cron()
        letters = self.letters()
        self.assertEqual(
            [
                (letter.company_id, letter.partner_id, letter.level, letter.output, letter.line_ids)
                for letter in letters
            ],
            [
                (one, self.payer_a, 1, "email", self.a_level1),
                (one, self.payer_a, 2, "email", self.a_level2),
                (two, self.payer_b, 1, "email", self.b_company_2),
            ],
        )
        self.assertEqual(letters.mapped("date"), [TODAY] * 3)
        self.assertEqual(
            letters.mail_id.mapped("email_to"),
            ["compta@alpha.test", "compta@alpha.test", "factures@bravo.test"],
        )
        self.assertEqual(letters.mail_id.mapped("state"), ["outgoing"] * 3)
        self.assertEqual(self.reminder_dates(self.a_level1), (TODAY, False, False, 1))
        self.assertEqual(self.reminder_dates(self.a_level2), (days_ago(20), TODAY, False, 2))
        self.assertEqual(self.reminder_dates(self.b_company_2), (TODAY, False, False, 1))
        # Left for the credit controller: level 3 is not automatic, no email
        # for Charlie; the dispute is not chased at all. Level 2 of a_level1
        # (delay 0) is due tomorrow: one level a day.
        self.assertEqual(self.to_do(), self.b_level3 | self.c_no_email)
        self.assertEqual(self.a_level1.reminder_next_date, TODAY + timedelta(days=1))
        self.assertEqual(self.reminder_dates(self.a_held), (False, False, False, 0))
        after = self.counts()
        self.assertEqual(after["relance_letter"], before["relance_letter"] + 3)
        self.assertEqual(after["mail_mail"], before["mail_mail"] + 3)
        self.assertEqual(after["relance_history"], before["relance_history"] + 3)
        self.run_cron()
        self.assertEqual(self.counts(), after)
        self.assertEqual(self.letters(), letters)

    def test_server_action_on_the_selection(self):
        self.opt_in((self.company, 1), (self.company, 2))
        selection = self.a_level1 | self.c_no_email | self.b_level3
        action = self.env.ref("optim_relance.action_server_relance_auto")
        before = self.counts()
        result = (
            action.with_user(self.invoice_user)
            .with_context(active_model="account.move.line", active_ids=selection.ids)
            .run()
        )
        self.assertEqual(result["params"]["message"], "1 reminder email queued for 1 installment.")
        self.assertEqual(result["params"]["type"], "success")
        letter = self.letters()
        self.assertEqual((letter.line_ids, letter.user_id), (self.a_level1, self.invoice_user))
        self.assertEqual(self.reminder_dates(self.a_level2), (days_ago(20), False, False, 1))
        self.assertEqual(self.counts()["relance_letter"], before["relance_letter"] + 1)
        again = (
            action.with_user(self.invoice_user)
            .with_context(active_model="account.move.line", active_ids=selection.ids)
            .run()
        )
        self.assertEqual(again["params"]["type"], "warning")
        self.assertEqual(self.counts()["relance_letter"], before["relance_letter"] + 1)

    def test_server_action_needs_invoicing_rights(self):
        self.opt_in((self.company, 1))
        action = self.env.ref("optim_relance.action_server_relance_auto")
        before = self.counts()
        with self.assertRaises(AccessError):
            action.with_user(self.basic_user).with_context(
                active_model="account.move.line", active_ids=self.a_level1.ids
            ).run()
        self.assertEqual(self.counts(), before)

    def test_only_managers_opt_in(self):
        level = self.level_of[(self.company, 1)]
        with self.assertRaises(AccessError):
            level.with_user(self.invoice_user).auto_send = True
        self.assertFalse(level.auto_send)

    def test_activity_for_the_collector(self):
        call = self.env.ref("mail.mail_activity_data_call")
        self.level_of[(self.company, 3)].activity_type_id = call
        self.level_of[(self.company, 1)].activity_type_id = call
        self.payer_b.reminder_collector_id = self.invoice_user
        Activity = self.env["mail.activity"]
        before = Activity.search_count([])
        wizard = self.make_wizard(
            self.b_level3 | self.c_no_email | self.a_level1, level_mode="auto"
        )
        wizard.action_confirm()
        activities = Activity.search([("activity_type_id", "=", call.id)], order="res_id")
        expected_deadline = TODAY + timedelta(**{call.delay_unit: call.delay_count})
        self.assertEqual(
            [(act.res_model, act.res_id, act.user_id, act.date_deadline) for act in activities],
            sorted(
                [
                    # payer_b's collector; payer_a and payer_c have none: the sender
                    ("res.partner", self.payer_b.id, self.invoice_user, expected_deadline),
                    ("res.partner", self.payer_a.id, self.env.user, expected_deadline),
                    ("res.partner", self.payer_c.id, self.env.user, expected_deadline),
                ],
                key=lambda row: row[1],
            ),
        )
        self.assertEqual(Activity.search_count([]), before + 3)
        # Level 2 has no activity; a second letter of level 1 to payer_a adds
        # none while its call is planned.
        self.a_held.reminder_block_reason = False
        again = self.make_wizard(self.a_held | self.a_level2, level_mode="auto")
        again.action_confirm()
        self.assertEqual(Activity.search_count([]), before + 3)

    def test_worklist_menu_opens_the_day_filter(self):
        action = self.Line.with_user(self.invoice_user).action_open_relance_worklist()
        self.assertEqual(action["context"], {"search_default_to_do": 1})
        self.assertEqual(action["domain"], self.Line._relance_open_domain())
        self.assertEqual(action["name"], "Today's reminders")
        menu = self.env.ref("optim_relance.menu_relance_worklist")
        self.assertEqual(menu.action, self.env.ref("optim_relance.action_server_relance_worklist"))


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestInvoiceHolds(RelanceCase):
    def test_invoice_shows_its_holds_and_broken_promises(self):
        invoice = self.create_invoice(
            self.payer_a,
            amounts=(1000.0,),
            invoice_date=days_ago(60),
            payment_term=self.pay_terms_split,
        )
        first, second = self.installments(invoice)
        dispute = (
            f"Dispute until {self.fmt_date(TODAY + timedelta(days=30))}: réserve au PV de réception"
        )
        self.assertEqual(invoice.reminder_installment_ids, first | second)
        self.assertFalse(invoice.reminder_hold_text)
        first.write(
            {
                "reminder_block_reason": "dispute",
                "reminder_block_until": TODAY + timedelta(days=30),
                "reminder_block_note": "réserve au PV de réception",
            }
        )
        second.write(
            {
                "reminder_block_reason": "promise",
                "reminder_block_until": days_ago(2),
                "reminder_promise_date": days_ago(2),
                "reminder_promise_amount": 500.0,
            }
        )
        invoice.invalidate_recordset(["reminder_hold_text"])
        self.assertEqual(
            invoice.reminder_hold_text,
            f"{dispute} · Payment promise of {self.fmt_date(days_ago(2))} not kept",
        )
        self.pay(second)
        invoice.invalidate_recordset(["reminder_hold_text"])
        self.assertEqual(invoice.reminder_hold_text, dispute)
        self.payer_a.reminder_excluded = True
        invoice.invalidate_recordset(["reminder_hold_text"])
        self.assertEqual(invoice.reminder_hold_text, f"Payer excluded from reminders · {dispute}")
        self.pay(first)
        invoice.invalidate_recordset(["reminder_hold_text"])
        self.assertFalse(invoice.reminder_hold_text)  # paid: nothing to warn about
