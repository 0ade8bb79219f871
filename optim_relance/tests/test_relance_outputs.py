"""The documents of a reminder run, re-read as a customer gets them: PDF
letters (wkhtmltopdf, read back with pdftotext), queued emails, Word letters
(python-docx, LibreOffice)."""

import io
import re
import shutil
import tempfile
import threading
import zipfile
from unittest.mock import patch

import lxml.html

from odoo import fields
from odoo.tests import BaseCase, HttpCase, tagged
from odoo.tools import html2plaintext

from ..models import relance_letter
from ..tools import report_layout
from .common import (
    RelanceCase,
    convert_docx_to_pdf,
    docx_table_rows,
    docx_text,
    pdf_page_count,
    pdf_pages_text,
    pdf_text,
    squash,
)

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@tagged("post_install", "-at_install")
class TestRelanceOutputs(RelanceCase, HttpCase):
    """An HttpCase, without browser: wkhtmltopdf fetches the report's CSS
    from the test server, which serves it within the test transaction (a
    plain TransactionCase leaves wkhtmltopdf waiting for a bundle the test
    transaction has not committed).

    Time is not frozen here: under freezegun the test server's responses
    make wkhtmltopdf print every letter after the first one as a blank
    page (standard invoices too). The dates are relative to the real today.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["relance.wizard"])
        company_data_2 = cls.setup_other_company(name="Optim Sud")
        cls.company_2 = company_data_2["company"]
        cls.company_2.write({"city": "Marseille", "email": "compta@optim-sud.test"})
        # Its invoices are numbered SUD/..., told apart from the first company's.
        company_data_2["default_journal_sale"].code = "SUD"
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.both_companies = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company.id, cls.company_2.id])
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def confirm(self, wizard):
        """Confirm, counting the wkhtmltopdf runs, the letters of each and
        (``self.wkhtmltopdf_at_once``) the most running at the same time."""
        report_class = self.env.registry["ir.actions.report"]
        original = report_class._run_wkhtmltopdf
        runs, running, lock = [], [0], threading.Lock()
        self.wkhtmltopdf_at_once = 0

        def run_wkhtmltopdf(report, bodies, *args, **kwargs):
            with lock:
                runs.append(len(bodies))
                running[0] += 1
                self.wkhtmltopdf_at_once = max(self.wkhtmltopdf_at_once, running[0])
            try:
                return original(report, bodies, *args, **kwargs)
            finally:
                with lock:
                    running[0] -= 1

        with patch.object(report_class, "_run_wkhtmltopdf", run_wkhtmltopdf):
            action = wizard.action_confirm()
        return action, runs

    def stub_pdf(self):
        from .test_relance_wizard import fake_render_pdf

        return patch.object(self.LetterClass, "_render_pdf", fake_render_pdf)

    def mails_of(self, payer):
        """The emails of ``payer``'s letters (each a message of its letter)."""
        letters = self.env["relance.letter"].sudo().search([("partner_id", "=", payer.id)])
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "relance.letter"), ("res_id", "in", letters.ids)])
        )

    def row_text(self, line, date=None, currency=None):
        """A row of the letters' table, as pdftotext/Word show it."""
        date = date or self.today
        currency = currency or line.currency_id
        return squash(
            " ".join(
                [
                    line.move_id.name,
                    self.fmt_date(line.move_id.invoice_date),
                    self.fmt_date(line.date_maturity),
                    str((date - line.date_maturity).days),
                    self.fmt(line.amount_currency, currency),
                    self.fmt(line.amount_residual_currency, currency),
                ]
            )
        )

    def assert_invoices_in_text(self, text, lines, pattern=r"(?:INV|SUD)/\d{4}/\d{5}"):
        """The text lists exactly the invoices of ``lines``, each as many
        times as it has installments there."""
        # Not the references to quote in "How to pay": the table's rows.
        text = re.sub(
            r"Please quote the payment reference.*?(?=\n\s*\n|\f|\Z)", "", text, flags=re.S
        )
        found = sorted(re.findall(pattern, text))
        self.assertEqual(found, sorted(line.move_id.name for line in lines), text)

    # ------------------------------------------------------------------
    # PDF
    # ------------------------------------------------------------------
    def test_pdf_letter_per_payer_in_one_batch(self):
        make = self.create_late_invoice
        a1 = self.create_invoice(
            self.payer_a,
            amounts=(600.0, 400.0),
            invoice_date=self.ago(90),
            payment_term=self.pay_terms_split,
        )
        a2 = make(self.payer_a, 45, amount=1234.56)
        a3 = make(self.payer_a, 35, amount=250.0)
        b1 = make(self.payer_b, 40, amount=800.0)
        b_paid = make(self.payer_b, 50, amount=90.0)
        self.pay(b_paid)
        c1 = make(self.payer_c, 50, amount=300.0)
        payer_d = self.env["res.partner"].create({"name": "Delta Génie Civil"})
        # Enough rows for a letter of several pages.
        d_invoices = self.env["account.move"].union(
            *(make(payer_d, 31 + i, amount=100.0 + i) for i in range(45))
        )
        lines_a, lines_b, lines_c = (self.installments(m) for m in (a1 | a2 | a3, b1, c1))
        lines_d = self.installments(d_invoices)
        paid_line = self.installments(b_paid)
        self.assertEqual(len(lines_a), 4)
        wizard = self.make_wizard(lines_a | lines_b | lines_c | lines_d | paid_line)
        self.assertEqual(
            (wizard.letter_count, wizard.included_count, wizard.skipped_count), (4, 51, 1)
        )
        before = self.counts()
        action, runs = self.confirm(wizard)
        after = self.counts()

        # Two wkhtmltopdf runs for the four letters, split per letter.
        self.assertEqual(runs, [2, 2])
        # 4 letters + the merged PDF; no email.
        self.assertEqual(after["ir_attachment"] - before["ir_attachment"], 5)
        self.assertEqual(after["relance_history"] - before["relance_history"], 51)
        self.assertEqual(after["mail_mail"], before["mail_mail"])
        self.assertEqual(self.history_of(paid_line), self.env["relance.history"])
        self.assertFalse(paid_line.reminder_date_1)

        letters = {}
        for payer, lines in (
            (self.payer_a, lines_a),
            (self.payer_b, lines_b),
            (self.payer_c, lines_c),
            (payer_d, lines_d),
        ):
            letter = self.letter_of(lines)
            letters[payer] = letter
            self.assertEqual(letter.name, f"Payment reminder - {payer.name} - {self.today}.pdf")
            self.assertEqual(letter.mimetype, "application/pdf")
            self.assertEqual(letter.company_id, self.company)
            history = self.history_of(lines)
            self.assertEqual(len(history), len(lines))
            self.assertEqual(history.move_line_id, lines)
            self.assertEqual(set(history.mapped("channel")), {"pdf"})
            self.assertEqual(set(history.mapped("level")), {1})
            self.assertEqual(history.attachment_id, letter)
            self.assertEqual(set(lines.mapped("reminder_date_1")), {self.today})

            text = pdf_text(letter.raw)
            flat = squash(text)
            self.assert_invoices_in_text(text, lines)
            self.assertIn("Payment reminder", flat)
            self.assertIn(payer.name, flat)
            self.assertIn("Unless we are mistaken or have overlooked something", flat)
            self.assertIn("If your payment has crossed this letter, please disregard it.", flat)
            self.assertIn(f"Lyon, {self.d(0)}", flat)
            total = self.fmt(sum(lines.mapped("amount_residual_currency")))
            self.assertIn(squash(f"Total {total} {total}"), flat, text)
            if payer != payer_d:  # the long letter is checked last
                for line in lines:
                    self.assertIn(self.row_text(line), flat, text)
                self.assertEqual(flat.count("Total"), 1, text)

        self.assertEqual(
            self.fmt(sum(lines_a.mapped("amount_residual_currency"))), self.fmt(2484.56)
        )
        page_counts = {payer: pdf_page_count(letter.raw) for payer, letter in letters.items()}
        self.assertGreater(page_counts[payer_d], 1, "the long letter spans several pages")
        # Each page has its letter's header and footer (one shared copy in
        # the run, tools/report_layout), numbered within its letter.
        for payer, letter in letters.items():
            pages = pdf_pages_text(letter.raw)
            self.assertEqual(len(pages), page_counts[payer])
            for number, page in enumerate(pages, start=1):
                self.assertIn(self.company.name, page)
                self.assertIn(f"Page {number} / {len(pages)}", page)

        # The download: every letter, in payer order, in one PDF.
        batch = self.attachment_of_action(action)
        self.assertEqual(batch.name, f"Reminders level 1 - {self.today}.pdf")
        # It is the run's batch document.
        run = self.env["relance.run"].search([("attachment_id", "=", batch.id)])
        self.assertEqual((batch.res_model, batch.res_id), ("relance.run", run.id))
        self.assertEqual(pdf_page_count(batch.raw), sum(page_counts.values()))
        expected_pages = []
        for payer in (self.payer_a, self.payer_b, self.payer_c, payer_d):
            expected_pages += pdf_pages_text(letters[payer].raw)
        self.assertEqual(pdf_pages_text(batch.raw), expected_pages)

        # The letter over several pages: every row readable (none printed
        # over the table header repeated on the next page), the total once.
        text = pdf_text(letters[payer_d].raw)
        flat = squash(text)
        unreadable = [line.move_id.name for line in lines_d if self.row_text(line) not in flat]
        self.assertEqual(
            {"unreadable rows": unreadable, "totals printed": flat.count("Total")},
            {"unreadable rows": [], "totals printed": 1},
            text,
        )

    def test_pdf_chunks_two_at_once(self):
        """Chunks of letters are rendered two at a time (two wkhtmltopdf
        processes), each letter still its own pages, the batch in payer
        order."""
        names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
        payers = self.env["res.partner"].create([{"name": f"{n} Bâtiment"} for n in names])
        invoices = [
            self.create_late_invoice(payer, 40 + i, amount=100.0 * (i + 1))
            for i, payer in enumerate(payers)
        ]
        lines = self.installments(self.env["account.move"].union(*invoices))
        wizard = self.make_wizard(lines)
        report_class = self.env.registry["ir.actions.report"]
        build_args, delays = report_class._build_wkhtmltopdf_args, []

        def record_delay(report, *args, **kwargs):
            command = build_args(report, *args, **kwargs)
            delays.append(command[command.index("--javascript-delay") + 1])
            return command

        threads_before = threading.active_count()
        with (
            patch.object(relance_letter, "PDF_CHUNK", 2),
            patch.object(report_class, "_build_wkhtmltopdf_args", record_delay),
        ):
            action, runs = self.confirm(wizard)
        self.assertEqual(runs, [2, 2, 1])
        # The report's style sheets are generated now (by the first run alone
        # when they were not yet): the next batches start two at once.
        self.assertTrue(self.env["relance.letter"]._report_assets_ready())
        # Letters have no script to wait for: not Odoo's report.print_delay.
        self.assertEqual(delays, ["0", "0", "0"])
        self.assertEqual(self.wkhtmltopdf_at_once, 2)
        self.assertEqual(threading.active_count(), threads_before)
        pages = []
        for payer, invoice in zip(payers, invoices, strict=True):
            letter = self.letter_of(self.installments(invoice))
            flat = squash(pdf_text(letter.raw))
            self.assertIn(payer.name, flat)
            self.assertEqual(
                [other.name for other in payers if other.name in flat], [payer.name], flat
            )
            self.assertIn(self.row_text(self.installments(invoice)), flat)
            pages += pdf_pages_text(letter.raw)
        batch = self.attachment_of_action(action)
        self.assertEqual(pdf_pages_text(batch.raw), pages)
        # Merged by poppler's pdfunite here; the same pages with pypdf where
        # it is not installed.
        self.assertTrue(shutil.which("pdfunite"))
        run = self.env["relance.run"].search([("attachment_id", "=", batch.id)])
        with tempfile.TemporaryFile() as file, patch.object(shutil, "which", return_value=None):
            run._merge_pdf(run._sent_documents(), file)
            file.seek(0)
            self.assertEqual(pdf_pages_text(file.read()), pages)

    def test_pdf_chunk_failure_leaves_nothing(self):
        """A wkhtmltopdf run that fails in the middle of the batch: the
        error reaches the user, the other runs end, nothing is recorded."""
        payers = self.env["res.partner"].create([{"name": f"Payeur {i}"} for i in range(5)])
        invoices = self.env["account.move"].union(
            *(self.create_late_invoice(payer, 40, amount=50.0) for payer in payers)
        )
        lines = self.installments(invoices)
        wizard = self.make_wizard(lines)
        report_class = self.env.registry["ir.actions.report"]
        original = report_class._run_wkhtmltopdf
        calls = []

        def run_wkhtmltopdf(report, bodies, *args, **kwargs):
            calls.append(len(bodies))
            if len(calls) == 2:
                raise RuntimeError("wkhtmltopdf crashed (-11)")
            return original(report, bodies, *args, **kwargs)

        threads_before = threading.active_count()
        before = self.counts()
        with (
            patch.object(relance_letter, "PDF_CHUNK", 2),
            patch.object(report_class, "_run_wkhtmltopdf", run_wkhtmltopdf),
            self.assertRaises(RuntimeError) as catcher,  # rolled back, as the request would
        ):
            wizard.action_confirm()
        self.assertEqual(str(catcher.exception), "wkhtmltopdf crashed (-11)")
        self.assertEqual(calls, [2, 2])
        self.assertEqual(threading.active_count(), threads_before)
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        self.assertFalse(any(lines.mapped("reminder_date_1")))

    def test_pdf_level_texts(self):
        """Level 2 recalls the level 1 date; level 3 both dates and a deadline."""
        self.company.write({"reminder_penalty_mode": "fixed", "reminder_penalty_rate": 10.0})
        a1 = self.installments(self.create_late_invoice(self.payer_a, 60, amount=500.0))
        a2 = self.installments(self.create_late_invoice(self.payer_a, 50, amount=700.0))
        a1._relance_record(1, self.ago(30), "manual")
        a2._relance_record(1, self.ago(25), "manual")
        b1 = self.installments(self.create_late_invoice(self.payer_b, 70, amount=800.0))
        b1._relance_record(1, self.ago(40), "manual")
        b1._relance_record(2, self.ago(20), "manual")

        # Level 2, dated 3 days ago: deadline 8 days later.
        action, runs = self.confirm(self.make_wizard(a1 | a2, level=2, date=self.ago(3)))
        self.assertEqual(runs, [1])
        letter = self.letter_of(a1 | a2, level=2)
        self.assertEqual(letter.name, f"Second reminder - Alpha Construction - {self.ago(3)}.pdf")
        flat = squash(pdf_text(letter.raw))
        self.assertIn("Second reminder", flat)
        # The latest level 1 date of the letter's installments.
        self.assertIn(
            f"Despite our reminder of {self.d(25)}, the invoices below remain unpaid. We ask you "
            f"to settle them without delay, by {self.d(-5)} at the latest.",
            flat,
        )
        self.assertIn("article L441-10 of the French Commercial Code", flat)
        for line in a1 | a2:
            self.assertIn(self.row_text(line, date=self.ago(3)), flat)
        for line in a1 | a2:
            self.assertEqual(self.reminder_dates(line)[1:], (self.ago(3), False, 2))
        self.assertRecordValues(
            self.history_of(a1 | a2).filtered(lambda h: h.level == 2),
            [{"date": self.ago(3), "channel": "pdf", "attachment_id": letter.id}] * 2,
        )
        self.assertEqual(
            pdf_page_count(self.attachment_of_action(action).raw), pdf_page_count(letter.raw)
        )

        # Level 3 today.
        self.confirm(self.make_wizard(b1, level=3))
        letter = self.letter_of(b1, level=3)
        self.assertEqual(letter.name, f"Formal notice - Bravo Bâtiment - {self.today}.pdf")
        flat = squash(pdf_text(letter.raw))
        self.assertIn("Formal notice", flat)
        self.assertIn(
            f"Despite our reminders of {self.d(40)} and {self.d(20)}, the invoices below remain "
            "unpaid.",
            flat,
        )
        claimed = round(800.0 + round(800.0 * 0.10 * 70 / 365, 2) + self.indemnity(), 2)
        self.assertIn(
            squash(
                f"We hereby give you formal notice to pay the sum of {self.fmt(claimed)}, of "
                f"which {self.fmt(800.0)} in principal, by {self.d(-8)} at the latest."
            ),
            flat,
        )
        self.assertIn("we will take legal action to recover our claim", flat)
        self.assertEqual(self.reminder_dates(b1), (self.ago(40), self.ago(20), self.today, 3))

    def test_pdf_letters_per_company(self):
        a1 = self.create_late_invoice(self.payer_a, 40, amount=111.0)
        a2 = self.create_late_invoice(self.payer_a, 60, amount=222.0, company=self.company_2)
        a3 = self.create_late_invoice(self.payer_a, 50, amount=333.0, company=self.company_2)
        b1 = self.create_late_invoice(self.payer_b, 45, amount=444.0)
        self.assertTrue(a2.name.startswith("SUD/"), a2.name)
        lines = self.installments(a1 | a2 | a3 | b1)
        wizard = self.make_wizard(lines, env=self.both_companies)
        action, runs = self.confirm(wizard)
        # Runs per company (its own header and footer), its letters shared
        # between two runs.
        self.assertEqual(runs, [1, 1, 1])

        by_company = {
            self.company: self.letter_of(self.installments(a1)),
            self.company_2: self.letter_of(self.installments(a2 | a3)),
        }
        attachments = by_company[self.company] | by_company[self.company_2]
        for company, moves, other_name in (
            (self.company, a1, "Optim Sud"),
            (self.company_2, a2 | a3, "company_1_data"),
        ):
            letter_lines = self.installments(moves)
            text = pdf_text(by_company[company].raw)
            flat = squash(text)
            self.assert_invoices_in_text(text, letter_lines)
            self.assertIn(company.name, flat)
            self.assertNotIn(other_name, flat)
            self.assertIn(f"{company.city}, {self.d(0)}", flat)
            total = self.fmt(sum(letter_lines.mapped("amount_residual_currency")))
            self.assertIn(squash(f"Total {total} {total}"), flat)
            self.assertEqual(self.history_of(letter_lines).attachment_id, by_company[company])
            self.assertEqual(set(self.history_of(letter_lines).company_id), {company})
        b_letter = self.letter_of(self.installments(b1))
        self.assert_invoices_in_text(pdf_text(b_letter.raw), self.installments(b1))

        batch = self.attachment_of_action(action)
        self.assertEqual(
            pdf_page_count(batch.raw),
            sum(pdf_page_count(a.raw) for a in attachments | b_letter),
        )

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------
    def test_email_queued_per_payer(self):
        a1 = self.create_late_invoice(self.payer_a, 45, amount=1234.56)
        a2 = self.create_late_invoice(self.payer_a, 35, amount=765.44)
        b1 = self.create_late_invoice(self.payer_b, 40, amount=800.0)
        c1 = self.create_late_invoice(self.payer_c, 50, amount=300.0)
        lines_a, lines_b, lines_c = (self.installments(m) for m in (a1 | a2, b1, c1))
        wizard = self.make_wizard(lines_a | lines_b | lines_c, output="email")
        self.assertEqual(
            (wizard.letter_count, wizard.included_count, wizard.skipped_count), (2, 3, 1)
        )
        self.assertIn("Payer without reminder email", wizard.preview_html)
        self.assertIn(c1.name, wizard.preview_html)
        before = self.counts()
        action, runs = self.confirm(wizard)
        after = self.counts()
        self.assertEqual(runs, [1, 1])
        self.assertEqual(action["type"], "ir.actions.client")
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(
            action["params"]["message"],
            "2 reminder emails queued for 3 installments. 1 installment skipped.",
        )
        self.assertEqual(after["mail_mail"] - before["mail_mail"], 2)
        # 2 PDF letters, no merged download.
        self.assertEqual(after["ir_attachment"] - before["ir_attachment"], 2)

        # The payer without reminder email gets nothing.
        self.assertEqual(self.reminder_dates(lines_c), (False, False, False, 0))
        self.assertFalse(self.history_of(lines_c))
        self.assertFalse(self.mails_of(self.payer_c))

        for payer, lines, total in (
            (self.payer_a, lines_a, 2000.0),
            (self.payer_b, lines_b, 800.0),
        ):
            mail = self.mails_of(payer)
            self.assertEqual(len(mail), 1)
            letter = self.letter_of(lines)
            self.assertRecordValues(
                mail,
                [
                    {
                        "state": "outgoing",
                        "email_to": payer.reminder_email,
                        "subject": (
                            f"Reminder no. 1 – {self.fmt(total)} outstanding – company_1_data"
                        ),
                        "email_from": '"company_1_data" <compta@company-one.test>',
                        "auto_delete": False,
                        "message_type": "email_outgoing",
                    }
                ],
            )
            self.assertEqual(mail.attachment_ids, letter)
            body = squash(html2plaintext(mail.body_html))
            count = len(lines.move_id)
            unpaid = "1 invoice remains unpaid" if count == 1 else f"{count} invoices remain unpaid"
            self.assertIn(
                squash(
                    f"Unless we are mistaken, {unpaid} to date, for a total of *{self.fmt(total)}*:"
                ),
                body,
            )
            # In the letter's chatter, and a line in the payer's pointing to it.
            letter_record = self.history_of(lines).letter_id
            message = mail.mail_message_id
            self.assertEqual((message.model, message.res_id), ("relance.letter", letter_record.id))
            self.assertIn(message, letter_record.message_ids)
            self.assertEqual(letter_record.mail_id, mail)
            self.assertEqual(letter_record.mail_message_id, message)
            log = payer.message_ids.filtered(
                lambda m, r=letter_record: f'data-oe-id="{r.id}"' in (m.body or "")
            )
            self.assertEqual(len(log), 1)
            self.assertIn(f"emailed to {payer.reminder_email}", log.body)
            # Sent inside the reminders' email layout (Odoo's light one, with the
            # company's coordinates, without "Powered by Odoo" nor "Unfollow").
            self.assertIn("<b>company_1_data</b>", mail.body_html)
            self.assertIn("compta@company-one.test", mail.body_html)
            self.assertNotIn("Powered by", mail.body_html)
            self.assertNotIn("unfollow", mail.body_html.lower())
            # History: the email channel and the PDF it carried.
            history = self.history_of(lines)
            self.assertEqual(len(history), len(lines))
            self.assertEqual(set(history.mapped("channel")), {"email"})
            self.assertEqual(history.attachment_id, letter)
            self.assertEqual(set(lines.mapped("reminder_date_1")), {self.today})
            # The attached PDF is the payer's own letter.
            text = pdf_text(letter.raw)
            self.assert_invoices_in_text(text, lines)
            self.assertIn(squash(f"Total {self.fmt(total)} {self.fmt(total)}"), squash(text))

    def indemnity(self):
        """40 € in the company's currency."""
        return self.env.ref("base.EUR")._convert(40.0, self.currency, self.company, self.today)

    def test_email_level_texts(self):
        self.company.write({"reminder_penalty_mode": "fixed", "reminder_penalty_rate": 10.0})
        line_2 = self.installments(self.create_late_invoice(self.payer_a, 60, amount=500.0))
        line_2._relance_record(1, self.ago(30), "manual")
        line_3 = self.installments(self.create_late_invoice(self.payer_b, 70, amount=800.0))
        line_3._relance_record(1, self.ago(40), "manual")
        line_3._relance_record(2, self.ago(20), "manual")
        with self.stub_pdf():
            self.make_wizard(line_2, level=2, output="email").action_confirm()
            self.make_wizard(line_3, level=3, output="email").action_confirm()
        mail_2, mail_3 = self.mails_of(self.payer_a), self.mails_of(self.payer_b)
        self.assertEqual(
            mail_2.subject, f"Reminder no. 2 – {self.fmt(500.0)} outstanding – company_1_data"
        )
        self.assertIn(
            squash(
                f"Despite our reminder of {self.d(30)}, 1 invoice remains unpaid, for a total of "
                f"*{self.fmt(500.0)}*:"
            ),
            squash(html2plaintext(mail_2.body_html)),
        )
        self.assertEqual(
            mail_3.subject,
            f"Formal notice (reminder no. 3) – {self.fmt(800.0)} outstanding – company_1_data",
        )
        # 10 % a year for 70 days on 800, and the 40 € indemnity.
        claimed = round(800.0 + round(800.0 * 0.10 * 70 / 365, 2) + self.indemnity(), 2)
        self.assertIn(
            squash(
                f"Despite our reminders of {self.d(40)} and {self.d(20)}, 1 invoice remains "
                f"unpaid, for a total of *{self.fmt(800.0)}*:"
            ),
            squash(html2plaintext(mail_3.body_html)),
        )
        self.assertIn(
            squash(
                f"We hereby give you formal notice to pay the total claimed of "
                f"*{self.fmt(claimed)}* by *{self.d(-8)}* at the latest."
            ),
            squash(html2plaintext(mail_3.body_html)),
        )
        self.assertEqual(self.history_of(line_3).filtered(lambda h: h.level == 3).channel, "email")

    # ------------------------------------------------------------------
    # Word
    # ------------------------------------------------------------------
    def test_word_letter_per_invoice(self):
        a1 = self.create_invoice(
            self.payer_a,
            amounts=(600.0, 400.0),
            invoice_date=self.ago(90),
            payment_term=self.pay_terms_split,
        )
        a2 = self.create_late_invoice(self.payer_a, 45, amount=1234.56)
        a3 = self.create_late_invoice(self.payer_a, 35, amount=250.0)
        b1 = self.create_late_invoice(self.payer_b, 40, amount=800.0)
        lines = self.installments(a1 | a2 | a3 | b1)
        before = self.counts()
        action = self.make_wizard(lines, output="word").action_confirm()
        after = self.counts()
        # 4 invoices -> 4 Word letters (3 for Alpha) + the zip.
        self.assertEqual(after["ir_attachment"] - before["ir_attachment"], 5)
        self.assertEqual(after["mail_mail"], before["mail_mail"])

        docx_by_invoice = {}
        for invoice in a1 | a2 | a3 | b1:
            invoice_lines = self.installments(invoice)
            history = self.history_of(invoice_lines)
            self.assertEqual(len(history), len(invoice_lines))
            self.assertEqual(set(history.mapped("channel")), {"word"})
            document = self.letter_of(invoice_lines)
            self.assertEqual(document.mimetype, DOCX_MIMETYPE)
            self.assertEqual(
                document.name,
                f"Payment reminder - {invoice.name.replace('/', '-')} - {self.today}.docx",
            )
            docx_by_invoice[invoice] = document
        self.assertEqual(len(set(docx_by_invoice.values())), 4)

        batch = self.attachment_of_action(action)
        self.assertEqual(batch.mimetype, "application/zip")
        self.assertEqual(batch.name, f"Reminders level 1 - {self.today}.zip")
        archive = zipfile.ZipFile(io.BytesIO(batch.raw))
        self.assertEqual(
            sorted(archive.namelist()), sorted(d.name for d in docx_by_invoice.values())
        )
        for document in docx_by_invoice.values():
            self.assertEqual(archive.read(document.name), document.raw)

        # The letter of the invoice with two installments.
        raw = docx_by_invoice[a1].raw
        text = squash(docx_text(raw))
        for expected in (
            "Payment reminder",
            f"Subject : Invoice {a1.name}",
            f"Lyon, {self.d(0)}",
            "Alpha Construction 1 rue des Maçons 69001 Lyon",
            "Unless we are mistaken or have overlooked something",
            "If your payment has crossed this letter, please disregard it.",
            "company_1_data",
        ):
            self.assertIn(expected, text)
        for other in a2 | a3 | b1:
            self.assertNotIn(other.name, text)
        a1_lines = self.installments(a1)
        self.assertEqual(
            docx_table_rows(raw),
            [
                ["Invoice", "Invoice date", "Due date", "Days late", "Amount", "Residual"],
                *(
                    [
                        a1.name,
                        self.fmt_date(a1.invoice_date),
                        self.fmt_date(line.date_maturity),
                        str((self.today - line.date_maturity).days),
                        self.fmt(500.0),
                        self.fmt(500.0),
                    ]
                    for line in a1_lines
                ),
                ["Total", "", "", "", self.fmt(1000.0), self.fmt(1000.0)],
            ],
        )
        self.assertEqual(
            [str((self.today - line.date_maturity).days) for line in a1_lines], ["90", "60"]
        )
        b_text = squash(docx_text(docx_by_invoice[b1].raw))
        self.assertIn(f"Subject : Invoice {b1.name}", b_text)
        self.assertIn("Bravo Bâtiment Villeurbanne", b_text)
        self.assertIn(squash(f"Total | | | | {self.fmt(800.0)} | {self.fmt(800.0)}"), b_text)

        # LibreOffice opens it.
        returncode, pdf, stderr = convert_docx_to_pdf(docx_by_invoice[a2].raw)
        self.assertEqual(returncode, 0, stderr)
        self.assertTrue(pdf, stderr)
        converted = squash(pdf_text(pdf))
        self.assertIn(a2.name, converted)
        self.assertIn("Payment reminder", converted)
        self.assertIn(self.fmt(1234.56).replace("\u00a0", " "), converted)

        # A single invoice: the Word letter itself, no zip.
        b2 = self.create_late_invoice(self.payer_b, 33, amount=90.0)
        action = self.make_wizard(self.installments(b2), output="word").action_confirm()
        document = self.attachment_of_action(action)
        self.assertEqual(document.mimetype, DOCX_MIMETYPE)
        self.assertEqual(document, self.letter_of(self.installments(b2)))
        self.assertIn(b2.name, docx_text(document.raw))

    def test_word_level_texts(self):
        self.company.write({"reminder_penalty_mode": "fixed", "reminder_penalty_rate": 10.0})
        claimed = round(800.0 + round(800.0 * 0.10 * 70 / 365, 2) + self.indemnity(), 2)
        line_2 = self.installments(self.create_late_invoice(self.payer_a, 60, amount=500.0))
        line_2._relance_record(1, self.ago(30), "manual")
        line_3 = self.installments(self.create_late_invoice(self.payer_b, 70, amount=800.0))
        line_3._relance_record(1, self.ago(40), "manual")
        line_3._relance_record(2, self.ago(20), "manual")

        action = self.make_wizard(line_2, level=2, output="word", date=self.ago(1)).action_confirm()
        text = squash(docx_text(self.attachment_of_action(action).raw))
        self.assertIn("Second reminder", text)
        self.assertIn(
            f"Despite our reminder of {self.d(30)}, the invoices below remain unpaid. We ask you "
            f"to settle them without delay, by {self.d(-7)} at the latest.",
            text,
        )
        self.assertIn(f"Lyon, {self.d(1)}", text)

        action = self.make_wizard(line_3, level=3, output="word").action_confirm()
        raw = self.attachment_of_action(action).raw
        text = squash(docx_text(raw))
        self.assertIn("Formal notice", text)
        # The dates and the deadline are there ...
        self.assertIn(f"Despite our reminders of {self.d(40)} and {self.d(20)}, the invoices", text)
        self.assertIn(self.d(-8), text)  # the deadline: 8 days from today
        self.assertEqual(self.reminder_dates(line_3), (self.ago(40), self.ago(20), self.today, 3))
        # ... and the level's texts come as Word paragraphs, without markup.
        import docx

        paragraphs = [p.text for p in docx.Document(io.BytesIO(raw)).paragraphs]
        expected = [
            "Dear Sir or Madam,",
            f"Despite our reminders of {self.d(40)} and {self.d(20)}, the invoices below remain "
            "unpaid.",
            f"We hereby give you formal notice to pay the sum of {self.fmt(claimed)}, of which "
            f"{self.fmt(800.0)} in principal, by {self.d(-8)} at the latest.",
            "Yours faithfully,",
        ]
        self.assertEqual(
            {
                "missing paragraphs": [p for p in expected if p not in paragraphs],
                "markup characters": re.findall(r"\*[^*]+\*", docx_text(raw)),
            },
            {"missing paragraphs": [], "markup characters": []},
            paragraphs,
        )


@tagged("post_install", "-at_install")
class TestSharedHeaders(BaseCase):
    """``tools/report_layout.share_identical``: identical headers and
    footers kept once, marked with the documents they serve."""

    def test_identical_kept_once(self):
        html = (
            b"<html><body><main>"
            b'<div class="header"><img src="logo-a"/>A</div><div class="article">1</div>'
            b'<div class="footer">Page</div>'
            b'<div class="header"><img src="logo-b"/>B</div><div class="article">2</div>'
            b'<div class="footer">Page</div>'
            b'<div class="header"><img src="logo-a"/>A</div><div class="article">3</div>'
            b'<div class="footer">Page</div>'
            b"</main></body></html>"
        )
        root = lxml.html.fromstring(report_layout.share_identical(html))
        headers = root.xpath("//div[@class='header']")
        self.assertEqual(
            [(h.text_content(), h.get("data-relance-pages")) for h in headers],
            [("A", "0 2"), ("B", "1")],
        )
        footers = root.xpath("//div[@class='footer']")
        self.assertEqual([f.get("data-relance-pages") for f in footers], ["0 1 2"])
        self.assertEqual(len(root.xpath("//div[@class='article']")), 3)
