"""The reminder processing wizard: defaults, rules, scope, grouping, one
transaction, no double send, no query per installment.

Documents are stubbed here (``_render_pdf`` returns blank PDFs) except where
the document is the subject: real PDF/Word/email outputs are checked in
``test_relance_outputs``.
"""

import io
import logging
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..tools import relance_docx
from .common import FROZEN_NOW, TODAY, RelanceCase, days_ago

_logger = logging.getLogger(__name__)


def blank_pdf(pages=1):
    """A real (blank) PDF, so the merged download can still be built."""
    from odoo.tools.pdf import PdfFileWriter

    writer = PdfFileWriter()
    for _page in range(pages):
        writer.addBlankPage(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def fake_render_pdf(letters):
    return [(letter, blank_pdf()) for letter in letters]


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestRelanceWizard(RelanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Optim Sud")["company"]
        cls.eur = cls.setup_other_currency("EUR")
        # From here on, the user works in the first company only unless a
        # test says otherwise.
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.level_configs = {
            level: cls.env["relance.level"]._get_for(level, cls.company) for level in (1, 2, 3)
        }

    @contextmanager
    def assert_raises_msg(self, exception, regex):
        """``assertRaises`` (which rolls back to a savepoint, as the request
        would) plus a check of the message; ``assertRaisesRegex`` has no
        savepoint."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), regex)

    def stub_pdf(self):
        return patch.object(self.LetterClass, "_render_pdf", fake_render_pdf)

    def assert_batch(self, wizard, letters, skipped):
        """``_prepare_batch`` gives exactly ``letters`` (in this order) and
        ``skipped`` (as a {line: reason} dict)."""
        got_letters, got_skipped = wizard._prepare_batch()
        # Sorted by payer name; one payer's letters by company then currency.
        letters = sorted(letters, key=lambda letter: (letter[0].name, letter[1].id, letter[2].id))
        self.assertEqual(
            [(p, c, cur, lines.sorted("id")) for p, c, cur, lines in got_letters],
            [(p, c, cur, lines.sorted("id")) for p, c, cur, lines in letters],
        )
        self.assertEqual(len(got_skipped), len(skipped), got_skipped)
        self.assertEqual(dict(got_skipped), skipped)

    # ------------------------------------------------------------------
    # Defaults and constraints
    # ------------------------------------------------------------------
    def test_defaults_and_constraints(self):
        invoice = self.create_late_invoice(self.payer_a, 40)
        line = self.installments(invoice)
        wizard = self.make_wizard(line, domain=[("reminder_days_late", ">", 30)])
        self.assertEqual(wizard.scope, "selected")
        self.assertEqual(wizard.date, TODAY)
        self.assertEqual(wizard.level, 1)
        self.assertEqual(wizard.output, "pdf")
        self.assertEqual(wizard.selected_line_ids, line)
        self.assertEqual(wizard._get_list_domain(), [("reminder_days_late", ">", 30)])

        # Opened without selection (header button, nothing ticked): all lines.
        self.assertEqual(self.make_wizard().scope, "all")
        # Opened from another model: the ids are not installments.
        other = (
            self.env["relance.wizard"]
            .with_context(active_model="res.partner", active_ids=self.payer_a.ids)
            .create({"level": 1, "output": "pdf"})
        )
        self.assertFalse(other.selected_line_ids)

        # The action of the list button carries the selection and the domain.
        action = line.with_context(active_domain=[("reminder_days_late", ">", 30)])
        action = action.action_open_relance_wizard()
        self.assertEqual(action["res_model"], "relance.wizard")
        self.assertEqual(action["target"], "new")
        self.assertEqual(
            action["context"],
            {
                "active_model": "account.move.line",
                "active_ids": line.ids,
                "active_domain": [("reminder_days_late", ">", 30)],
                "default_output": "pdf",
            },
        )

        tomorrow = TODAY + timedelta(days=1)
        with self.assertRaises(ValidationError):
            self.make_wizard(line, date=tomorrow)
        with self.assertRaises(ValidationError):
            wizard.date = tomorrow
        for level in (0, 4):
            with self.assertRaises(ValidationError):
                self.make_wizard(line, level=level)
        # A date in the past is fine.
        self.assertEqual(self.make_wizard(line, date=days_ago(10)).date, days_ago(10))

        wizard.active_domain = "[('reminder_days_late', '>', "
        wizard.scope = "all"
        with self.assertRaises(UserError):
            wizard._prepare_batch()
        wizard.active_domain = "{'not': 'a list'}"
        with self.assertRaises(UserError):
            wizard._prepare_batch()

        # The level proposed is the next one of the selection.
        self.assertEqual(self.make_wizard(line, level=None).level, 1)
        line._relance_record(1, days_ago(20), "manual")
        self.assertEqual(self.make_wizard(line, level=None).level, 2)
        line._relance_record(2, days_ago(10), "manual")
        proposed = self.make_wizard(line, level=None)
        self.assertEqual(proposed.level, 3)

    # ------------------------------------------------------------------
    # Rules: who is reminded, who is skipped and why
    # ------------------------------------------------------------------
    def test_skip_reasons(self):
        make = self.create_late_invoice
        inv_new = make(self.payer_a, 60)
        inv_no_prev = make(self.payer_a, 55)
        inv_prev_later = make(self.payer_a, 50)
        inv_already = make(self.payer_b, 45)
        inv_ok = make(self.payer_b, 40)
        inv_paid = make(self.payer_b, 35)
        inv_other_company = make(self.payer_a, 70, company=self.company_2)
        lines = {
            key: self.installments(invoice)
            for key, invoice in {
                "new": inv_new,
                "no_prev": inv_no_prev,
                "prev_later": inv_prev_later,
                "already": inv_already,
                "ok": inv_ok,
                "paid": inv_paid,
                "other_company": inv_other_company,
            }.items()
        }
        wizard_date = days_ago(5)
        lines["prev_later"]._relance_record(1, days_ago(2), "manual")
        lines["already"]._relance_record(1, days_ago(20), "manual")
        lines["already"]._relance_record(2, days_ago(10), "manual")
        lines["ok"]._relance_record(1, days_ago(20), "manual")
        lines["paid"]._relance_record(1, days_ago(20), "manual")
        self.pay(inv_paid)
        c1_lines = self.Line.union(*(v for k, v in lines.items() if k != "other_company"))

        # Level 2 dated 5 days ago.
        wizard = self.make_wizard(c1_lines, level=2, date=wizard_date)
        self.assert_batch(
            wizard,
            [(self.payer_b, self.company, self.currency, lines["ok"])],
            {
                lines["new"]: "Level rule: no level 1 reminder yet",
                lines["no_prev"]: "Level rule: no level 1 reminder yet",
                lines["prev_later"]: "Level rule: level 1 reminder dated 06/13/2024 is later",
                lines["already"]: "Level 2 already recorded on 06/05/2024",
                lines["paid"]: "Paid or no longer due",
            },
        )
        self.assertEqual(
            (wizard.letter_count, wizard.included_count, wizard.skipped_count), (1, 1, 5)
        )
        # The preview lists the letters and every skipped line with its reason.
        preview = wizard.preview_html
        self.assertIn("Bravo Bâtiment", preview)
        for reason in (
            "Level rule: no level 1 reminder yet",
            "Level rule: level 1 reminder dated 06/13/2024 is later",
            "Level 2 already recorded on 06/05/2024",
            "Paid or no longer due",
        ):
            self.assertIn(reason, preview)
        for invoice in (inv_new, inv_no_prev, inv_prev_later, inv_already, inv_ok, inv_paid):
            self.assertIn(invoice.name, preview)

        # Level 1 today: the fresh lines go, the reminded ones are skipped.
        wizard = self.make_wizard(c1_lines, level=1)
        self.assert_batch(
            wizard,
            [
                (
                    self.payer_a,
                    self.company,
                    self.currency,
                    lines["new"] | lines["no_prev"],
                ),
            ],
            {
                lines["prev_later"]: "Level 1 already recorded on 06/13/2024",
                # Already higher: said so, rather than the level 1 date.
                lines["already"]: "Already at level 2",
                lines["ok"]: "Level 1 already recorded on 05/26/2024",
                lines["paid"]: "Paid or no longer due",
            },
        )

        # By email, a payer without reminder email is skipped, not sent.
        inv_c = make(self.payer_c, 42)
        line_c = self.installments(inv_c)
        wizard = self.make_wizard(lines["new"] | line_c, output="email")
        self.assert_batch(
            wizard,
            [(self.payer_a, self.company, self.currency, lines["new"])],
            {line_c: "Payer without reminder email"},
        )
        self.assertIn("Payer without reminder email", wizard.preview_html)
        self.assertIn("compta@alpha.test", wizard.preview_html)
        # ... but gets its letter on paper.
        wizard.output = "pdf"
        self.assert_batch(
            wizard,
            [
                (self.payer_a, self.company, self.currency, lines["new"]),
                (self.payer_c, self.company, self.currency, line_c),
            ],
            {},
        )

        # A line of a company the user does not work in is never reminded:
        # invisible to the user ...
        wizard = self.make_wizard(lines["new"] | lines["other_company"])
        self.assert_batch(wizard, [(self.payer_a, self.company, self.currency, lines["new"])], {})
        # ... and skipped as "Different company" when the records are visible
        # anyway (superuser in the first company).
        wizard = self.make_wizard(lines["new"] | lines["other_company"], env=self.env(su=True))
        self.assert_batch(
            wizard,
            [(self.payer_a, self.company, self.currency, lines["new"])],
            {lines["other_company"]: "Different company"},
        )

    def test_letters_per_payer_company_currency(self):
        """One letter per (payer, company, currency), sorted by payer: a
        letter never mixes companies or currencies."""
        a1 = self.create_late_invoice(self.payer_a, 40, payment_term=self.pay_terms_split)
        a2 = self.create_late_invoice(self.payer_a, 35)
        a_eur = self.create_late_invoice(self.payer_a, 38, currency=self.eur)
        a_c2 = self.create_late_invoice(self.payer_a, 50, company=self.company_2)
        b1 = self.create_late_invoice(self.payer_b, 31)
        b_c2 = self.create_late_invoice(self.payer_b, 60, company=self.company_2)
        moves = a1 | a2 | a_eur | a_c2 | b1 | b_c2
        both = self.env(
            context=dict(
                self.env.context,
                allowed_company_ids=[
                    self.company.id,
                    self.company_2.id,
                ],
            )
        )
        wizard = self.make_wizard(self.installments(moves), env=both)
        inst = self.installments
        self.assertEqual(len(inst(a1)), 2)
        self.assert_batch(
            wizard,
            [
                (self.payer_a, self.company, self.currency, inst(a1 | a2)),
                (self.payer_a, self.company, self.eur, inst(a_eur)),
                (self.payer_a, self.company_2, self.company_2.currency_id, inst(a_c2)),
                (self.payer_b, self.company, self.currency, inst(b1)),
                (self.payer_b, self.company_2, self.company_2.currency_id, inst(b_c2)),
            ],
            {},
        )
        self.assertEqual(
            (wizard.letter_count, wizard.included_count, wizard.skipped_count), (5, 7, 0)
        )
        # With several companies the preview names the company of each letter.
        self.assertIn("Optim Sud", wizard.preview_html)

        # The same selection in the first company only: no line of the second.
        wizard = self.make_wizard(self.installments(moves))
        self.assert_batch(
            wizard,
            [
                (self.payer_a, self.company, self.currency, inst(a1 | a2)),
                (self.payer_a, self.company, self.eur, inst(a_eur)),
                (self.payer_b, self.company, self.currency, inst(b1)),
            ],
            {},
        )

        # Confirmed in both companies: one stored letter per payer, company
        # and currency, with its PDF, its installments and their history.
        with self.stub_pdf():
            self.make_wizard(self.installments(moves), env=both).action_confirm()
        history = self.history_of(self.installments(moves))
        self.assertEqual(len(history), 7)
        letters = (
            self.env["relance.letter"].sudo().search([("line_ids", "in", history.move_line_id.ids)])
        )
        self.assertEqual(
            sorted(
                (lt.partner_id.name, lt.company_id.name, lt.currency_id.name, len(lt.line_ids))
                for lt in letters
            ),
            sorted(
                [
                    (self.payer_a.name, self.company.name, self.currency.name, 3),
                    (self.payer_a.name, self.company.name, "EUR", 1),
                    (self.payer_a.name, "Optim Sud", self.company_2.currency_id.name, 1),
                    (self.payer_b.name, self.company.name, self.currency.name, 1),
                    (self.payer_b.name, "Optim Sud", self.company_2.currency_id.name, 1),
                ]
            ),
        )
        for letter in letters:
            self.assertEqual((letter.level, letter.date, letter.output), (1, TODAY, "pdf"))
            self.assertEqual(
                letter.history_ids, history.filtered(lambda h, lt=letter: h.letter_id == lt)
            )
            self.assertEqual(letter.history_ids.move_line_id, letter.line_ids)
            self.assertEqual(len(letter.attachment_ids), 1)
            self.assertEqual(letter.attachment_ids.mimetype, "application/pdf")
            self.assertEqual(letter.attachment_ids.company_id, letter.company_id)
            self.assertEqual(letter.history_ids.attachment_id, letter.attachment_ids)
            self.assertEqual(
                letter.amount_residual,
                letter.currency_id.round(sum(letter.line_ids.mapped("amount_residual_currency"))),
            )
        for record in history:
            self.assertEqual(record.company_id, record.move_line_id.company_id)
            self.assertEqual(record.letter_id.company_id, record.company_id)
            self.assertEqual(record.attachment_id.res_model, "relance.letter")
            self.assertEqual(record.attachment_id.res_id, record.letter_id.id)

    def test_preview_is_capped_counts_are_not(self):
        """A big batch previews its first letters only; the counts and the
        confirmation cover the whole batch."""
        from ..wizard import relance_wizard

        lines = self.installments(
            self.create_late_invoice(self.payer_a, 40)
            | self.create_late_invoice(self.payer_b, 35)
            | self.create_late_invoice(self.payer_c, 33)
        )
        reminded = self.installments(
            self.create_late_invoice(self.payer_a, 50) | self.create_late_invoice(self.payer_b, 45)
        )
        reminded._relance_record(1, days_ago(1), "manual")
        with (
            patch.object(relance_wizard, "PREVIEW_LETTERS", 2),
            patch.object(relance_wizard, "PREVIEW_SKIPPED", 1),
        ):
            wizard = self.make_wizard(lines | reminded)
            self.assertEqual(
                (wizard.letter_count, wizard.included_count, wizard.skipped_count), (3, 3, 2)
            )
            preview = wizard.preview_html
        self.assertIn("Alpha Construction", preview)
        self.assertIn("Bravo Bâtiment", preview)
        self.assertNotIn("Charlie Travaux Publics", preview)
        self.assertIn("… and 1 more letter.", preview)
        self.assertIn("… and 1 more skipped installment.", preview)
        self.assertEqual(preview.count("Level 1 already recorded"), 1)
        with self.stub_pdf():
            wizard.action_confirm()
        self.assertEqual(self.history_of(lines).move_line_id, lines)

    # ------------------------------------------------------------------
    # Scope
    # ------------------------------------------------------------------
    def test_scope_all_takes_the_whole_list(self):
        a45 = self.installments(self.create_late_invoice(self.payer_a, 45))
        b40 = self.installments(self.create_late_invoice(self.payer_b, 40))
        a10 = self.installments(self.create_late_invoice(self.payer_a, 10))
        paid_inv = self.create_late_invoice(self.payer_b, 60)
        paid = self.installments(paid_inv)
        self.pay(paid_inv)
        draft = self.installments(
            self.create_invoice(self.payer_a, invoice_date=days_ago(90), post=False)
        )
        other_company = self.installments(
            self.create_late_invoice(self.payer_a, 50, company=self.company_2)
        )
        domain = [("reminder_days_late", ">", 30)]

        # Selected: only the ticked line, whatever the list shows.
        wizard = self.make_wizard(a45, domain=domain)
        self.assertEqual(wizard.scope, "selected")
        self.assert_batch(wizard, [(self.payer_a, self.company, self.currency, a45)], {})

        # All: every open line matching the list's search, ticked or not,
        # never the paid, draft or other company's ones.
        wizard.scope = "all"
        self.assert_batch(
            wizard,
            [
                (self.payer_a, self.company, self.currency, a45),
                (self.payer_b, self.company, self.currency, b40),
            ],
            {},
        )
        self.assertEqual(
            (wizard.letter_count, wizard.included_count, wizard.skipped_count), (2, 2, 0)
        )
        # Without search: every open line.
        wizard.active_domain = "[]"
        self.assert_batch(
            wizard,
            [
                (self.payer_a, self.company, self.currency, a45 | a10),
                (self.payer_b, self.company, self.currency, b40),
            ],
            {},
        )
        # Selected paid or draft lines are skipped, never reminded.
        wizard = self.make_wizard(paid | draft | a10)
        self.assert_batch(
            wizard,
            [(self.payer_a, self.company, self.currency, a10)],
            {paid: "Paid or no longer due", draft: "Invoice not posted"},
        )

        # Confirming "all" records exactly the matching lines.
        wizard = self.make_wizard(a45, domain=domain, scope="all")
        with self.stub_pdf():
            wizard.action_confirm()
        self.assertEqual(
            self.history_of(a45 | b40 | a10 | paid | other_company).move_line_id, a45 | b40
        )
        self.assertEqual((a45 | b40).mapped("reminder_date_1"), [TODAY, TODAY])
        self.assertEqual((a10 | paid | other_company).mapped("reminder_date_1"), [False] * 3)

    # ------------------------------------------------------------------
    # Recording: dates, history, never twice
    # ------------------------------------------------------------------
    def test_confirm_records_and_never_twice(self):
        inv_a = self.create_late_invoice(self.payer_a, 40, payment_term=self.pay_terms_split)
        inv_b = self.create_late_invoice(self.payer_b, 35)
        lines = self.installments(inv_a | inv_b)
        before = self.counts()
        with self.stub_pdf():
            action = self.make_wizard(lines, date=days_ago(3)).action_confirm()
        after = self.counts()
        batch = self.attachment_of_action(action)
        # The merged PDF is the run's: whoever reads the run downloads it.
        run = self.env["relance.run"].search([("attachment_id", "=", batch.id)])
        self.assertEqual((batch.res_model, batch.res_id), ("relance.run", run.id))
        self.assertEqual(run.letter_ids, self.history_of(lines).letter_id)
        self.assertEqual(batch.mimetype, "application/pdf")
        self.assertEqual(batch.name, "Reminders level 1 - 2024-06-12.pdf")
        # 3 lines dated, 3 history rows, 2 letters with their PDF + 1 merged
        # PDF, no email.
        self.assertEqual(after["relance_letter"] - before["relance_letter"], 2)
        self.assertEqual(after["relance_history"] - before["relance_history"], 3)
        self.assertEqual(after["dated_lines"] - before["dated_lines"], 3)
        self.assertEqual(after["ir_attachment"] - before["ir_attachment"], 3)
        self.assertEqual(after["mail_mail"], before["mail_mail"])
        for line in lines:
            self.assertEqual(
                self.reminder_dates(line), (days_ago(3), False, False, 1), line.move_id.name
            )
            history = line.reminder_history_ids
            self.assertEqual(len(history), 1)
            self.assertRecordValues(
                history,
                [
                    {
                        "level": 1,
                        "date": days_ago(3),
                        "channel": "pdf",
                        "partner_id": line.reminder_payer_id.id,
                        "move_id": line.move_id.id,
                        "company_id": self.company.id,
                        "amount_residual": line.amount_residual,
                        "user_id": self.env.user.id,
                    }
                ],
            )
            self.assertEqual(history.attachment_id.mimetype, "application/pdf")
        # The payer's letter is shared by its installments.
        self.assertEqual(len(self.history_of(lines).attachment_id), 2)
        self.letter_of(self.installments(inv_a))
        self.letter_of(self.installments(inv_b))

        # Second run the same day at the same level: nothing is sent twice.
        before = self.counts()
        with self.stub_pdf(), self.assert_raises_msg(UserError, "Nothing to send"):
            self.make_wizard(lines, date=days_ago(3)).action_confirm()
        with self.stub_pdf(), self.assert_raises_msg(UserError, "Level 1 already recorded"):
            self.make_wizard(lines, output="email").action_confirm()
        with self.stub_pdf(), self.assertRaises(UserError):
            self.make_wizard(lines, output="word").action_confirm()
        self.assertEqual(self.counts(), before)
        # The preview says so, and the Confirm button is hidden (no letter).
        wizard = self.make_wizard(lines)
        self.assertEqual(
            (wizard.letter_count, wizard.included_count, wizard.skipped_count), (0, 0, 3)
        )
        # Nothing selected at all.
        with self.assert_raises_msg(UserError, "No installment to remind"):
            self.make_wizard(self.Line, scope="selected").action_confirm()

    # ------------------------------------------------------------------
    # One transaction
    # ------------------------------------------------------------------
    def test_atomic_when_pdf_rendering_fails(self):
        lines = self.installments(
            self.create_late_invoice(self.payer_a, 40) | self.create_late_invoice(self.payer_b, 35)
        )
        wizard = self.make_wizard(lines)
        with patch.object(
            self.LetterClass, "_render_pdf", side_effect=RuntimeError("wkhtmltopdf crashed")
        ):
            before = self.counts()
            with self.assert_raises_msg(RuntimeError, "wkhtmltopdf crashed"):
                wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        self.assertEqual(lines.mapped("reminder_date_1"), [False, False])

    def test_atomic_when_emails_fail(self):
        """The emails are queued after the dates and the history are
        written: their failure undoes everything."""
        lines = self.installments(
            self.create_late_invoice(self.payer_a, 40) | self.create_late_invoice(self.payer_b, 35)
        )
        wizard = self.make_wizard(lines, output="email")
        before = self.counts()
        with (
            self.stub_pdf(),
            patch.object(self.LetterClass, "_send", side_effect=RuntimeError("queue down")),
            self.assert_raises_msg(RuntimeError, "queue down"),
        ):
            wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        self.assertEqual(lines.mapped("reminder_date_1"), [False, False])
        self.assertFalse(self.history_of(lines))

    def test_atomic_when_word_builder_fails(self):
        lines = self.installments(
            self.create_late_invoice(self.payer_a, 40) | self.create_late_invoice(self.payer_b, 35)
        )
        wizard = self.make_wizard(lines, output="word")
        before = self.counts()
        with (
            patch.object(relance_docx, "_build_docx", side_effect=RuntimeError("docx broken")),
            self.assert_raises_msg(RuntimeError, "docx broken"),
        ):
            wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        self.assertEqual(lines.mapped("reminder_date_1"), [False, False])

    def test_atomic_when_level_configuration_is_missing(self):
        lines = self.installments(self.create_late_invoice(self.payer_a, 40))
        lines._relance_record(1, days_ago(20), "manual")
        # No text for level 2 at all: nothing is recorded.
        self.level_configs[2].active = False
        wizard = self.make_wizard(lines, level=2)
        self.assertEqual(wizard.letter_count, 1)
        before = self.counts()
        with self.stub_pdf(), self.assert_raises_msg(ValidationError, "No reminder text"):
            wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(lines), (days_ago(20), False, False, 1))
        self.level_configs[2].active = True

        # A level without email template: the email run fails as a whole with
        # a French error, the dates and history written before are undone.
        self.level_configs[2].mail_template_id = False
        wizard = self.make_wizard(lines, level=2, output="email")
        before = self.counts()
        with self.stub_pdf(), self.assert_raises_msg(UserError, "has no email template"):
            wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(lines), (days_ago(20), False, False, 1))

    # ------------------------------------------------------------------
    # Documents linked to the right letter
    # ------------------------------------------------------------------
    def test_word_files_of_a_payer_in_two_currencies(self):
        """A payer with invoices in two currencies gets two letters: the
        download holds one Word file per invoice, each once."""
        usd_1 = self.create_late_invoice(self.payer_a, 40)
        usd_2 = self.create_late_invoice(self.payer_a, 35)
        eur = self.create_late_invoice(self.payer_a, 38, currency=self.eur)
        lines = self.installments(usd_1 | usd_2 | eur)
        action = self.make_wizard(lines, output="word").action_confirm()
        archive = zipfile.ZipFile(io.BytesIO(self.attachment_of_action(action).raw))
        expected = {
            f"Payment reminder - {inv.name.replace('/', '-')} - 2024-06-15.docx"
            for inv in usd_1 | usd_2 | eur
        }
        self.assertEqual(sorted(archive.namelist()), sorted(expected))
        # Each invoice's history links its own Word letter.
        for invoice in usd_1 | usd_2 | eur:
            document = self.letter_of(self.installments(invoice))
            self.assertEqual(archive.read(document.name), document.raw)

    def test_email_attachments_of_a_payer_in_two_currencies(self):
        """Each of the two letters' emails carries its own PDF only."""
        lines = self.installments(
            self.create_late_invoice(self.payer_b, 40)
            | self.create_late_invoice(self.payer_b, 39, currency=self.eur)
        )
        with self.stub_pdf():
            self.make_wizard(lines, output="email").action_confirm()
        letters = self.history_of(lines).letter_id
        self.assertEqual(len(letters), 2)
        mails = letters.mail_id
        self.assertEqual(
            mails,
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "relance.letter"), ("res_id", "in", letters.ids)]),
        )
        self.assertEqual(len(mails), 2)
        self.assertEqual(mails.attachment_ids, self.history_of(lines).attachment_id)
        for line in lines:
            attachment = line.reminder_history_ids.attachment_id
            mail = mails.filtered(lambda m, a=attachment: a in m.attachment_ids)
            self.assertEqual(len(mail), 1, line.currency_id.name)
            self.assertIn(self.fmt(line.amount_residual_currency, line.currency_id), mail.body_html)
            self.assertEqual(mail.attachment_ids, attachment, line.currency_id.name)

    # ------------------------------------------------------------------
    # No query per installment
    # ------------------------------------------------------------------
    def _count_queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - start

    def test_no_query_per_installment(self):
        payers = self.payer_a | self.payer_b | self.payer_c
        # 1 + 3 + 30 installments on the same 3 payers (one letter each).
        invoices = {
            size: self.env["account.move"].union(
                *(
                    self.create_late_invoice(payers[i % 3], 31 + i, amount=100.0 + i)
                    for i in range(size)
                )
            )
            for size in (3, 30)
        }
        warm = self.installments(self.create_late_invoice(self.payer_a, 90))
        sets = {size: self.installments(moves) for size, moves in invoices.items()}
        self.assertEqual([len(sets[3]), len(sets[30])], [3, 30])
        self.assertEqual(len(sets[30].reminder_payer_id), 3)

        # Warm the caches (templates, rules, languages).
        warm_wizard = self.make_wizard(warm)
        self._count_queries(warm_wizard._prepare_batch)
        self._count_queries(lambda: warm_wizard.preview_html)
        with self.stub_pdf():
            self._count_queries(self.make_wizard(warm).action_confirm)

        counts = {}
        for size, lines in sets.items():
            wizard = self.make_wizard(lines)
            letters = self._count_queries(wizard._prepare_batch)
            wizard = self.make_wizard(lines)
            preview = self._count_queries(
                lambda w=wizard: (w.preview_html, w.letter_count, w.skipped_count)
            )
            wizard = self.make_wizard(lines)
            self.assertEqual(wizard.included_count, size)
            # Letters, their documents (stubbed), history and payers' logs.
            with self.stub_pdf():
                confirm = self._count_queries(self.make_wizard(lines).action_confirm)
            counts[size] = {"prepare_batch": letters, "preview": preview, "confirm": confirm}
        self.assertEqual(len(self.history_of(sets[3] | sets[30])), 33)
        _logger.info("queries for 3 and 30 installments over 3 payers: %s", counts)
        self.assertEqual(counts[3], counts[30], f"queries for 3 vs 30 installments: {counts}")
