import re

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.mail import single_email_re

from .account_move_line import AGING_BUCKETS, REMINDER_LEVELS, level_field

COLLECTION_FIELDS = {"reminder_email", "reminder_comment", "reminder_excluded"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    reminder_email = fields.Char(
        string="Reminder email",
        help="Where payment reminders are emailed. Several addresses may be "
        "separated by commas. Without it, the payer gets no reminder by email.",
    )
    reminder_comment = fields.Text(string="Collection comment")
    reminder_excluded = fields.Boolean(
        string="Excluded from reminders",
        help="Never reminded while set (say why in the collection comment); its installments "
        "leave the day's worklist and the processing wizard skips them.",
    )
    reminder_default_payer_id = fields.Many2one(
        "res.partner",
        string="Default payer",
        help="Third party who pays this customer's invoices (tiers payeur). "
        "Proposed as payer on its new invoices.",
    )
    reminder_currency_id = fields.Many2one("res.currency", compute="_compute_reminder_currency_id")
    reminder_total_due = fields.Monetary(
        string="Total unpaid",
        compute="_compute_reminder_totals",
        currency_field="reminder_currency_id",
        help="Residual amount of the open installments this partner pays.",
    )
    reminder_days_late_total = fields.Integer(
        string="Cumulative days late",
        compute="_compute_reminder_totals",
        help="Sum of the days late of the open installments this partner pays.",
    )
    reminder_date_1 = fields.Date(string="Last level 1 reminder", compute="_compute_reminder_dates")
    reminder_date_2 = fields.Date(string="Last level 2 reminder", compute="_compute_reminder_dates")
    reminder_date_3 = fields.Date(string="Last level 3 reminder", compute="_compute_reminder_dates")
    reminder_history_ids = fields.One2many(
        "relance.history", "partner_id", string="Reminder history"
    )
    reminder_letter_ids = fields.One2many("relance.letter", "partner_id", string="Reminder letters")
    reminder_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        domain=[("share", "=", False)],
        help="Who follows this payer's collection (filter “My payers” of the installments).",
    )
    reminder_promise_broken_count = fields.Integer(
        string="Broken promises",
        compute="_compute_reminder_promise_broken_count",
        help="Open installments of this payer whose payment promise was not kept.",
    )
    reminder_open_count = fields.Integer(
        string="Open installments", compute="_compute_reminder_totals"
    )
    reminder_is_consumer = fields.Boolean(
        string="Private individual",
        help="A consumer, not a business: no 40 € recovery indemnity, and late-payment interest "
        "at the legal interest rate for individuals.",
    )
    reminder_penalty_points = fields.Float(
        string="Penalty points over the ECB rate",
        digits=(16, 2),
        help="When set, this payer's late-payment penalties are the ECB rate plus these points, "
        "whatever the company's rule (public bodies: 8 points). Empty: the company's rule.",
    )

    # Aging of what this partner pays, one amount per bucket (``AGING_BUCKETS``).
    reminder_aging_not_due = fields.Monetary(
        string="Not due", compute="_compute_reminder_aging", currency_field="reminder_currency_id"
    )
    reminder_aging_1_30 = fields.Monetary(
        string="1–30 days", compute="_compute_reminder_aging", currency_field="reminder_currency_id"
    )
    reminder_aging_31_60 = fields.Monetary(
        string="31–60 days",
        compute="_compute_reminder_aging",
        currency_field="reminder_currency_id",
    )
    reminder_aging_61_90 = fields.Monetary(
        string="61–90 days",
        compute="_compute_reminder_aging",
        currency_field="reminder_currency_id",
    )
    reminder_aging_over_90 = fields.Monetary(
        string="Over 90 days",
        compute="_compute_reminder_aging",
        currency_field="reminder_currency_id",
    )
    reminder_payment_delay = fields.Float(
        string="Average payment delay (days)",
        compute="_compute_reminder_rating",
        digits=(16, 1),
        help="Days between the due date and the payment, on average weighted by amount, over "
        "the payments of the last 12 months (credit notes and exchange differences excluded; "
        "early payments count as 0).",
    )
    reminder_rating = fields.Selection(
        [("good", "Good payer"), ("slow", "Slow payer"), ("bad", "Bad payer")],
        string="Payer behaviour",
        compute="_compute_reminder_rating",
        help="From the average payment delay of the last 12 months and the thresholds of the "
        "Invoicing settings; empty without any payment in that time.",
    )

    def _relance_set_collection(self, vals):
        """Write the payer's collection details (reminder email, collection
        comment, exclusion) from the installment panel: credit controllers
        keep them up to date without the right to edit contacts, and only
        these."""
        unknown = set(vals) - COLLECTION_FIELDS
        if unknown:
            raise UserError(
                self.env._(
                    "Only the reminder email, the collection comment and the exclusion from "
                    "reminders of a payer can be changed here (not: %(fields)s).",
                    fields=", ".join(sorted(unknown)),
                )
            )
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                self.env._("Only invoicing users may change a payer's collection details.")
            )
        self.check_access("read")
        # Elevated rights after the checks above: the two collection fields
        # only, of payers the user may read.
        return self.sudo().write(vals)

    @api.constrains("reminder_email")
    def _check_reminder_email(self):
        for partner in self.filtered("reminder_email"):
            addresses = [a.strip() for a in re.split(r"[,;]", partner.reminder_email)]
            addresses = [a for a in addresses if a]
            if not addresses or not all(single_email_re.match(a) for a in addresses):
                raise ValidationError(
                    self.env._(
                        "The reminder email “%(email)s” of %(partner)s is not a valid "
                        "email address.",
                        email=partner.reminder_email,
                        partner=partner.display_name,
                    )
                )

    @api.depends_context("company")
    def _compute_reminder_currency_id(self):
        self.reminder_currency_id = self.env.company.currency_id

    def _reminder_line_domain(self, domain):
        """``domain`` on the installments these partners pay, in the companies
        the user works in."""
        return expression.AND(
            [
                domain,
                [
                    ("reminder_payer_id", "in", [pid for pid in self._origin.ids if pid]),
                    ("company_id", "in", self._reminder_company_ids()),
                ],
            ],
        )

    def _reminder_line_groups(self, domain, aggregates, groupby=()):
        """``{partner_id: aggregates}`` over the installments these partners
        pay (``{(partner_id, *groupby values): aggregates}`` with more
        groups): one query for all."""
        if not any(self._origin.ids):
            return {}
        groups = self.env["account.move.line"]._read_group(
            self._reminder_line_domain(domain), ["reminder_payer_id", *groupby], aggregates
        )
        keys = len(groupby) + 1
        return {
            (group[0].id, *group[1:keys]) if groupby else group[0].id: list(group[keys:])
            for group in groups
        }

    def _reminder_company_ids(self):
        """The user's companies whose amounts add up in the current company's
        currency: totals never add two currencies."""
        currency = self.env.company.currency_id
        return self.env.companies.filtered(lambda c: c.currency_id == currency).ids

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_reminder_totals(self):
        groups = self._reminder_line_groups(
            self.env["account.move.line"]._relance_open_domain(),
            ["amount_residual:sum", "reminder_days_late:sum", "__count"],
        )
        for partner in self:
            total, days, count = groups.get(partner._origin.id, (0.0, 0, 0))
            partner.reminder_total_due = total
            partner.reminder_days_late_total = days
            partner.reminder_open_count = count

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_reminder_aging(self):
        groups = self._reminder_line_groups(
            self.env["account.move.line"]._relance_open_domain(),
            ["amount_residual:sum"],
            ["reminder_aging_bucket"],
        )
        for partner in self:
            for bucket, *_rest in AGING_BUCKETS:
                amount = groups.get((partner._origin.id, bucket), [0.0])[0]
                partner[f"reminder_aging_{bucket}"] = amount

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_reminder_rating(self):
        delays = self._reminder_payment_delays()
        company = self.env.company
        for partner in self:
            delay = delays.get(partner._origin.id)
            partner.reminder_payment_delay = delay or 0.0
            partner.reminder_rating = (
                company._reminder_payer_rating(delay) if delay is not None else False
            )

    def _reminder_payment_delays(self):
        """``{partner_id: average days late}`` of the payments matched with
        the installments these partners pay over the last 12 months, weighted
        by amount: one query for all."""
        if not any(self._origin.ids):
            return {}
        today = fields.Date.context_today(self)
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.full.reconcile"].flush_model()
        self.env["account.move"].flush_model(["move_type"])
        self.env["account.move.line"].flush_model(["date_maturity", "move_id"])
        lines = self.env["account.move.line"]._search(
            self._reminder_line_domain(self.env["account.move.line"]._relance_installment_domain())
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.reminder_payer_id,
                       SUM(apr.amount * GREATEST(apr.max_date - line.date_maturity, 0))
                           / SUM(apr.amount)
                  FROM account_partial_reconcile apr
                  JOIN account_move_line line ON line.id = apr.debit_move_id
                  JOIN account_move_line credit ON credit.id = apr.credit_move_id
                  JOIN account_move credit_move ON credit_move.id = credit.move_id
                 WHERE line.id IN %(lines)s
                   AND apr.max_date > %(start)s AND apr.max_date <= %(today)s
                   AND apr.amount > 0
                   AND credit_move.move_type != 'out_refund'
                   -- money only: not the exchange difference of a payment
                   AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile exchange
                                    WHERE exchange.exchange_move_id = credit_move.id)
                   AND NOT EXISTS (SELECT 1 FROM account_full_reconcile exchange
                                    WHERE exchange.exchange_move_id = credit_move.id)
                 GROUP BY line.reminder_payer_id
                """,
                lines=lines.subselect(),
                start=today - relativedelta(months=12),
                today=today,
            )
        )
        return {payer_id: float(delay) for payer_id, delay in rows}

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_reminder_promise_broken_count(self):
        groups = self._reminder_line_groups([("reminder_promise_broken", "=", True)], ["__count"])
        for partner in self:
            partner.reminder_promise_broken_count = groups.get(partner._origin.id, [0])[0]

    @api.depends_context("company", "allowed_company_ids")
    def _compute_reminder_dates(self):
        fnames = [level_field(level) for level in REMINDER_LEVELS]
        groups = self._reminder_line_groups(
            [("reminder_level", ">", 0)], [f"{fname}:max" for fname in fnames]
        )
        for partner in self:
            dates = groups.get(partner._origin.id, [False] * len(fnames))
            for fname, date in zip(fnames, dates, strict=True):
                partner[fname] = date

    def action_view_reminder_installments(self):
        self.ensure_one()
        action = self.env["account.move.line"].action_open_relance_installments()
        action["context"] = {"search_default_reminder_payer_id": self.id}
        return action
