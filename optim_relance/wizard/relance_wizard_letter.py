import re
from datetime import timedelta

import lxml.html

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, is_html_empty

from ..models.account_move_line import level_field


class RelanceWizardLetter(models.TransientModel):
    """One letter of a batch: a payer, a company, a currency and its
    installments. The PDF report is rendered on these records, and the email
    and Word outputs read the same texts and table rows."""

    _name = "relance.wizard.letter"
    _description = "Reminder letter"
    _order = "id"

    wizard_id = fields.Many2one("relance.wizard", required=True, ondelete="cascade")
    payer_id = fields.Many2one("res.partner", required=True)
    company_id = fields.Many2one("res.company", required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    line_ids = fields.Many2many("account.move.line", string="Installments")
    level = fields.Integer(required=True)
    date = fields.Date(required=True)
    level_config_id = fields.Many2one("relance.level", compute="_compute_level_config_id")
    lang = fields.Char(compute="_compute_lang")
    # Rendered on demand for the whole batch (non-stored: no write per letter)
    title = fields.Char(compute="_compute_texts")
    intro_html = fields.Html(compute="_compute_texts", sanitize=False)
    closing_html = fields.Html(compute="_compute_texts", sanitize=False)

    @api.depends("level", "company_id")
    def _compute_level_config_id(self):
        level_model = self.env["relance.level"]
        configs = {}  # one lookup per level and company, not per letter
        for letter in self:
            key = (letter.level, letter.company_id)
            if key not in configs:
                configs[key] = level_model._get_for(*key)
            letter.level_config_id = configs[key]

    @api.depends("payer_id.lang")
    def _compute_lang(self):
        """The payer's language when it is installed, else French."""
        active = {code for code, _name in self.env["res.lang"].get_installed()}
        fallback = "fr_FR" if "fr_FR" in active else self.env.lang
        for letter in self:
            lang = letter.payer_id.lang
            letter.lang = lang if lang in active else fallback

    # ------------------------------------------------------------------
    # What the texts and the table show
    # ------------------------------------------------------------------
    @property
    def deadline(self):
        return self.date + timedelta(days=self.level_config_id.deadline_days or 0)

    # ``lines``: a part of the letter's installments (one invoice, for the
    # Word letters), else all of them.
    def _previous_level_date(self, level, lines=None):
        """Latest date of an earlier level over the installments."""
        lines = self.line_ids if lines is None else lines
        dates = [d for d in lines.mapped(level_field(level)) if d]
        return max(dates) if dates else False

    def _total_residual(self, lines=None):
        lines = self.line_ids if lines is None else lines
        return self.currency_id.round(sum(lines.mapped("amount_residual_currency")))

    def _total_amount(self, lines=None):
        lines = self.line_ids if lines is None else lines
        return self.currency_id.round(sum(lines.mapped("amount_currency")))

    def _fmt_date(self, date):
        return format_date(self.env, date, lang_code=self.lang) if date else ""

    def _fmt_amount(self, amount):
        return format_amount(self.env, amount, self.currency_id, lang_code=self.lang)

    def _line_rows(self, lines=None):
        """The table of installments, as display strings, for every output."""
        self.ensure_one()
        rows = []
        for line in lines if lines is not None else self.line_ids:
            maturity = line.date_maturity
            days_late = max((self.date - maturity).days, 0) if maturity else 0
            rows.append(
                {
                    "line": line,
                    "invoice": line.move_id.name,
                    "invoice_date": self._fmt_date(line.move_id.invoice_date),
                    "date_maturity": self._fmt_date(maturity),
                    "days_late": days_late,
                    "amount": self._fmt_amount(line.amount_currency),
                    "residual": self._fmt_amount(line.amount_residual_currency),
                }
            )
        return rows

    def _render_context(self, lines=None):
        """Variables of the level's texts and email (besides ``object``, the payer)."""
        self.ensure_one()
        lines = self.line_ids if lines is None else lines
        total_residual = self._total_residual(lines)
        return {
            "company": self.company_id,
            "lines": lines,
            "level": self.level,
            "reminder_date_text": self._fmt_date(self.date),
            "deadline_text": self._fmt_date(self.deadline),
            "total_residual": total_residual,
            "total_residual_text": self._fmt_amount(total_residual),
            "total_amount_text": self._fmt_amount(self._total_amount(lines)),
            "date_level_1": self._fmt_date(self._previous_level_date(1, lines)),
            "date_level_2": self._fmt_date(self._previous_level_date(2, lines)),
        }

    def _render_texts(self, lines=None):
        """``(intro_html, closing_html)`` of the level, in the letter's language,
        about ``lines``."""
        self.ensure_one()
        config = self.level_config_id.with_context(lang=self.lang)
        context = self._render_context(lines)
        payer_id = self.payer_id.id
        return tuple(
            config._render_field(fname, [payer_id], add_context=context)[payer_id]
            for fname in ("letter_intro", "letter_closing")
        )

    @api.depends("level", "date", "company_id", "payer_id", "line_ids", "lang")
    def _compute_texts(self):
        """The level's title and texts, rendered once per letter in its language."""
        for letter in self:
            letter.title = letter.level_config_id.with_context(lang=letter.lang).name
            letter.intro_html, letter.closing_html = letter._render_texts()

    @api.model
    def _paragraph_runs(self, html):
        """A rendered text as Word paragraphs: one per ``<p>`` (or list item),
        each a list of ``(text, bold)`` runs, whitespace collapsed as a browser
        would."""
        if not html or not html.strip():
            return []
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        paragraphs = []
        for block in root.xpath(".//p | .//li | .//h1 | .//h2 | .//h3") or [root]:
            runs = []
            _collect_runs(block, False, runs)
            text_runs = [(re.sub(r"[ \t\r\n]+", " ", text), bold) for text, bold in runs if text]
            if text_runs:
                first, last = text_runs[0], text_runs[-1]
                text_runs[0] = (first[0].lstrip(), first[1])
                text_runs[-1] = (text_runs[-1][0].rstrip(), last[1])
                if "".join(text for text, _bold in text_runs):
                    paragraphs.append(text_runs)
        return paragraphs

    # ------------------------------------------------------------------
    # Attachments and email
    # ------------------------------------------------------------------
    def _document_name(self, extension, invoice=None):
        self.ensure_one()
        subject = invoice.name if invoice else self.payer_id.name
        title = self.with_context(lang=self.lang).level_config_id.name or ""
        name = f"{title} - {subject} - {fields.Date.to_string(self.date)}.{extension}"
        return name.replace("/", "-")

    def _attachment_vals(self, raw, extension, invoice=None):
        self.ensure_one()
        mimetypes = {
            "pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
        return {
            "name": self._document_name(extension, invoice),
            "raw": raw,
            "mimetype": mimetypes[extension],
            "res_model": "relance.history",
            "company_id": self.company_id.id,
        }

    def _email_layout(self, body):
        """The email as sent: the body inside Odoo's light email layout, with
        the company's logo and coordinates, like Odoo's own documents; the
        chatter keeps the bare body."""
        payer = self.payer_id
        html = (
            self.env["ir.qweb"]
            .with_context(lang=self.lang)
            ._render(
                "mail.mail_notification_light",
                {
                    "message": self.env["mail.message"].sudo().new({"body": body}),
                    "subtype": self.env["mail.message.subtype"].sudo(),
                    "model_description": self.title,
                    "record": payer,
                    "record_name": False,
                    "subtitles": False,
                    "company": self.company_id,
                    "email_add_signature": False,
                    "signature": "",
                    "website_url": "",
                    "is_html_empty": is_html_empty,
                },
                minimal_qcontext=True,
                raise_if_not_found=False,
            )
        )
        return self.env["mail.render.mixin"]._replace_local_links(html) if html else body

    def _prepare_mail_vals(self, attachments):
        self.ensure_one()
        template = self.level_config_id.mail_template_id
        payer = self.payer_id
        if not template:
            raise UserError(
                self.env._(
                    "The reminder level “%(level)s” of %(company)s has no email template: "
                    "choose one on the level (Invoicing › Configuration › Reminder levels).",
                    level=self.level_config_id.display_name,
                    company=self.company_id.name,
                )
            )
        template = template.with_context(lang=self.lang)
        context = self._render_context()

        def render(field):
            return template._render_field(field, [payer.id], add_context=context)[payer.id]

        body = render("body_html")
        email_from = (
            render("email_from") or self.company_id.email_formatted or self.env.user.email_formatted
        )
        return {
            "subject": render("subject"),
            "body": body,
            "body_html": self._email_layout(body),
            "email_from": email_from,
            # Explicit: else Odoo looks up a reply-to alias, one query per email
            "reply_to": email_from,
            "email_to": payer.reminder_email,
            "model": "res.partner",
            "res_id": payer.id,
            "record_name": payer.display_name,
            "message_type": "email_outgoing",
            "attachment_ids": [fields.Command.set(attachments.ids)],
            "auto_delete": False,
            "author_id": self.env.user.partner_id.id,
        }


def _collect_runs(node, bold, runs):
    """Depth-first ``(text, bold)`` runs of an HTML element."""
    bold = bold or node.tag in ("strong", "b")
    if node.tag == "br":
        runs.append(("\n", bold))
    if node.text:
        runs.append((node.text, bold))
    for child in node:
        if isinstance(child.tag, str):
            _collect_runs(child, bold, runs)
        if child.tail:
            runs.append((child.tail, bold))
