import ast
import logging
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, format_amount, format_date

from ..tools.plurals import plural

_logger = logging.getLogger(__name__)

# The preview shows the first letters and skipped lines; its counts cover all.
PREVIEW_LETTERS = 50
PREVIEW_SKIPPED = 100
# Letters per call of the scheduled action "Automatic reminders": each call is
# one transaction, well within a cron worker's time limit.
AUTO_BATCH_LETTERS = 100

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
    level_mode = fields.Selection(
        [("fixed", "The chosen level"), ("auto", "The level due for each installment")],
        string="Levels",
        required=True,
        default=lambda self: self._default_level_mode(),
        help="The level due: each installment gets its next level, when its delay has passed "
        "(one letter per payer and level).",
    )
    output = fields.Selection(OUTPUTS, required=True, default="pdf")
    invoice_penalties = fields.Boolean(
        string="Invoice the penalties",
        help="For each letter of a level showing penalties, a draft customer invoice to the "
        "payer: per late invoice, its penalties for the period (from the day after its due "
        "date, or after the last day already invoiced, to the reminder date) and the 40 € "
        "indemnity, outside the scope of VAT. Never the same period or indemnity twice.",
    )
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
    in_background = fields.Boolean(
        compute="_compute_preview",
        help="More letters than optim_relance.sync_letter_limit: processed by a background run.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # An integration passing its installments means them, not the whole list.
        for vals in vals_list:
            if vals.get("selected_line_ids") and "scope" not in vals:
                vals["scope"] = "selected"
        return super().create(vals_list)

    @api.model
    def _default_level_mode(self):
        """Opened from the day's worklist (filter To remind today): the level
        due for each installment."""
        domain = self.env.context.get("active_domain") or []
        worklist = any(
            isinstance(leaf, (list, tuple)) and list(leaf) == ["reminder_to_do", "=", True]
            for leaf in domain
        )
        return "auto" if worklist else "fixed"

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

    def _letter_key(self, line):
        """One letter per payer, company, currency and level: a letter never
        mixes two companies or two levels, and its totals never add two
        currencies."""
        return (line.reminder_payer_id, line.company_id, line.currency_id, self._line_level(line))

    def _line_level(self, lines):
        """The level the wizard gives these installments (all of one letter)."""
        if self.level_mode == "auto":
            # Iterated, not indexed: ``lines[0]`` would lose the batch's prefetch.
            return next(iter(lines)).reminder_next_level
        return self.level

    def _line_skip_reason(self, line, company_ids):
        """Why ``line`` is not reminded by this run, or None."""
        return line._relance_run_skip_reason(
            self._line_level(line), self.date, self.output, self.level_mode, company_ids
        )

    def _prepare_batch(self):
        """Split the target installments into letters and skipped lines.

        :return: ``(letters, skipped)`` with ``letters`` a list of
            ``(payer, company, currency, lines)`` sorted by payer name and
            ``skipped`` a list of ``(line, reason)``.
        """
        self.ensure_one()
        lines = self._get_target_lines()
        if self.scope == "all":
            # Found by the open domain in SQL just now: open, not worth
            # computing again line by line (0.6 s for 20,000 lines).
            self.env.cache.update(lines, lines._fields["reminder_is_open"], [True] * len(lines))
        company_ids = set(self.env.companies.ids)
        queued = self._queued_runs(lines)
        grouped = defaultdict(lambda: self.env["account.move.line"])
        skipped = []
        for line in lines:
            reason = queued.get(line.id) or self._line_skip_reason(line, company_ids)
            if reason:
                skipped.append((line, reason))
            else:
                grouped[self._letter_key(line)] |= line
        letters = sorted(
            (
                (payer, company, currency, group)
                for (payer, company, currency, _level), group in grouped.items()
            ),
            key=lambda letter: (
                letter[0].display_name or "",
                letter[1].id,
                letter[2].id,
                self._line_level(letter[3]),
            ),
        )
        return letters, skipped

    def _queued_runs(self, lines):
        """``{installment id: reason}`` for those of ``lines`` already in a
        letter waiting in a background run: one run at a time reminds them."""
        self.env["relance.letter"].flush_model(["state", "line_ids", "run_id"])
        self.env.cr.execute(
            SQL(
                "SELECT rel.line_id, MIN(run.name) FROM relance_letter_move_line_rel rel "
                "JOIN relance_letter letter ON letter.id = rel.letter_id "
                "JOIN relance_run run ON run.id = letter.run_id "
                "WHERE letter.state = 'queued' AND rel.line_id = ANY(%s) GROUP BY rel.line_id",
                lines.ids,
            )
        )
        return {
            line_id: self.env._("Already in the run %(run)s, not sent yet", run=name)
            for line_id, name in self.env.cr.fetchall()
        }

    @api.depends(
        "level", "level_mode", "scope", "output", "date", "selected_line_ids", "active_domain"
    )
    def _compute_preview(self):
        for wizard in self:
            if wizard.level not in (1, 2, 3) or not wizard.date:
                wizard.update(
                    {
                        "preview_html": False,
                        "letter_count": 0,
                        "included_count": 0,
                        "skipped_count": 0,
                        "in_background": False,
                    }
                )
                continue
            letters, skipped = wizard._prepare_batch()
            wizard.letter_count = len(letters)
            wizard.included_count = sum(len(letter[3]) for letter in letters)
            wizard.skipped_count = len(skipped)
            wizard.in_background = len(letters) > self.env["relance.run"]._sync_letter_limit()
            wizard.preview_html = self.env["ir.qweb"]._render(
                "optim_relance.relance_wizard_preview",
                {
                    "letters": letters,
                    "skipped": skipped,
                    "wizard": wizard,
                    "claims": wizard._preview_claims(letters[:PREVIEW_LETTERS]),
                    "max_letters": PREVIEW_LETTERS,
                    "max_skipped": PREVIEW_SKIPPED,
                    "format_amount": lambda amount, currency: format_amount(
                        self.env, amount, currency
                    ),
                    "format_date": lambda date: format_date(self.env, date),
                },
            )

    def _preview_claims(self, letters):
        """What the previewed letters of levels showing penalties claim, as
        of the wizard's date: ``[None or {"penalties": {line id: amount},
        "penalty", "indemnity", "claimed"}]`` (a missing half-year's rates
        raise their French error here already)."""
        levels = {
            (config.level, config.company_id): config
            for config in self.env["relance.level"].search(
                [("company_id", "in", [letter[1].id for letter in letters])]
            )
        }
        claims = []
        for _payer, company, currency, lines in letters:
            # A missing level is the confirmation's error to give.
            config = levels.get((self._line_level(lines), company))
            if not config or not config.show_penalties:
                claims.append(None)
                continue
            penalties = lines._reminder_penalty_amounts(self.date)
            penalty = currency.round(sum(penalties.values()))
            indemnity = currency.round(sum(lines._reminder_indemnity_amounts(self.date).values()))
            residual = sum(lines.mapped("amount_residual_currency"))
            claims.append(
                {
                    "penalties": penalties,
                    "penalty": penalty,
                    "indemnity": indemnity,
                    "claimed": currency.round(residual + penalty + indemnity),
                }
            )
        return claims

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------
    def action_confirm(self):
        """Create the run and its letters; a small run is processed at once,
        all in this one transaction (any failure leaves no run, letter,
        date, history, document or email behind), a larger one in the
        background (``relance.run``), which this opens."""
        self.ensure_one()
        batch, skipped = self._prepare_batch()
        if not batch:
            raise UserError(self._nothing_to_do_message(skipped))
        run_model = self.env["relance.run"]
        if len(batch) > run_model._sync_letter_limit():
            run, _letters = self._create_run(batch, skipped)
            run._enqueue()
            return run._open_action()
        run, letters = self._process(batch, skipped)
        if self.output == "email":
            return self._notify_done(letters, skipped)
        return run._document_download()

    def _create_run(self, batch, skipped):
        """The run of this confirmation and its letters, queued.

        :return: ``(run, letters)``
        """
        # Elevated rights after the checks of _prepare_batch: users read runs,
        # only this code creates them (as letters).
        run = (
            self.env["relance.run"]
            .sudo()
            .create(
                {
                    "user_id": self.env.uid,
                    "company_id": self.env.company.id,
                    "level_mode": self.level_mode,
                    "level": self.level if self.level_mode == "fixed" else 0,
                    "output": self.output,
                    "date": self.date,
                    "letter_count": len(batch),
                }
            )
            .sudo(False)
        )
        run._add_skipped(skipped)
        return run, self._create_letters(batch, run)

    def _process(self, batch, skipped):
        """The run of ``batch``, processed now in this transaction.

        :return: ``(run, letters sent)``
        """
        run, letters = self._create_run(batch, skipped)
        run._process_letters(letters)
        run._done()
        return run, letters.filtered(lambda letter: letter.state == "sent")

    # ------------------------------------------------------------------
    # Automatic sending: the same code in "auto" mode, by email
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_automatic(self):
        """The daily scheduled action "Automatic reminders": at most
        ``AUTO_BATCH_LETTERS`` letters per call, each company in its own
        savepoint (a company that fails is logged and left as it was, the
        others are sent) and on its own "today". Odoo's scheduler commits
        each call and calls again at once while installments remain
        (``ir.cron._notify_progress``)."""
        levels = self.env["relance.level"].search([("auto_send", "=", True)])
        companies = levels.company_id.sorted("id")
        budget, done, remaining = AUTO_BATCH_LETTERS, 0, 0
        for company in companies:
            local = self.with_context(tz=self._company_tz(company))
            if budget:
                try:
                    with self.env.cr.savepoint():
                        letters = local._send_automatic(company, limit=budget)
                except Exception:
                    # Rolled back to the savepoint: nothing of this company is
                    # half-written; the next call (or day) tries again.
                    _logger.exception("Automatic reminders of %s failed", company.name)
                else:
                    budget -= len(letters)
                    done += len(letters.line_ids)
                    _logger.info(
                        "Automatic reminders of %s: %s emails for %s installments",
                        company.name,
                        len(letters),
                        len(letters.line_ids),
                    )
            remaining += local.env["account.move.line"].search_count(
                local._auto_send_domain(company)
            )
        # Nothing sent in this call: what remains (a failing company, lines
        # the wizard skips) waits for the next day instead of looping.
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining if done else 0)

    @api.model
    def _company_tz(self, company):
        """The timezone of ``company``'s "today" for the scheduler, which has
        no user: its address's, else Paris (this addon is for French
        companies)."""
        return company.partner_id.tz or "Europe/Paris"

    @api.model
    def _auto_send_domain(self, company):
        """The installments of ``company`` to email today: due at a level
        sent automatically, to a payer with a reminder email."""
        levels = self.env["relance.level"].search(
            [("company_id", "=", company.id), ("auto_send", "=", True)]
        )
        if not levels:
            return expression.FALSE_DOMAIN
        return [
            ("company_id", "=", company.id),
            ("reminder_to_do", "=", True),
            ("reminder_next_level", "in", levels.mapped("level")),
            ("reminder_payer_id.reminder_email", "!=", False),
        ]

    @api.model
    def _send_automatic(self, company, lines=None, limit=None):
        """Email, in ``company``, every installment of ``_auto_send_domain``
        (among ``lines`` when given; the first ``limit`` letters), dated
        today in the context's timezone. Payers without a reminder email
        stay in the worklist. Run twice the same day, the second run finds
        nothing: the first one dated the levels, the next ones are due at
        the earliest tomorrow.

        :return: the letters sent
        """
        domain = self._auto_send_domain(company)
        if lines is not None:
            domain = expression.AND([domain, [("id", "in", lines.ids)]])
        wizard_model = self.with_company(company).with_context(
            active_model=None, active_ids=None, active_domain=None
        )
        wizard = wizard_model.create(
            {
                "scope": "all",
                "active_domain": repr(domain),
                "level_mode": "auto",
                "output": "email",
                "date": fields.Date.context_today(wizard_model),
            }
        )
        batch, skipped = wizard._prepare_batch()
        batch = batch[:limit] if limit else batch
        if not batch:
            return self.env["relance.letter"]
        return wizard._process(batch, skipped)[1]

    @api.model
    def _action_send_automatic(self, lines):
        """Server action of the list: the automatic sending now, on the
        selected installments, with the user's rights and "today"."""
        letters = self.env["relance.letter"]
        for company in lines.company_id & self.env.companies:
            letters |= self._send_automatic(company, lines)
        if letters:
            message = self._queued_message(letters)
        else:
            message = self.env._(
                "Nothing to send: no selected installment is due today at a level sent "
                "automatically to a payer with a reminder email."
            )
        return self._notification(
            self.env._("Automatic reminders"),
            message,
            "success" if letters else "warning",
            {"type": "ir.actions.client", "tag": "soft_reload"},
        )

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

    def _create_letters(self, batch, run):
        """The queued letters of ``run`` (see ``relance.letter._create_letters``)."""
        return self.env["relance.letter"]._create_letters(
            [
                {
                    "partner_id": payer.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "line_ids": [fields.Command.set(lines.ids)],
                    "level": self._line_level(lines),
                    "date": self.date,
                    "output": self.output,
                    "user_id": self.env.uid,
                    "run_id": run.id,
                    "state": "queued",
                    "invoice_penalties": self.invoice_penalties,
                }
                for payer, company, currency, lines in batch
            ]
        )

    def _notify_done(self, letters, skipped):
        message = self._queued_message(letters)
        if skipped:
            count = len(skipped)
            message += " " + plural(
                self.env,
                count,
                self.env._("%(count)s installment skipped.", count=count),
                self.env._("%(count)s installments skipped.", count=count),
            )
        return self._notification(
            self.env._("Reminders sent"),
            message,
            "success",
            {"type": "ir.actions.act_window_close"},
        )

    def _queued_message(self, letters):
        env = self.env
        emails, lines = len(letters.filtered("mail_id")), len(letters.line_ids)
        return env._(
            "%(emails)s queued for %(installments)s.",
            emails=plural(
                env,
                emails,
                env._("%(count)s reminder email", count=emails),
                env._("%(count)s reminder emails", count=emails),
            ),
            installments=plural(
                env,
                lines,
                env._("%(count)s installment", count=lines),
                env._("%(count)s installments", count=lines),
            ),
        )

    @api.model
    def _notification(self, title, message, kind, next_action):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "title": title, "message": message, "next": next_action},
        }
