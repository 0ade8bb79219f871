"""Shared fixtures and helpers of the Optim'Relance tests.

Most test classes freeze "today" on ``TODAY`` (noon, so that no timezone can
move the date); the others set :attr:`RelanceCase.today` to the real today.
Every invoice is dated relative to ``RelanceCase.today``.
"""

import io
import os
import re
import shutil
import subprocess
import tempfile
from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tools import SQL, format_amount, format_date

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.optim_relance.tools import late_penalties

TODAY = date(2024, 6, 15)
FROZEN_NOW = "2024-06-15 12:00:00"

LEVEL_TITLES = {1: "Payment reminder", 2: "Second reminder", 3: "Formal notice"}


def days_ago(days):
    return TODAY - timedelta(days=days)


# ----------------------------------------------------------------------
# Reading documents back
# ----------------------------------------------------------------------
def squash(text):
    """Collapse every run of blanks (spaces, no-break spaces, newlines) into
    one space, so texts extracted from PDF/Word/HTML compare exactly."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def pdf_text(raw, layout=True):
    """Text of a PDF through poppler's ``pdftotext``."""
    with tempfile.TemporaryDirectory(prefix="relance_pdf_") as tmp:
        path = os.path.join(tmp, "doc.pdf")
        with open(path, "wb") as handle:
            handle.write(raw)
        args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [path, "-"]
        result = subprocess.run(args, capture_output=True, check=True, timeout=60)
        return result.stdout.decode("utf-8")


def pdf_page_count(raw):
    from PyPDF2 import PdfFileReader

    return PdfFileReader(io.BytesIO(raw), strict=False).getNumPages()


def pdf_pages_text(raw):
    """Text of each page of a PDF (form feeds split pdftotext's pages)."""
    pages = pdf_text(raw).split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return pages


def docx_text(raw):
    """Every text of a .docx: paragraphs, table cells (row by row, cells
    joined by " | "), header and footer."""
    import docx

    document = docx.Document(io.BytesIO(raw))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
        parts += [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def docx_bytes(*paragraphs):
    """A .docx of one paragraph per text (a manager's template)."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_table_rows(raw):
    import docx

    document = docx.Document(io.BytesIO(raw))
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


def convert_docx_to_pdf(raw):
    """Convert a .docx with LibreOffice headless (private profile):
    ``(returncode, pdf bytes or None, stderr)``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None, None, "soffice not found"
    with tempfile.TemporaryDirectory(prefix="relance_lo_") as tmp:
        source = os.path.join(tmp, "letter.docx")
        with open(source, "wb") as handle:
            handle.write(raw)
        profile = f"file:///tmp/lo_profile_{os.getpid()}"
        result = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                source,
            ],
            capture_output=True,
            timeout=180,
            check=False,
        )
        target = os.path.join(tmp, "letter.pdf")
        pdf = None
        if os.path.exists(target):
            with open(target, "rb") as handle:
                pdf = handle.read()
        return result.returncode, pdf, result.stderr.decode("utf-8", "replace")


class RelanceCase(AccountTestInvoicingCommon):
    """Invoicing fixtures, payers, the users the tests act as, and helpers
    around the installments, their reminders and ``relance.wizard``.

    ``today`` is the day the invoices and payments are dated from: ``TODAY``
    when the class freezes time on it, else the real today (set by the class
    in ``setUpClass``)."""

    today = TODAY

    @classmethod
    def _add_test_rates(cls):
        """Test rates (not official figures) for the half-years after the
        last one shipped, up to the next one: letters of today's date claim
        penalties on levels 2 and 3."""
        Rate = cls.env["relance.rate"]
        start = max(Rate.search([]).mapped("date_from"))
        stop = late_penalties.next_half_year(
            late_penalties.half_year_start(fields.Date.context_today(Rate))
        )
        vals = []
        while (start := late_penalties.next_half_year(start)) <= stop:
            vals.append(
                {
                    "date_from": start,
                    "ecb_rate": 2.0,
                    "legal_rate_pro": 3.0,
                    "legal_rate_individual": 7.0,
                    "note": "test",
                }
            )
        Rate.create(vals)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.Line = cls.env["account.move.line"]
        cls.Wizard = cls.env["relance.wizard"]
        cls.WizardClass = cls.env.registry["relance.wizard"]
        cls.LetterClass = cls.env.registry["relance.letter"]
        cls.company.write({"city": "Lyon", "email": "compta@company-one.test"})
        cls._add_test_rates()
        PaymentTerm = cls.env["account.payment.term"]
        cls.pay_terms_30 = PaymentTerm.create(
            {
                "name": "Relance: 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})
                ],
            }
        )
        cls.pay_terms_split = PaymentTerm.create(
            {
                "name": "Relance: half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                ],
            }
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Relance Customer"})
        cls.payer_a, cls.payer_b, cls.payer_c = Partner.create(
            [
                {
                    "name": "Alpha Construction",
                    "reminder_email": "compta@alpha.test",
                    "street": "1 rue des Maçons",
                    "zip": "69001",
                    "city": "Lyon",
                },
                {
                    "name": "Bravo Bâtiment",
                    "reminder_email": "factures@bravo.test",
                    "city": "Villeurbanne",
                },
                {"name": "Charlie Travaux Publics", "city": "Bron"},
            ]
        )
        # An invoicing clerk: invoices and reminders, no right to create or
        # edit contacts (no base.group_partner_manager).
        cls.invoice_user = cls.make_user(
            "relance_invoicer", "account.group_account_invoice", name="Relance Invoicer"
        )
        # An employee without any accounting right.
        cls.basic_user = cls.make_user(
            "relance_employee", "base.group_user", name="Relance Employee"
        )

    @classmethod
    def make_user(cls, login, groups, company=None, name=None):
        """A user of ``company`` only (the test company by default), whose
        password is its login."""
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            password=login,
            groups=groups,
            name=name or login.replace("_", " ").title(),
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    # ------------------------------------------------------------------
    # Dates
    # ------------------------------------------------------------------
    @classmethod
    def ago(cls, days):
        return cls.today - timedelta(days=days)

    def d(self, days):
        """``ago(days)`` formatted as the letters show it."""
        return format_date(self.env, self.ago(days))

    # ------------------------------------------------------------------
    # Invoices and payments
    # ------------------------------------------------------------------
    @classmethod
    def create_invoice(
        cls,
        partner,
        amounts=(1000.0,),
        invoice_date=None,
        payment_term=None,
        company=None,
        currency=None,
        post=True,
        payer=None,
        move_type="out_invoice",
    ):
        """An invoice without taxes: its total is the sum of ``amounts``, due
        on ``invoice_date`` (default ``today``) unless a payment term says
        otherwise. ``payer`` overrides the payer proposed from ``partner``."""
        company = company or cls.company
        invoice_date = invoice_date or cls.today
        values = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "date": invoice_date,
            "invoice_payment_term_id": (payment_term or cls.pay_terms_a).id,
            "invoice_line_ids": [
                Command.create(
                    {"name": "Travaux", "quantity": 1, "price_unit": price, "tax_ids": []}
                )
                for price in amounts
            ],
        }
        if currency:
            values["currency_id"] = currency.id
        if payer:
            values["reminder_payer_id"] = payer.id
        move = cls.env["account.move"].with_company(company).create(values)
        if post:
            move.action_post()
        return move

    @classmethod
    def create_late_invoice(cls, partner, days_late, amount=1000.0, **kwargs):
        """An invoice with a single installment due ``days_late`` days ago."""
        return cls.create_invoice(
            partner, amounts=(amount,), invoice_date=cls.ago(days_late), **kwargs
        )

    @staticmethod
    def installments(moves):
        """The receivable installments of ``moves``, by due date then id."""
        return moves.line_ids.filtered(lambda line: line.display_type == "payment_term").sorted(
            lambda line: (line.date_maturity, line.id)
        )

    @classmethod
    def pay(cls, records, amount=None, payment_date=None):
        """Register one payment, dated ``payment_date`` (default ``today``),
        on invoices (account.move) or on installments (account.move.line): of
        ``amount`` if given (partial payment, the difference stays open), else
        of the whole residual (every installment, late or not)."""
        # The residual in the documents' currency, the one of the payment.
        if records._name == "account.move.line":
            residual = sum(records.mapped("amount_residual_currency"))
        else:
            residual = sum(records.mapped("amount_residual"))
        values = {
            "payment_date": payment_date or cls.today,
            "payment_method_line_id": cls.inbound_payment_method_line.id,
            "amount": residual if amount is None else amount,
            "group_payment": True,
        }
        if amount is not None:
            values["payment_difference_handling"] = "open"
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model=records._name, active_ids=records.ids)
            .create(values)
        )
        return wizard._create_payments()

    # ------------------------------------------------------------------
    # Reading back
    # ------------------------------------------------------------------
    def open_lines(self, extra_domain=None):
        """The installments to collect (and ``extra_domain``)."""
        return self.Line.search(self.Line._relance_open_domain() + (extra_domain or []))

    @staticmethod
    def reminder_dates(line):
        """The three level dates and the level of ``line``, re-read from the
        database."""
        line.invalidate_recordset()
        return (
            line.reminder_date_1,
            line.reminder_date_2,
            line.reminder_date_3,
            line.reminder_level,
        )

    def history_of(self, lines, corrections=False):
        """The reminders recorded on ``lines`` (with the managers' date
        corrections when ``corrections``)."""
        domain = [("move_line_id", "in", lines.ids)]
        if not corrections:
            domain.append(("channel", "!=", "correction"))
        return self.env["relance.history"].sudo().search(domain)

    def counts(self):
        """Rows of everything a confirmation writes, straight from SQL."""
        self.env.flush_all()
        result = {}
        for table in (
            "relance_history",
            "relance_letter",
            "ir_attachment",
            "mail_mail",
            "mail_message",
        ):
            self.env.cr.execute(SQL("SELECT COUNT(*) FROM %s", SQL.identifier(table)))
            result[table] = self.env.cr.fetchone()[0]
        self.env.cr.execute(
            "SELECT COUNT(*) FROM account_move_line WHERE reminder_date_1 IS NOT NULL "
            "OR reminder_date_2 IS NOT NULL OR reminder_date_3 IS NOT NULL"
        )
        result["dated_lines"] = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT COALESCE(SUM(reminder_level), 0) FROM account_move_line")
        result["levels"] = self.env.cr.fetchone()[0]
        return result

    # ------------------------------------------------------------------
    # The reminder wizard
    # ------------------------------------------------------------------
    def make_wizard(self, lines=None, domain=None, env=None, **values):
        """The wizard as the list opens it: selection in ``active_ids``, the
        list's domain in ``active_domain``."""
        env = env or self.env
        context = {
            "active_model": "account.move.line",
            "active_ids": lines.ids if lines else [],
            "active_domain": domain if domain is not None else [],
        }
        values = {"level": 1, "output": "pdf", **values}
        if values["level"] is None:  # let the wizard propose it
            del values["level"]
        return env["relance.wizard"].with_context(**context).create(values)

    def letter_of(self, lines, company=None, level=None):
        """The one document the history of ``lines`` (at ``level``) links
        to, checked to be kept with the letter of that history (res_model
        relance.letter, the letter of the history records of ``lines``) and
        in the lines' company."""
        history = self.history_of(lines)
        if level:
            history = history.filtered(lambda record: record.level == level)
        self.assertEqual(len(history), len(lines))
        document = history.attachment_id
        self.assertEqual(len(document), 1, document.mapped("name"))
        self.assertEqual(document.res_model, "relance.letter")
        self.assertIn(document.res_id, history.letter_id.ids)
        self.assertEqual(document.company_id, company or lines.company_id)
        return document

    def attachment_of_action(self, action):
        """The ir.attachment an ``ir.actions.act_url`` download points to."""
        self.assertEqual(action["type"], "ir.actions.act_url")
        match = re.fullmatch(r"/web/content/(\d+)\?download=true", action["url"])
        self.assertTrue(match, action["url"])
        attachment = self.env["ir.attachment"].browse(int(match.group(1)))
        self.assertTrue(attachment.exists())
        return attachment

    # ------------------------------------------------------------------
    # Formatting
    # ------------------------------------------------------------------
    def fmt(self, amount, currency=None):
        return format_amount(self.env, amount, currency or self.currency)

    def fmt_date(self, value):
        return format_date(self.env, value)

    @staticmethod
    def to_date(value):
        return fields.Date.to_date(value)
