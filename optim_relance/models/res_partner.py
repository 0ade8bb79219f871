import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools.mail import single_email_re

from .account_move_line import REMINDER_LEVELS, level_field

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

    def _reminder_line_groups(self, domain, aggregates):
        """``{partner_id: aggregates}`` over the installments these partners
        pay, in the companies the user works in: one query for all."""
        ids = [pid for pid in self._origin.ids if pid]
        if not ids:
            return {}
        line_model = self.env["account.move.line"]
        domain = expression.AND(
            [
                domain,
                [
                    ("reminder_payer_id", "in", ids),
                    ("company_id", "in", self._reminder_company_ids()),
                ],
            ],
        )
        return {
            payer.id: values
            for payer, *values in line_model._read_group(domain, ["reminder_payer_id"], aggregates)
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
