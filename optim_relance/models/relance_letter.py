import base64
import functools
import io
import re
import threading
import zipfile
from datetime import timedelta

import lxml.html
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_amount, format_date
from odoo.tools.misc import formatLang

from ..tools import late_penalties, pdf_threads, relance_docx
from ..tools.plurals import plural
from .account_move_line import LEVEL_RANGE_CONSTRAINT, level_field

OUTPUTS = [
    ("email", "Email"),
    ("pdf", "PDF letter"),
    ("word", "Word letter"),
]

# Letters rendered per wkhtmltopdf run: large enough to amortise its start-up,
# small enough to keep its memory bounded on big batches (wkhtmltopdf inherits
# the worker's memory limit: 200 letters crashed it under the default 2.5 GB,
# 50 letters peak at about 620 MB; see bench/README.md).
PDF_CHUNK = 50
# wkhtmltopdf runs at once: one per core of a 2-core server (each one's memory
# bounded by PDF_CHUNK), the next chunk's HTML rendered meanwhile.
PDF_THREADS = 2

REPORT = "optim_relance.action_report_relance_letter"
# The style sheets of Odoo's PDF reports (web.report_layout, minimal_layout).
REPORT_ASSETS = ("web.report_assets_common", "web.report_assets_pdf")
# Odoo's light layout without "Powered by Odoo" nor "Unfollow": a payment
# reminder is not a newsletter.
EMAIL_LAYOUT = "optim_relance.mail_layout_relance"
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}

# The letter's values as its texts show them (formatted in its language):
# variables of the level's texts, fields of the letter for its emails.
TEXT_VALUES = (
    "reminder_date_text",
    "deadline_text",
    "total_residual_text",
    "total_amount_text",
    "date_level_1",
    "date_level_2",
    "penalty_total_text",
    "indemnity_total_text",
    "claimed_total_text",
    "penalty_rate_text",
    "penalty_clause_text",
    "penalty_label",
    "indemnity_label",
    "unpaid_text",
)

# What a letter claims besides the residual (see ``_claim_values``).
CLAIM_FIELDS = (
    "penalty_amount",
    "indemnity_amount",
    "indemnity_count",
    "claimed_amount",
    "penalty_rate",
)

# What ``_create_letters`` renders once and stores on each letter.
SNAPSHOT = (
    "lang",
    "line_count",
    "amount_total",
    "amount_residual",
    "deadline",
    "previous_date_1",
    "previous_date_2",
    "title",
    "intro_html",
    "closing_html",
    "show_penalties",
    *CLAIM_FIELDS,
)

# What an email template may show without its author being a template editor
# (Odoo's rule for dynamic content, see ``mail_allowed_qweb_expressions``):
# plain values, rendered escaped.
EMAIL_VARIABLES = (
    "object.partner_id.name",
    "object.company_id.name",
    "object.company_id.email_formatted",
    "object.title",
    "object.level",
    "object.line_count",
    "object.email_lines_html",
    "object.payment_html",
    *(f"object.{fname}" for fname in TEXT_VALUES),
)


class RelanceLetter(models.Model):
    """One reminder sent: a payer, a company, a currency, a level and its
    installments, with the documents the customer received (one PDF, or one
    Word letter per invoice) and, by email, the email itself.

    Letters are evidence: created only by the processing wizard, after its
    checks, never edited nor deleted by users. Reprinting or resending one
    never records a new reminder."""

    _name = "relance.letter"
    _inherit = ["mail.thread"]
    _description = "Reminder letter"
    _order = "date desc, id desc"
    _check_company_auto = True
    # Users who may read a letter may comment on it (it is never edited).
    _mail_post_access = "read"

    partner_id = fields.Many2one(
        "res.partner",
        string="Payer",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    level = fields.Integer(required=True, readonly=True)
    date = fields.Date(string="Reminder date", required=True, readonly=True)
    output = fields.Selection(OUTPUTS, required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Sent by", required=True, readonly=True, default=lambda s: s.env.user
    )
    line_ids = fields.Many2many(
        "account.move.line",
        "relance_letter_move_line_rel",
        "letter_id",
        "line_id",
        string="Installments",
        readonly=True,
        check_company=True,
    )
    history_ids = fields.One2many("relance.history", "letter_id", readonly=True)
    # The documents sent (those of its history), not whatever is later posted
    # on the letter's chatter.
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Documents", compute="_compute_attachment_ids"
    )
    mail_id = fields.Many2one(
        "mail.mail",
        string="Email",
        readonly=True,
        ondelete="set null",
        help="The email of the letter, when it was first emailed (resends are in its chatter).",
    )
    mail_message_id = fields.Many2one(
        "mail.message", string="Email message", readonly=True, ondelete="set null"
    )
    email_to = fields.Char(string="Sent to", readonly=True, help="Where it was first emailed.")
    # What the letter says, rendered once in its language when it is created
    # and kept as sent (see ``_create_letters``): later changes of the
    # installments or of the level's texts never alter a letter.
    lang = fields.Char(readonly=True)
    line_count = fields.Integer(string="Installments count", readonly=True)
    amount_total = fields.Monetary(readonly=True)
    amount_residual = fields.Monetary(string="Residual", readonly=True)
    deadline = fields.Date(string="Payment deadline", readonly=True)
    previous_date_1 = fields.Date(
        string="Level 1 reminder of",
        readonly=True,
        help="Latest level 1 reminder of these installments when the letter was sent.",
    )
    previous_date_2 = fields.Date(
        string="Level 2 reminder of",
        readonly=True,
        help="Latest level 2 reminder of these installments when the letter was sent.",
    )
    title = fields.Char(readonly=True)
    intro_html = fields.Html(string="Opening text", readonly=True, sanitize=False)
    closing_html = fields.Html(string="Closing text", readonly=True, sanitize=False)
    # What it claims besides the residual (levels with ``show_penalties``),
    # computed as of its date: French late-payment penalties and the 40 €
    # indemnity per late invoice (account.move.line._reminder_penalty_amounts).
    show_penalties = fields.Boolean(string="Penalties shown", readonly=True)
    penalty_amount = fields.Monetary(string="Late-payment penalties", readonly=True)
    indemnity_amount = fields.Monetary(string="Recovery indemnity", readonly=True)
    indemnity_count = fields.Integer(string="Invoices with an indemnity", readonly=True)
    claimed_amount = fields.Monetary(
        string="Total claimed", readonly=True, help="Residual, penalties and indemnity."
    )
    penalty_rate = fields.Float(
        string="Penalty rate (%)",
        digits=(16, 2),
        readonly=True,
        help="Annual rate of the penalties in the half-year of the reminder date.",
    )
    invoice_penalties = fields.Boolean(
        string="Invoice the penalties",
        readonly=True,
        help="Its penalties and indemnity are invoiced to the payer when sent.",
    )
    penalty_move_id = fields.Many2one(
        "account.move", string="Penalty invoice", readonly=True, ondelete="set null"
    )
    # The same values as text, for the email templates.
    reminder_date_text = fields.Char(compute="_compute_text_values")
    deadline_text = fields.Char(compute="_compute_text_values")
    total_residual_text = fields.Char(compute="_compute_text_values")
    total_amount_text = fields.Char(compute="_compute_text_values")
    date_level_1 = fields.Char(compute="_compute_text_values")
    date_level_2 = fields.Char(compute="_compute_text_values")
    penalty_total_text = fields.Char(compute="_compute_text_values")
    indemnity_total_text = fields.Char(compute="_compute_text_values")
    claimed_total_text = fields.Char(compute="_compute_text_values")
    penalty_rate_text = fields.Char(compute="_compute_text_values")
    penalty_clause_text = fields.Char(compute="_compute_text_values")
    penalty_label = fields.Char(compute="_compute_text_values")
    indemnity_label = fields.Char(compute="_compute_text_values")
    unpaid_text = fields.Char(compute="_compute_text_values")
    # The installments and how to pay them, as the emails show them.
    email_lines_html = fields.Html(compute="_compute_email_html", sanitize=False)
    payment_html = fields.Html(compute="_compute_email_html", sanitize=False)
    level_config_id = fields.Many2one("relance.level", compute="_compute_level_config_id")
    mail_state = fields.Selection(related="mail_id.state", string="Email status", store=True)
    run_id = fields.Many2one(
        "relance.run", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    state = fields.Selection(
        [("queued", "Queued"), ("sent", "Sent"), ("cancelled", "Cancelled")],
        default="sent",
        required=True,
        readonly=True,
        help="Queued: part of a run still being processed. Cancelled: when its turn came, none "
        "of its installments could be reminded any more (see the run's skipped installments).",
    )

    _sql_constraints = [LEVEL_RANGE_CONSTRAINT]

    @api.constrains("line_ids", "company_id", "currency_id")
    def _check_line_ids(self):
        """A letter speaks of installments of one company in one currency: its
        totals never mix two. (Their payer may change later, a merge of
        contacts for instance: the letter stays what was sent to whom.)"""
        for letter in self:
            if any(
                (line.company_id, line.currency_id) != (letter.company_id, letter.currency_id)
                for line in letter.line_ids
            ):
                raise ValidationError(
                    self.env._(
                        "A reminder letter covers installments of its company, in its currency "
                        "only."
                    )
                )

    @api.model
    def mail_allowed_qweb_expressions(self):
        return super().mail_allowed_qweb_expressions() + EMAIL_VARIABLES

    def _get_mail_message_access(self, res_ids, operation, model_name=None):
        """Credit controllers, who only read letters, comment on them; a
        read-only auditor does not post (an email to anyone) from a letter."""
        access = super()._get_mail_message_access(res_ids, operation, model_name=model_name)
        if operation == "create" and not self.env.user.has_group("account.group_account_invoice"):
            return "write"
        return access

    @api.model
    def _create_letters(self, vals_list):
        """The letters of a batch, in one ``create``: what they say (texts,
        language, amounts, earlier dates) is rendered first in the user's
        environment, as new records, then stored as sent. Elevated rights
        for the creation only: users read letters, only this code creates
        them, after the processing wizard's checks."""
        drafts = self.browse()
        for vals in vals_list:
            drafts |= self.new(vals)
        snapshot = drafts._snapshot_values()
        return (
            self.sudo()
            .create([{**vals, **values} for vals, values in zip(vals_list, snapshot, strict=True)])
            .sudo(False)
        )

    def _snapshot_values(self):
        """What these (new) letters say, as values to store (``SNAPSHOT``)."""
        drafts = self.with_prefetch(self._ids)
        drafts._fill_snapshot()
        return [
            {fname: self._fields[fname].convert_to_write(draft[fname], draft) for fname in SNAPSHOT}
            for draft in drafts
        ]

    def _refresh_snapshot(self):
        """Render again what these queued letters say, when their
        installments changed since the batch was confirmed (a payment, an
        installment left out): a letter tells what is due when it is sent."""
        stale = self.filtered(
            lambda letter: (
                letter.line_count != len(letter.line_ids)
                or letter.currency_id.compare_amounts(
                    letter.amount_residual, letter._total_residual(letter.line_ids)
                )
            )
        )
        drafts = self.browse()
        for letter in stale:
            drafts |= self.new({"line_ids": letter.line_ids.ids}, origin=letter)
        for letter, values in zip(stale, drafts._snapshot_values(), strict=True):
            # Elevated rights: only this code writes letters (see _create_letters).
            letter.sudo().write(values)

    @api.depends("title", "partner_id", "date", "currency_id", "company_id")
    def _compute_display_name(self):
        for letter in self:
            name = self.env._(
                "%(title)s – %(payer)s – %(date)s",
                title=letter.title or "",
                payer=letter.partner_id.name or "",
                date=letter._fmt_date(letter.date),
            )
            # A payer's letters of one day differ by their currency.
            if letter.currency_id and letter.currency_id != letter.company_id.currency_id:
                name = f"{name} ({letter.currency_id.name})"
            letter.display_name = name

    @api.depends("history_ids.attachment_id")
    def _compute_attachment_ids(self):
        for letter in self:
            letter.attachment_ids = letter.history_ids.attachment_id.sorted("id")

    @api.depends("level", "company_id")
    def _compute_level_config_id(self):
        level_model = self.env["relance.level"]
        configs = {}  # one lookup per level and company, not per letter
        for letter in self:
            key = (letter.level, letter.company_id)
            if key not in configs:
                configs[key] = level_model._get_for(*key)
            letter.level_config_id = configs[key]

    def _fill_snapshot(self):
        """Fill what (new) letters say, in the user's environment: their
        language (the level's ``lang``, the payer's by default, when it is
        installed, else French), amounts, deadline, earlier reminder dates,
        title and texts."""
        active = {code for code, _name in self.env["res.lang"].get_installed()}
        fallback = "fr_FR" if "fr_FR" in active else self.env.lang or "en_US"
        for config, letters in self.grouped("level_config_id").items():
            rendered = config._render_lang(letters.partner_id.ids) if config.lang else {}
            for letter in letters:
                lang = rendered.get(letter.partner_id.id) or letter.partner_id.lang
                letter.lang = lang if lang in active else fallback
        for letter in self:
            lines = letter.line_ids
            config = letter.level_config_id
            letter.update(
                {
                    "line_count": len(lines),
                    "amount_total": letter._total_amount(lines),
                    "amount_residual": letter._total_residual(lines),
                    "deadline": letter.date + timedelta(days=config.deadline_days or 0),
                    "previous_date_1": letter._previous_level_date(1, lines),
                    "previous_date_2": letter._previous_level_date(2, lines),
                    "title": config.with_context(lang=letter.lang).name,
                    "show_penalties": config.show_penalties,
                }
            )
            letter.update(letter._claim_values(lines))
            letter.intro_html, letter.closing_html = letter._render_texts()

    @api.depends(
        "lang",
        "date",
        "deadline",
        "amount_total",
        "amount_residual",
        "penalty_amount",
        "indemnity_amount",
        "indemnity_count",
        "penalty_rate",
    )
    def _compute_text_values(self):
        for letter in self:
            values = letter._text_values()
            for fname in TEXT_VALUES:
                letter[fname] = values[fname]

    # ------------------------------------------------------------------
    # What the texts and the table show
    # ------------------------------------------------------------------
    # ``lines``: a part of the letter's installments (one invoice, for the
    # Word letters), else all of them.
    def _previous_level_date(self, level, lines):
        """Latest date of an earlier level over the installments."""
        dates = [d for d in lines.mapped(level_field(level)) if d]
        return max(dates) if dates else False

    def _total_residual(self, lines):
        return self.currency_id.round(sum(lines.mapped("amount_residual_currency")))

    def _total_amount(self, lines):
        return self.currency_id.round(sum(lines.mapped("amount_currency")))

    def _claim_values(self, lines):
        """What the letter claims on ``lines`` besides their residual, as of
        its date, when its level shows penalties: the penalties, the 40 €
        indemnities (their number), the total claimed and the rate applied
        on its date. Raises a French error when a half-year's rates are
        missing: nothing is claimed at a wrong rate."""
        self.ensure_one()
        residual = self._total_residual(lines)
        # The stored installments, also for a letter being created (whose
        # installments are new records without some of their stored values).
        lines = lines._origin
        if not self.show_penalties:
            return {
                "penalty_amount": 0.0,
                "indemnity_amount": 0.0,
                "indemnity_count": 0,
                "claimed_amount": residual,
                "penalty_rate": 0.0,
            }
        penalty = self.currency_id.round(sum(lines._reminder_penalty_amounts(self.date).values()))
        indemnities = lines._reminder_indemnity_amounts(self.date)
        indemnity = self.currency_id.round(sum(indemnities.values()))
        rule = self.company_id._reminder_penalty_rule(self.partner_id)
        rate = 0.0
        if rule:
            rates = self.env["relance.rate"]
            rate = rates._rate_of(
                rates._rate_table(), rule, late_penalties.half_year_start(self.date)
            )
        return {
            "penalty_amount": penalty,
            "indemnity_amount": indemnity,
            "indemnity_count": len(indemnities),
            "claimed_amount": self.currency_id.round(residual + penalty + indemnity),
            "penalty_rate": rate,
        }

    def _fmt_date(self, date):
        if not date:
            return ""
        # A batch formats the same few hundred dates again and again (each
        # letter's rows, texts and email): once per language and date.
        formatted = self.env.cr.cache.setdefault("optim_relance_dates", {})
        key = (self.lang, self.env.context.get("lang"), self.env.uid, date)
        if key not in formatted:
            formatted[key] = format_date(self.env, date, lang_code=self.lang)
        return formatted[key]

    def _fmt_amount(self, amount):
        return format_amount(self.env, amount, self.currency_id, lang_code=self.lang)

    def _line_rows(self, lines=None):
        """The table of installments, as display strings, for every output
        (``penalty``: empty when the letter shows no penalties)."""
        self.ensure_one()
        lines = self.line_ids if lines is None else lines
        penalties = lines._reminder_penalty_amounts(self.date) if self.show_penalties else {}
        rows = []
        for line in lines:
            maturity = line.date_maturity
            days_late = max((self.date - maturity).days, 0) if maturity else 0
            invoice = line.move_id
            rows.append(
                {
                    "invoice": invoice.name,
                    "invoice_date": self._fmt_date(invoice.invoice_date),
                    "date_maturity": self._fmt_date(maturity),
                    "days_late": days_late,
                    "amount": self._fmt_amount(line.amount_currency),
                    "residual": self._fmt_amount(line.amount_residual_currency),
                    "penalty": self._fmt_amount(penalties[line.id]) if penalties else "",
                    "payment_reference": invoice.payment_reference or invoice.name,
                }
            )
        return rows

    def _text_values(self, lines=None):
        """The letter's values as its texts show them: about all its
        installments (as stored when it was sent), or about ``lines``."""
        self.ensure_one()
        if lines is None:
            residual, total = self.amount_residual, self.amount_total
            date_1, date_2 = self.previous_date_1, self.previous_date_2
            claim = {fname: self[fname] for fname in CLAIM_FIELDS}
        else:
            residual, total = self._total_residual(lines), self._total_amount(lines)
            date_1 = self._previous_level_date(1, lines)
            date_2 = self._previous_level_date(2, lines)
            claim = self._claim_values(lines)
        invoices = (self.line_ids if lines is None else lines).move_id
        wording = self._penalty_wording(claim, len(invoices))
        return {
            "total_residual": residual,
            "reminder_date_text": self._fmt_date(self.date),
            "deadline_text": self._fmt_date(self.deadline),
            "total_residual_text": self._fmt_amount(residual),
            "total_amount_text": self._fmt_amount(total),
            "date_level_1": self._fmt_date(date_1),
            "date_level_2": self._fmt_date(date_2),
            "penalty_total_text": self._fmt_amount(claim["penalty_amount"]),
            "indemnity_total_text": self._fmt_amount(claim["indemnity_amount"]),
            "claimed_total_text": self._fmt_amount(claim["claimed_amount"]),
            **wording,
        }

    def _penalty_wording(self, claim, invoice_count):
        """The words of the letter's claim, in its language: the rule of law
        that applies to its payer (``penalty_clause_text``, for the level
        texts), the rate applied, the labels of its totals, and how many
        invoices remain unpaid (real plurals)."""
        self.ensure_one()
        env = self.with_context(lang=self.lang).env
        company = self.company_id
        rule = company._reminder_penalty_rule(self.partner_id)
        indemnity = company._reminder_claims_indemnity(self.partner_id)
        percent = functools.partial(company._reminder_percent, lang=self.lang)
        rate = claim["penalty_rate"]
        rate_text = ""
        if rule and self.show_penalties:
            fname, factor, points = rule
            if fname == "ecb_rate":
                rate_text = env._(
                    "%(rate)s a year (ECB rate of %(ecb)s plus %(points)s points)",
                    rate=percent(rate),
                    ecb=percent(rate - points),
                    points=self._fmt_number(points),
                )
            elif fname == "legal_rate_pro":
                rate_text = env._(
                    "%(rate)s a year (three times the legal interest rate of %(legal)s)",
                    rate=percent(rate),
                    legal=percent(rate / factor),
                )
            elif fname == "legal_rate_individual":
                rate_text = env._("%(rate)s a year (legal interest rate)", rate=percent(rate))
            else:
                rate_text = env._("%(rate)s a year (contractual rate)", rate=percent(rate))
        count = claim["indemnity_count"]
        indemnity_label = plural(
            env,
            count,
            env._("Fixed indemnity for recovery costs (40 € × %(count)s invoice)", count=count),
            env._("Fixed indemnity for recovery costs (40 € × %(count)s invoices)", count=count),
        )
        unpaid_text = plural(
            env,
            invoice_count,
            env._("%(count)s invoice remains unpaid", count=invoice_count),
            env._("%(count)s invoices remain unpaid", count=invoice_count),
        )
        return {
            "penalty_rate_text": rate_text,
            "penalty_clause_text": self._penalty_clause(env, rule, indemnity),
            "penalty_label": env._(
                "Late-payment penalties as of %(date)s", date=self._fmt_date(self.date)
            ),
            "indemnity_label": indemnity_label,
            "unpaid_text": unpaid_text,
        }

    def _penalty_clause(self, env, rule, indemnity):
        """The sentence of law on what a late payment costs this payer."""
        if rule is None:
            if not indemnity:
                return ""
            return env._(
                "Under article L441-10 of the French Commercial Code, any late payment makes a "
                "fixed indemnity of 40 € per invoice for recovery costs due by law, without any "
                "reminder being needed (article D441-5 of the same code)."
            )
        fname, _factor, points = rule
        if fname == "legal_rate_individual":
            return env._(
                "Under article 1231-6 of the French Civil Code, the sums due bear interest at the "
                "legal interest rate."
            )
        if fname == "ecb_rate":
            if indemnity:
                return env._(
                    "Under article L441-10 of the French Commercial Code, any late payment makes "
                    "due by law, without any reminder being needed, late-payment penalties at the "
                    "rate applied by the European Central Bank to its most recent refinancing "
                    "operation plus %(points)s points, and a fixed indemnity of 40 € per invoice "
                    "for recovery costs (article D441-5 of the same code).",
                    points=self._fmt_number(points),
                )
            return env._(
                "Under article L441-10 of the French Commercial Code, any late payment makes due "
                "by law, without any reminder being needed, late-payment penalties at the rate "
                "applied by the European Central Bank to its most recent refinancing operation "
                "plus %(points)s points.",
                points=self._fmt_number(points),
            )
        if fname == "legal_rate_pro":
            if indemnity:
                return env._(
                    "Under article L441-10 of the French Commercial Code and our terms of sale, "
                    "any late payment makes due by law, without any reminder being needed, "
                    "late-payment penalties at three times the legal interest rate, and a fixed "
                    "indemnity of 40 € per invoice for recovery costs (article D441-5 of the "
                    "same code)."
                )
            return env._(
                "Under article L441-10 of the French Commercial Code and our terms of sale, any "
                "late payment makes due by law, without any reminder being needed, late-payment "
                "penalties at three times the legal interest rate."
            )
        rate = self.company_id._reminder_percent(points, self.lang)
        if indemnity:
            return env._(
                "Under article L441-10 of the French Commercial Code and our terms of sale, any "
                "late payment makes due by law, without any reminder being needed, late-payment "
                "penalties at the rate of %(rate)s a year, and a fixed indemnity of 40 € per "
                "invoice for recovery costs (article D441-5 of the same code).",
                rate=rate,
            )
        return env._(
            "Under article L441-10 of the French Commercial Code and our terms of sale, any late "
            "payment makes due by law, without any reminder being needed, late-payment penalties "
            "at the rate of %(rate)s a year.",
            rate=rate,
        )

    def _fmt_number(self, value):
        """``value`` in the letter's language, without decimals when whole."""
        env = self.with_context(lang=self.lang).env
        return formatLang(env, value, digits=0 if float(value).is_integer() else 2)

    def _payment_accounts(self):
        """The company's bank accounts the customer pays to: those of the
        letter's invoices (their “Recipient Bank”), else the company's first."""
        self.ensure_one()
        accounts = self.line_ids.move_id.partner_bank_id
        return accounts or self.company_id.partner_id.bank_ids[:1]

    def _payment_values(self, invoices=None):
        """How to pay, in the letter's language, for every output: a line per
        bank account (holder, IBAN, BIC) and the payment references to quote
        (of ``invoices``, by default the letter's)."""
        self.ensure_one()
        env = self.with_context(lang=self.lang).env
        invoices = self.line_ids.move_id if invoices is None else invoices
        accounts = []
        for account in self._payment_accounts():
            text = env._(
                "By bank transfer to %(holder)s: IBAN %(iban)s",
                holder=account.acc_holder_name or account.partner_id.name or "",
                iban=account.acc_number or "",
            )
            if account.bank_bic:
                text = env._("%(transfer)s, BIC %(bic)s", transfer=text, bic=account.bank_bic)
            accounts.append(text)
        references = list(
            dict.fromkeys(invoice.payment_reference or invoice.name for invoice in invoices)
        )
        if len(references) == 1:
            reference_text = env._(
                "Please quote the payment reference: %(reference)s", reference=references[0]
            )
        else:
            reference_text = env._(
                "Please quote the payment reference of each invoice: %(references)s",
                references=", ".join(references),
            )
        return {
            "title": env._("How to pay"),
            "accounts": accounts,
            "reference_text": reference_text if references else "",
        }

    @api.depends_context("lang")
    def _compute_email_html(self):
        """The installments (with a link to each invoice on the customer
        portal, where it is downloaded and paid online) and how to pay, as
        the emails show them: rendered by QWeb, every value escaped."""
        qweb = self.env["ir.qweb"]
        self.line_ids.move_id._relance_ensure_portal_tokens()
        online_payment = {}
        for letter in self:
            local = letter.with_context(lang=letter.lang)
            invoices = letter.line_ids.move_id
            if letter.company_id not in online_payment:
                online_payment[letter.company_id] = letter._online_payment()
            values = {
                "letter": local,
                "rows": local._line_rows(),
                "urls": {
                    invoice.name: invoice.get_base_url() + invoice.get_portal_url()
                    for invoice in invoices
                },
                "payment": local._payment_values(),
                "online_payment": online_payment[letter.company_id],
            }
            letter.email_lines_html = qweb._render("optim_relance.relance_email_lines", values)
            letter.payment_html = qweb._render("optim_relance.relance_payment_info", values)

    def _online_payment(self):
        """Whether the customer portal offers to pay online in the letter's
        company (a payment provider is enabled)."""
        if "payment.provider" not in self.env:
            return False
        # Elevated rights: whether one exists, not what it is.
        providers = self.env["payment.provider"].sudo()
        return bool(
            providers.search_count(
                [("state", "in", ("enabled", "test")), ("company_id", "=", self.company_id.id)],
                limit=1,
            )
        )

    def _render_context(self, lines=None):
        """Variables of the level's texts (besides ``object``, the payer)."""
        self.ensure_one()
        return {
            "company": self.company_id,
            "lines": self.line_ids if lines is None else lines,
            "level": self.level,
            **self._text_values(lines),
        }

    def _render_texts(self, lines=None):
        """``(intro_html, closing_html)`` of the level, in the letter's
        language, about ``lines``."""
        self.ensure_one()
        config = self.level_config_id.with_context(lang=self.lang)
        context = self._render_context(lines)
        payer_id = self.partner_id.id
        return tuple(
            config._render_field(fname, [payer_id], add_context=context)[payer_id]
            for fname in ("letter_intro", "letter_closing")
        )

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------
    def _render(self):
        """Render and store the documents of the letters: one PDF per letter
        (also for emails), or one Word letter per invoice.

        The documents belong to the letter (res_model ``relance.letter``):
        whoever may read the letter may download them, no one else (another
        company's user neither). They are created with elevated rights,
        since only the code creates letters; their content was rendered
        with the user's rights. They are stored as they come, by chunks: a
        batch never holds every document in memory.

        :return: ``[(letter, invoice or None, attachment)]``
        """
        documents = []
        for chunk in self._document_chunks():
            attachments = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    [
                        letter._attachment_vals(raw, extension, invoice)
                        for letter, invoice, extension, raw in chunk
                    ]
                )
                .sudo(False)
            )
            documents += [
                (letter, invoice, attachment)
                for (letter, invoice, _extension, _raw), attachment in zip(
                    chunk, attachments, strict=True
                )
            ]
        return documents

    def _document_chunks(self):
        """Lists of ``(letter, invoice, extension, raw)``: the documents of
        about ``PDF_CHUNK`` letters at a time."""
        for output, letters in self.grouped("output").items():
            if output == "word":
                for start in range(0, len(letters), PDF_CHUNK):
                    yield [
                        (letter, invoice, "docx", raw)
                        for letter in letters[start : start + PDF_CHUNK]
                        for invoice, raw in letter._render_word().items()
                    ]
            else:
                chunk = []
                for letter, raw in letters._render_pdf():
                    chunk.append((letter, None, "pdf", raw))
                    if len(chunk) == PDF_CHUNK:
                        yield chunk
                        chunk = []
                if chunk:
                    yield chunk

    def _render_pdf(self):
        """``(letter, pdf bytes)`` of each letter, rendered by chunks (per
        company, at most ``PDF_CHUNK`` letters), one wkhtmltopdf run per
        chunk, ``PDF_THREADS`` at once (see ``tools/pdf_threads``), and split
        per letter afterwards."""
        report_model = self.env["ir.actions.report"].with_context(optim_relance_letters=True)
        threads = self._pdf_threads()
        chunks = []
        for company, letters in self.grouped("company_id").items():
            # A small batch too is shared between the wkhtmltopdf runs.
            size = min(PDF_CHUNK, -(-len(letters) // threads))
            chunks += [
                letters[start : start + size].with_company(company)
                for start in range(0, len(letters), size)
            ]
        renders = [
            functools.partial(
                report_model.with_company(chunk.company_id)._render_qweb_pdf_prepare_streams,
                REPORT,
                None,
                res_ids=chunk.ids,
            )
            for chunk in chunks
        ]
        # In test mode, the test server's threads share the test's cursor.
        lock = self.env.registry.test_lock if self.env.registry.in_test_mode() else None
        if threads > 1 and not self._report_assets_ready():
            # The first run alone makes the server generate them.
            results = [renders[0](), *pdf_threads.run_concurrently(renders[1:], threads, lock)]
        else:
            results = pdf_threads.run_concurrently(renders, threads, lock)
        for chunk, streams in zip(chunks, results, strict=True):
            for letter in chunk:
                stream = streams.get(letter.id, {}).get("stream")
                if stream is None:
                    # wkhtmltopdf could not be split (no outline): render alone.
                    report = report_model.with_company(chunk.company_id)
                    alone = report._render_qweb_pdf_prepare_streams(
                        REPORT, None, res_ids=letter.ids
                    )
                    stream = alone[letter.id]["stream"]
                yield letter, stream.getvalue()
                stream.close()

    def _pdf_threads(self):
        """wkhtmltopdf runs at once: one in an HTTP request (only its own
        thread passes wkhtmltopdf the session cookie; big batches run in the
        background anyway) and in a test server's thread (it holds the test
        lock the other threads would wait for)."""
        registry = self.env.registry
        if request or (
            registry.in_test_mode() and threading.current_thread() is not threading.main_thread()
        ):
            return 1
        return PDF_THREADS

    @api.model
    def _report_assets_ready(self):
        """Whether the report's style sheets, which wkhtmltopdf fetches from
        the server, are already generated: on a server that never printed,
        two wkhtmltopdf asking at once have Odoo generate them twice, and
        one of them gets an error (its letters without styles)."""
        qweb = self.env["ir.qweb"]
        return all(
            qweb._get_asset_bundle(bundle, js=False).get_attachments("min.css")
            for bundle in REPORT_ASSETS
        )

    def _render_word(self):
        """``{invoice: docx bytes}``: one Word letter per invoice, from the
        level's Word template when it has one."""
        self.ensure_one()
        config = self.level_config_id
        template = config.docx_template and base64.b64decode(config.docx_template)
        labels = relance_docx.labels(self.with_context(lang=self.lang).env)
        result = {}
        for invoice, lines in self.line_ids.grouped("move_id").items():
            values = self._docx_values(invoice, lines)
            try:
                result[invoice] = relance_docx.render(values, labels, template)
            except relance_docx.TEMPLATE_ERRORS as exc:
                raise UserError(
                    self.env._(
                        "The Word template of “%(level)s” could not be filled for %(invoice)s: "
                        "%(error)s",
                        level=config.display_name,
                        invoice=invoice.name,
                        error=exc,
                    )
                ) from exc
        return result

    def _docx_values(self, invoice, lines):
        """Every value of the Word letter of one invoice: also the fields
        offered to a manager's docxtpl template. The texts speak of this
        invoice only: its total, its earlier reminders."""
        company = self.company_id
        payer = self.partner_id
        text_values = self._text_values(lines)
        indemnity_count = self._claim_values(lines)["indemnity_count"] if self.show_penalties else 0
        intro_html, closing_html = self._render_texts(lines)
        payment = self._payment_values(invoice)
        return {
            "company_name": company.name,
            "company_address": relance_docx.address_lines(company.partner_id),
            "company_city": company.city or "",
            "company_registry": company.company_registry or "",
            # SIRET: a field of the French localization, when installed.
            "company_siret": company["siret"] or "" if "siret" in company._fields else "",
            "company_vat": company.vat or "",
            "company_phone": company.phone or "",
            "company_email": company.email or "",
            "company_footer": relance_docx.html_text(company.report_footer),
            "payer_name": payer.name,
            "payer_address": relance_docx.address_lines(payer),
            "title": self.title,
            "date": self._fmt_date(self.date),
            "deadline": text_values["deadline_text"],
            "date_level_1": text_values["date_level_1"],
            "date_level_2": text_values["date_level_2"],
            "invoice_number": invoice.name,
            "invoice_date": self._fmt_date(invoice.invoice_date),
            "intro": self._paragraph_runs(intro_html),
            "closing": self._paragraph_runs(closing_html),
            "lines": self._line_rows(lines),
            "total_amount": text_values["total_amount_text"],
            "total_residual": text_values["total_residual_text"],
            "show_penalties": self.show_penalties,
            "penalty_label": text_values["penalty_label"],
            "penalty_rate_text": text_values["penalty_rate_text"],
            "penalty_total": text_values["penalty_total_text"],
            "indemnity_label": text_values["indemnity_label"] if indemnity_count else "",
            "indemnity_total": text_values["indemnity_total_text"],
            "claimed_total": text_values["claimed_total_text"],
            "payment_title": payment["title"],
            "bank_accounts": payment["accounts"],
            "payment_reference": invoice.payment_reference or invoice.name,
            "payment_reference_text": payment["reference_text"],
            "level": self.level,
            "logo": company.logo,
        }

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

    def _document_name(self, extension, invoice=None):
        self.ensure_one()
        subject = invoice.name if invoice else self.partner_id.name
        name = f"{self.title or ''} - {subject} - {fields.Date.to_string(self.date)}.{extension}"
        return name.replace("/", "-")

    def _attachment_vals(self, raw, extension, invoice=None):
        self.ensure_one()
        return {
            "name": self._document_name(extension, invoice),
            "raw": raw,
            "mimetype": MIMETYPES[extension],
            "res_model": self._name,
            "res_id": self.id,
            "company_id": self.company_id.id,
        }

    # ------------------------------------------------------------------
    # Recording and sending
    # ------------------------------------------------------------------
    def _record(self, documents):
        """Record the letters' reminders on their installments, each history
        record with its letter and the document of its installment.

        :param documents: what ``_render`` returned
        :return: the created ``relance.history`` records
        """
        penalty_move_of = self._invoice_penalties()
        document_of = {}
        for letter, invoice, attachment in documents:
            for line in letter.line_ids:
                if invoice is None or line.move_id == invoice:
                    document_of[line.id] = {
                        "letter_id": letter.id,
                        "attachment_id": attachment.id,
                        "penalty_move_id": penalty_move_of.get(letter.id, False),
                    }
        histories = self.env["relance.history"]
        for (level, date, output), letters in self.grouped(
            lambda letter: (letter.level, letter.date, letter.output)
        ).items():
            histories |= letters.line_ids._relance_record(
                level, date, output, history_vals=document_of
            )
        self._schedule_activities()
        return histories

    def _invoice_penalties(self):
        """The draft customer invoices of what these letters claim, for those
        asked to invoice it: per late invoice, a line of its penalties for
        the period (from the day after its due date, or after the last day
        already invoiced, to the letter's date) and a line of its 40 €
        indemnity, outside the scope of VAT (no tax), with the company's
        products. The period and the indemnity invoiced are marked on the
        installments and invoices, so that nothing is invoiced twice.

        :return: ``{letter id: penalty invoice id}``
        """
        letters = self.filtered(lambda letter: letter.invoice_penalties and letter.show_penalties)
        invoiced = {}
        for letter in letters:
            vals = letter._penalty_invoice_vals()
            if not vals:
                continue
            move = self.env["account.move"].with_company(letter.company_id).create(vals)
            letter.line_ids.write({"reminder_penalty_invoiced_until": letter.date})
            late = letter.line_ids._reminder_indemnity_amounts(letter.date)
            self.env["account.move"].browse(late).write({"reminder_indemnity_invoiced": True})
            # Elevated rights: only this code writes letters (see _create_letters).
            letter.sudo().penalty_move_id = move
            invoiced[letter.id] = move.id
        return invoiced

    def _penalty_invoice_vals(self):
        """The values of this letter's penalty invoice, or ``None`` when it
        claims nothing."""
        self.ensure_one()
        env = self.with_context(lang=self.lang).env
        company = self.company_id
        penalties = self.line_ids._reminder_penalty_amounts(self.date)
        indemnities = self.line_ids._reminder_indemnity_amounts(self.date)
        lines = []
        for invoice, installments in self.line_ids.grouped("move_id").items():
            amount = self.currency_id.round(sum(penalties[line.id] for line in installments))
            if amount:
                starts = [
                    max(filter(None, (line.date_maturity, line.reminder_penalty_invoiced_until)))
                    for line in installments
                ]
                lines.append(
                    self._penalty_line(
                        company.reminder_penalty_product_id,
                        env._(
                            "Late-payment penalties on %(invoice)s, %(start)s to %(end)s",
                            invoice=invoice.name,
                            start=self._fmt_date(min(starts) + timedelta(days=1)),
                            end=self._fmt_date(self.date),
                        ),
                        amount,
                    )
                )
            if invoice.id in indemnities:
                lines.append(
                    self._penalty_line(
                        company.reminder_indemnity_product_id,
                        env._(
                            "Fixed indemnity for recovery costs on %(invoice)s (article D441-5 "
                            "of the French Commercial Code)",
                            invoice=invoice.name,
                        ),
                        indemnities[invoice.id],
                    )
                )
        if not lines:
            return None
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": company.id,
            "currency_id": self.currency_id.id,
            "invoice_origin": self.display_name,
            "invoice_line_ids": lines,
        }

    @api.model
    def _penalty_line(self, product, name, amount):
        return fields.Command.create(
            {
                "product_id": product.id or False,
                "name": name,
                "quantity": 1,
                "price_unit": amount,
                # Penalties and the indemnity are outside the scope of VAT.
                "tax_ids": [fields.Command.clear()],
            }
        )

    def _schedule_activities(self):
        """The follow-up activity of the letters' level (a phone call after the
        formal notice…) on each payer, for its collector, else the activity
        type's default user, else the sender (not the scheduler's OdooBot).
        One per payer, type and user: none when one is already planned."""
        planned = {}
        for letter in self:
            activity_type = letter.level_config_id.activity_type_id
            if not activity_type:
                continue
            user = (
                letter.partner_id.reminder_collector_id
                or activity_type.default_user_id
                or letter.user_id.filtered(lambda user: not user._is_superuser())
            )
            if user:
                planned.setdefault((letter.partner_id, activity_type, user), letter)
        if not planned:
            return
        # Elevated rights: the level's configured follow-up, planned by the
        # sending code on payers the sender may read but not edit. No email
        # per activity: a batch would flood the collector's inbox.
        activities = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        existing = activities.search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", [partner.id for partner, *_rest in planned]),
                ("activity_type_id", "in", [kind.id for _partner, kind, _user in planned]),
            ]
        )
        existing = {(act.res_id, act.activity_type_id.id, act.user_id.id) for act in existing}
        model_id = self.env["ir.model"]._get_id("res.partner")
        activities.create(
            [
                {
                    "activity_type_id": kind.id,
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "user_id": user.id,
                    "summary": kind.summary or letter.display_name,
                    "note": kind.default_note or False,
                    "date_deadline": kind._get_date_deadline(),
                }
                for (partner, kind, user), letter in planned.items()
                if (partner.id, kind.id, user.id) not in existing
            ]
        )

    def _send(self):
        """Email the letters (not the Word ones) with their stored PDF to the
        payer's current reminder address: the first time through the level's
        template (Odoo's rendering, in the letter's language, inside Odoo's
        light email layout), again as the same email. The emails go through
        the mail queue (sent by its cron); each is a message of its letter,
        and the payer's chatter says so.

        :return: the queued ``mail.mail``
        """
        letters = self.filtered(lambda letter: letter.output != "word")
        if not letters:
            return self.env["mail.mail"]
        letters._check_sendable()
        again = letters.filtered(lambda letter: letter.sudo().mail_id)
        mails = (letters - again)._send_first() | again._send_again()
        letters._log_on_payers(mails)
        # The mail queue runs hourly: have the scheduler send these now.
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
        if queue:
            queue._trigger()
        return mails

    def _send_first(self):
        mails = self.env["mail.mail"].sudo()
        for template, letters in self.grouped(
            lambda letter: letter.level_config_id.mail_template_id
        ).items():
            mails |= template.send_mail_batch(
                letters.ids,
                email_values={"author_id": self.env.user.partner_id.id, "auto_delete": False},
                email_layout_xmlid=EMAIL_LAYOUT,
            )
        mail_of = {mail.res_id: mail for mail in mails}
        for letter in self:
            mail = mail_of[letter.id]
            # The stored PDF, not a new rendering: what the customer received.
            mail.attachment_ids = [fields.Command.set(letter.attachment_ids.ids)]
            # Elevated rights: letters are written only by the code that sends them.
            letter.sudo().write(
                {
                    "mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "email_to": mail.email_to,
                }
            )
        return mails

    def _send_again(self):
        """The letters' first email once more (its subject, body and PDF as
        sent), to the payer's reminder address of today."""
        return (
            self.env["mail.mail"]
            .sudo()
            .create(
                [
                    {
                        "subject": first.subject,
                        "body": first.body,
                        "body_html": first.body_html,
                        "email_from": first.email_from,
                        "reply_to": first.reply_to,
                        "email_to": letter.partner_id.reminder_email,
                        "model": letter._name,
                        "res_id": letter.id,
                        "message_type": "email_outgoing",
                        "author_id": self.env.user.partner_id.id,
                        "auto_delete": False,
                        "attachment_ids": [fields.Command.set(letter.attachment_ids.ids)],
                    }
                    for letter in self
                    for first in letter.sudo().mail_id
                ]
            )
        )

    def _check_sendable(self):
        """Every letter has a template and its payer a reminder address."""
        for letter in self:
            config = letter.level_config_id
            if not config.mail_template_id:
                raise UserError(
                    self.env._(
                        "The reminder level “%(level)s” of %(company)s has no email template: "
                        "choose one on the level (Invoicing › Configuration › Reminders › "
                        "Reminder levels).",
                        level=config.display_name,
                        company=letter.company_id.name,
                    )
                )
            if not letter.partner_id.reminder_email:
                raise UserError(
                    self.env._(
                        "%(payer)s has no reminder email: enter one on the payer "
                        "(Reminders tab) first.",
                        payer=letter.partner_id.display_name,
                    )
                )

    def _log_on_payers(self, mails):
        """A line in each payer's chatter pointing to the letter: the letter
        itself, its documents and its email stay behind the company's rule."""
        mail_of = {mail.res_id: mail for mail in mails}
        bodies = {}
        for letter in self:
            link = Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>') % (
                letter._name,
                letter.id,
                letter.display_name,
            )
            mail = mail_of.get(letter.id)
            if mail:
                body = Markup(self.env._("%(letter)s emailed to %(email)s.")) % {
                    "letter": link,
                    "email": mail.email_to,
                }
            else:
                body = Markup(self.env._("%(letter)s printed.")) % {"letter": link}
            bodies.setdefault(letter.partner_id.id, []).append(body)
        # Elevated rights: the user may read the payer, not necessarily edit
        # contacts; a log line is what Odoo's own documents write there.
        partners = self.env["res.partner"].sudo().browse(list(bodies))
        partners._message_log_batch(
            {pid: Markup("<br/>").join(texts) for pid, texts in bodies.items()},
            author_id=self.env.user.partner_id.id,
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_print(self):
        """Download the letter as it was sent: its stored PDF, its Word letter,
        or a zip of its Word letters."""
        self.ensure_one()
        attachments = self.attachment_ids
        if not attachments:
            raise UserError(self.env._("This letter has no document to print."))
        if len(attachments) == 1:
            return self._url_action(attachments)
        return self._download_action(
            [(attachment.name, attachment.raw) for attachment in attachments],
            self._document_name("zip"),
        )

    def action_resend(self):
        """Email the same letter again, with its stored PDF, to the payer's
        current reminder address. No level and no history are recorded: the
        reminder was recorded when the letter was first sent."""
        if any(letter.state != "sent" for letter in self):
            raise UserError(
                self.env._("Only a letter already sent can be sent again; its run sends it.")
            )
        if any(letter.output == "word" for letter in self):
            raise UserError(
                self.env._(
                    "A Word letter is printed and posted by hand: it cannot be emailed. Process "
                    "a PDF or email reminder instead."
                )
            )
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing users may resend a reminder letter."))
        self.check_access("read")
        mails = self._send()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Reminder resent"),
                "message": plural(
                    self.env,
                    len(mails),
                    self.env._(
                        "%(count)s email queued to %(emails)s.",
                        count=len(mails),
                        emails=", ".join(mails.mapped("email_to")),
                    ),
                    self.env._(
                        "%(count)s emails queued to %(emails)s.",
                        count=len(mails),
                        emails=", ".join(mails.mapped("email_to")),
                    ),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_open_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optim_relance.action_relance_history"
        )
        action["domain"] = [("letter_id", "=", self.id)]
        return action

    @api.model
    def _download_action(self, files, name):
        """One download for several files: a zip, names made unique."""
        buffer = io.BytesIO()
        self._zip(files, buffer)
        return self._temporary_download(buffer.getvalue(), name, MIMETYPES["zip"])

    @api.model
    def _zip(self, files, file):
        """Write into ``file`` a zip of ``[(file name, content)]``, names made
        unique. The contents are mostly Word files, already compressed: stored
        as they are."""
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            seen = set()
            for file_name, content in files:
                unique, counter = file_name, 1
                stem, dot, extension = file_name.rpartition(".")
                while unique in seen:
                    counter += 1
                    unique = f"{stem} ({counter}){dot}{extension}"
                seen.add(unique)
                archive.writestr(unique, content)

    @api.model
    def _temporary_download(self, raw, name, mimetype):
        """A file made for one download (a batch, a zip): attached to no
        record, only its creator may read it."""
        attachment = self.env["ir.attachment"].create(
            {"name": name, "raw": raw, "mimetype": mimetype}
        )
        return self._url_action(attachment)

    @api.model
    def _url_action(self, attachment):
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
            "close": True,
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
