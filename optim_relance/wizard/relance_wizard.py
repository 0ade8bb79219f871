import ast
import io
import zipfile
from collections import defaultdict

import psycopg2
from PyPDF2 import PdfFileReader, PdfFileWriter

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import format_amount, format_date

from . import relance_docx

# Letters rendered per wkhtmltopdf run: large enough to amortise its start-up,
# small enough to keep its memory bounded on big batches (wkhtmltopdf inherits
# the worker's memory limit: 200 letters crashed it under the default 2.5 GB,
# 50 letters peak at about 620 MB; see bench/README.md).
PDF_CHUNK = 50

# The preview shows the first letters and skipped lines; its counts cover all.
PREVIEW_LETTERS = 50
PREVIEW_SKIPPED = 100

OUTPUTS = [
    ("email", "Send by email"),
    ("pdf", "Print PDF"),
    ("word", "Word letters"),
]


class RelanceWizard(models.TransientModel):
    """Reminder processing ("Traitement"): a level, a scope, an output.

    The preview and the confirmation both go through ``_prepare_batch``,
    which re-applies the server-side rules whatever the client sent, so an
    integration can create the wizard and call ``action_confirm`` at once.
    """

    _name = "relance.wizard"
    _inherit = "relance.level.mixin"
    _description = "Process reminders"
    _line_fields = ("selected_line_ids",)

    scope = fields.Selection(
        [("selected", "Selected installments"), ("all", "All installments of the list")],
        required=True,
        default=lambda self: "selected" if self.env.context.get("active_ids") else "all",
    )
    output = fields.Selection(OUTPUTS, required=True, default="pdf")
    date = fields.Date(string="Reminder date", required=True, default=fields.Date.context_today)
    selected_line_ids = fields.Many2many(
        "account.move.line",
        string="Selected installments",
        default=lambda self: self._default_selected_line_ids(),
    )
    active_domain = fields.Char(
        default=lambda self: repr(self.env.context.get("active_domain") or []),
        help="Search domain of the list the wizard was opened from (scope “all”).",
    )
    preview_html = fields.Html(compute="_compute_preview", sanitize=False)
    letter_count = fields.Integer(compute="_compute_preview", string="Letters")
    included_count = fields.Integer(compute="_compute_preview", string="Installments reminded")
    skipped_count = fields.Integer(compute="_compute_preview", string="Installments skipped")

    @api.model_create_multi
    def create(self, vals_list):
        # An integration passing its installments means them, not the whole list.
        for vals in vals_list:
            if vals.get("selected_line_ids") and "scope" not in vals:
                vals["scope"] = "selected"
        return super().create(vals_list)

    @api.model
    def _default_selected_line_ids(self):
        return [fields.Command.set(self._active_lines().ids)]

    @api.constrains("date")
    def _check_date(self):
        today = fields.Date.context_today(self)
        if any(wizard.date > today for wizard in self):
            raise ValidationError(self.env._("The reminder date cannot be in the future."))

    # ------------------------------------------------------------------
    # Selection, rules and grouping: shared by the preview and the confirm
    # ------------------------------------------------------------------
    def _get_list_domain(self):
        """The list's search, checked to have the shape of a domain (its
        fields and values are checked by the search itself)."""
        try:
            domain = ast.literal_eval(self.active_domain or "[]")
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise self._unreadable_search() from exc
        if not isinstance(domain, list) or not all(
            element in (expression.NOT_OPERATOR, expression.AND_OPERATOR, expression.OR_OPERATOR)
            or (isinstance(element, (list, tuple)) and len(element) == 3)
            for element in domain
        ):
            raise self._unreadable_search()
        return domain

    def _unreadable_search(self):
        return UserError(self.env._("The list's search could not be read."))

    def _get_target_lines(self):
        """The installments this run looks at, always within the installments
        of customer invoices the user may see. Scope "all" takes every line
        matching the list's search (open ones), not only the loaded page."""
        line_model = self.env["account.move.line"]
        if self.scope == "all":
            domain = expression.AND([self._get_list_domain(), line_model._relance_open_domain()])
        else:
            if not self.selected_line_ids:
                return line_model
            domain = expression.AND(
                [
                    [("id", "in", self.selected_line_ids.ids)],
                    line_model._relance_installment_domain(),
                ]
            )
        try:
            # An unknown field, operator or a value the database refuses (a
            # date "zzz") in the list's search.
            with self.env.cr.savepoint(flush=False):
                return line_model.search(domain, order="reminder_payer_id, date_maturity, id")
        except (ValueError, TypeError, KeyError, AssertionError, psycopg2.DataError) as exc:
            raise self._unreadable_search() from exc

    @api.model
    def _letter_key(self, line):
        """One letter per payer, company and currency: a letter never mixes
        two companies, and its totals never add two currencies."""
        return (line.reminder_payer_id, line.company_id, line.currency_id)

    def _prepare_batch(self):
        """Split the target installments into letters and skipped lines.

        :return: ``(letters, skipped)`` with ``letters`` a list of
            ``(payer, company, currency, lines)`` sorted by payer name and
            ``skipped`` a list of ``(line, reason)``.
        """
        self.ensure_one()
        lines = self._get_target_lines()
        company_ids = set(self.env.companies.ids)
        grouped = defaultdict(lambda: self.env["account.move.line"])
        skipped = []
        for line in lines:
            reason = line._relance_skip_reason(self.level, self.date, company_ids)
            if not reason and self.output == "email" and not line.reminder_payer_id.reminder_email:
                reason = self.env._("Payer without reminder email")
            if reason:
                skipped.append((line, reason))
            else:
                grouped[self._letter_key(line)] |= line
        letters = sorted(
            (
                (payer, company, currency, group)
                for (payer, company, currency), group in grouped.items()
            ),
            key=lambda letter: (letter[0].display_name or "", letter[1].id, letter[2].id),
        )
        return letters, skipped

    @api.depends("level", "scope", "output", "date", "selected_line_ids", "active_domain")
    def _compute_preview(self):
        for wizard in self:
            if wizard.level not in (1, 2, 3) or not wizard.date:
                wizard.update(
                    {
                        "preview_html": False,
                        "letter_count": 0,
                        "included_count": 0,
                        "skipped_count": 0,
                    }
                )
                continue
            letters, skipped = wizard._prepare_batch()
            wizard.letter_count = len(letters)
            wizard.included_count = sum(len(letter[3]) for letter in letters)
            wizard.skipped_count = len(skipped)
            wizard.preview_html = self.env["ir.qweb"]._render(
                "optim_relance.relance_wizard_preview",
                {
                    "letters": letters,
                    "skipped": skipped,
                    "wizard": wizard,
                    "max_letters": PREVIEW_LETTERS,
                    "max_skipped": PREVIEW_SKIPPED,
                    "format_amount": lambda amount, currency: format_amount(
                        self.env, amount, currency
                    ),
                    "format_date": lambda date: format_date(self.env, date),
                },
            )

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------
    def action_confirm(self):
        """Record the reminders and produce the documents, all in this one
        transaction: any failure leaves no date, history, attachment or
        queued email behind."""
        self.ensure_one()
        letters, skipped = self._prepare_batch()
        if not letters:
            raise UserError(self._nothing_to_do_message(skipped))
        all_lines = self.env["account.move.line"].union(*(letter[3] for letter in letters))
        # Lock first: a concurrent run on the same installments waits here and
        # is then retried against our dates, instead of rendering for nothing.
        all_lines._relance_lock()
        records = self._create_letters(letters)
        if self.output == "word":
            documents = self._render_word(records)
        else:
            documents = self._render_pdf(records)
        histories = all_lines._relance_record(self.level, self.date, self.output)
        attachments = self._attach_documents(records, documents, histories)
        if self.output == "email":
            self._queue_emails(records, attachments)
            return self._notify_done(records, skipped)
        return self._download_action(records, documents, attachments)

    def _nothing_to_do_message(self, skipped):
        if not skipped:
            return self.env._("No installment to remind: select installments or widen the search.")
        reasons = "\n".join(f"- {line._relance_label()}: {reason}" for line, reason in skipped[:20])
        more = len(skipped) - 20
        if more > 0:
            reasons += "\n" + self.env._("… and %(count)s more", count=more)
        return self.env._(
            "Nothing to send: every installment is skipped.\n%(reasons)s", reasons=reasons
        )

    def _create_letters(self, letters):
        letter_model = self.env["relance.wizard.letter"]
        return letter_model.create(
            [
                {
                    "wizard_id": self.id,
                    "payer_id": payer.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "line_ids": [fields.Command.set(lines.ids)],
                    "level": self.level,
                    "date": self.date,
                }
                for payer, company, currency, lines in letters
            ]
        )

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------
    def _render_pdf(self, letters):
        """``{letter: pdf bytes}``, rendered in a few wkhtmltopdf runs (per
        company, by chunks) and split per letter afterwards."""
        report_model = self.env["ir.actions.report"]
        report_ref = "optim_relance.action_report_relance_letter"
        result = {}
        for company in letters.company_id:
            company_letters = letters.filtered(lambda letter, c=company: letter.company_id == c)
            for start in range(0, len(company_letters), PDF_CHUNK):
                chunk = company_letters[start : start + PDF_CHUNK].with_company(company)
                streams = report_model.with_company(company)._render_qweb_pdf_prepare_streams(
                    report_ref, None, res_ids=chunk.ids
                )
                for letter in chunk:
                    stream = streams.get(letter.id, {}).get("stream")
                    if stream is None:
                        # wkhtmltopdf could not be split (no outline): render alone.
                        stream = report_model.with_company(
                            company
                        )._render_qweb_pdf_prepare_streams(report_ref, None, res_ids=letter.ids)[
                            letter.id
                        ]["stream"]
                    result[letter] = stream.getvalue()
                    stream.close()
        return result

    def _render_word(self, letters):
        """``{letter: {invoice: docx bytes}}``: one Word letter per invoice."""
        return {letter: relance_docx.render_letter_docx(letter) for letter in letters}

    def _attach_documents(self, letters, documents, histories):
        """Store each document with the history of the installments it covers.

        The documents belong to the reminder history, not to the contact:
        contacts are shared between companies, the history is not (record
        rule), so another company never reads these letters. They are created
        with elevated rights because invoicing users may neither edit the
        history nor contacts; what they contain was read with the user's rights.

        :return: ``{letter: ir.attachment}`` (several Word files per letter)
        """
        history_by_line = {history.move_line_id.id: history for history in histories}
        vals_list, owners, owner_letters = [], [], []
        for letter in letters:
            if self.output == "word":
                lines_by_invoice = letter.line_ids.grouped("move_id")
                for invoice, raw in documents[letter].items():
                    vals_list.append(letter._attachment_vals(raw, "docx", invoice))
                    owners.append(lines_by_invoice[invoice])
                    owner_letters.append(letter)
            else:
                vals_list.append(letter._attachment_vals(documents[letter], "pdf"))
                owners.append(letter.line_ids)
                owner_letters.append(letter)
        for vals, lines in zip(vals_list, owners, strict=True):
            vals["res_id"] = history_by_line[lines[:1].id].id
        attachments = self.env["ir.attachment"].sudo().create(vals_list)
        histories._link_attachments(
            {
                history_by_line[line.id].id: attachment.id
                for attachment, lines in zip(attachments, owners, strict=True)
                for line in lines
            }
        )
        by_letter = defaultdict(lambda: self.env["ir.attachment"].sudo())
        for attachment, letter in zip(attachments, owner_letters, strict=True):
            by_letter[letter] |= attachment
        return by_letter

    def _queue_emails(self, letters, attachments):
        """One email per letter to the payer's reminder address, in Odoo's
        mail queue (sent by its cron), logged in the payer's chatter."""
        return (
            self.env["mail.mail"]
            .sudo()
            .create([letter._prepare_mail_vals(attachments[letter]) for letter in letters])
        )

    def _download_action(self, letters, documents, attachments):
        """The batch to print: one merged PDF, or the Word letter(s) (a zip
        when there are several)."""
        if self.output == "pdf":
            writer = PdfFileWriter()
            for letter in letters:
                reader = PdfFileReader(io.BytesIO(documents[letter]), strict=False)
                for page in range(reader.getNumPages()):
                    writer.addPage(reader.getPage(page))
            buffer = io.BytesIO()
            writer.write(buffer)
            raw, name, mimetype = buffer.getvalue(), self._batch_filename("pdf"), "application/pdf"
        else:
            # The bytes already in memory, not re-read from the filestore.
            files = [
                (attachment.name, raw)
                for letter in letters
                for attachment, raw in zip(
                    attachments[letter], documents[letter].values(), strict=True
                )
            ]
            if len(files) == 1:
                return self._url_action(attachments[letters[0]])
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                seen = set()
                for name, content in files:
                    unique = name
                    counter = 1
                    while unique in seen:
                        counter += 1
                        unique = name.replace(".docx", f" ({counter}).docx")
                    seen.add(unique)
                    archive.writestr(unique, content)
            raw, name, mimetype = buffer.getvalue(), self._batch_filename("zip"), "application/zip"
        batch = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": raw,
                "mimetype": mimetype,
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return self._url_action(batch)

    def _batch_filename(self, extension):
        return self.env._(
            "Reminders level %(level)s - %(date)s.%(extension)s",
            level=self.level,
            date=fields.Date.to_string(self.date),
            extension=extension,
        )

    @api.model
    def _url_action(self, attachment):
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
            "close": True,
        }

    def _notify_done(self, letters, skipped):
        message = self.env._(
            "%(count)s reminder email(s) queued for %(lines)s installment(s).",
            count=len(letters),
            lines=len(letters.line_ids),
        )
        if skipped:
            message += " " + self.env._("%(count)s installment(s) skipped.", count=len(skipped))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Reminders sent"),
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
