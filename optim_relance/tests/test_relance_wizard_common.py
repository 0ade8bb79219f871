"""Fixtures of the reminder processing wizard tests (no test in here).

"Today" is frozen on ``TODAY`` (noon, so that no timezone moves the date) by
the classes that use :class:`RelanceWizardCase`; every invoice is dated
relative to it.
"""

import io
import os
import re
import shutil
import subprocess
import tempfile
from datetime import date, timedelta

from odoo import Command, fields
from odoo.tools import format_amount, format_date

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import RelanceReadBack

TODAY = date(2024, 6, 15)
FROZEN_NOW = "2024-06-15 12:00:00"

LEVEL_TITLES = {1: "Payment reminder", 2: "Second reminder", 3: "Formal notice"}


def days_ago(days):
    return TODAY - timedelta(days=days)


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


class RelanceWizardCase(RelanceReadBack, AccountTestInvoicingCommon):
    """Payers, invoices and helpers around ``relance.wizard``.

    ``today`` is the day the invoices are dated from: ``TODAY`` when the
    class freezes time on it, else the real today (set in ``setUpClass``)."""

    today = TODAY

    @classmethod
    def ago(cls, days):
        return cls.today - timedelta(days=days)

    def d(self, days):
        """``ago(days)`` formatted as the letters show it."""
        return format_date(self.env, self.ago(days))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.Line = cls.env["account.move.line"]
        cls.Wizard = cls.env["relance.wizard"]
        cls.WizardClass = cls.env.registry["relance.wizard"]
        cls.company.write({"city": "Lyon", "email": "compta@company-one.test"})
        cls.pay_terms_split = cls.env["account.payment.term"].create(
            {
                "name": "Relance: half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                ],
            }
        )
        partners = cls.env["res.partner"].create(
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
        cls.payer_a, cls.payer_b, cls.payer_c = partners

    # ------------------------------------------------------------------
    # Invoices
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
    ):
        """A customer invoice without taxes: its total is the sum of ``amounts``."""
        company = company or cls.company
        invoice_date = invoice_date or cls.today
        values = {
            "move_type": "out_invoice",
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
    def pay(cls, invoices):
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {
                    "payment_date": cls.today,
                    "payment_method_line_id": cls.inbound_payment_method_line.id,
                    "group_payment": True,
                }
            )
        )
        return wizard._create_payments()

    # ------------------------------------------------------------------
    # The wizard
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

    def counts(self):
        """Rows of everything a confirmation writes, straight from SQL."""
        self.env.flush_all()
        result = {}
        for table in ("relance_history", "ir_attachment", "mail_mail", "mail_message"):
            self.env.cr.execute(f"SELECT COUNT(*) FROM {table}")
            result[table] = self.env.cr.fetchone()[0]
        self.env.cr.execute(
            "SELECT COUNT(*) FROM account_move_line WHERE reminder_date_1 IS NOT NULL "
            "OR reminder_date_2 IS NOT NULL OR reminder_date_3 IS NOT NULL"
        )
        result["dated_lines"] = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT COALESCE(SUM(reminder_level), 0) FROM account_move_line")
        result["levels"] = self.env.cr.fetchone()[0]
        return result

    def letter_of(self, lines, company=None, level=None):
        """The one document the history of ``lines`` (at ``level``) links
        to, checked to be kept with that history (res_model relance.history,
        one of the history records of ``lines``) and in the lines' company."""
        history = self.history_of(lines)
        if level:
            history = history.filtered(lambda record: record.level == level)
        self.assertEqual(len(history), len(lines))
        document = history.attachment_id
        self.assertEqual(len(document), 1, document.mapped("name"))
        self.assertEqual(document.res_model, "relance.history")
        self.assertIn(document.res_id, history.ids)
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

    def fmt(self, amount, currency=None):
        return format_amount(self.env, amount, currency or self.currency)

    def fmt_date(self, value):
        return format_date(self.env, value)

    @staticmethod
    def to_date(value):
        return fields.Date.to_date(value)
