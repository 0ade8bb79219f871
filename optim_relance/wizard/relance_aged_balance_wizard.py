from odoo import api, fields, models
from odoo.tools import format_date

from ..models.account_move_line import AGING_BUCKETS


class RelanceAgedBalanceWizard(models.TransientModel):
    """The aged balance of customer receivables as of a date, printed in the
    company's layout."""

    _name = "relance.aged.balance.wizard"
    _description = "Aged receivables"

    date = fields.Date(string="As of", required=True, default=fields.Date.context_today)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.constrains("company_id")
    def _check_company_id(self):
        self.env["res.company"]._reminder_check_receivables_visible(self.company_id)

    def action_print(self):
        self.ensure_one()
        action = self.env.ref("optim_relance.action_report_aged_balance").report_action(self)
        # No ``data`` (None, which XML-RPC cannot carry): the report reads
        # the wizard.
        return {key: value for key, value in action.items() if value is not None}

    def _report_filename(self):
        self.ensure_one()
        return self.env._(
            "Aged receivables %(date)s - %(company)s",
            date=self.date.isoformat(),
            company=self.company_id.name,
        )

    def _aged_balance_values(self):
        """What the report prints: one row per payer (its amount per bucket
        and total), sorted by total, largest first, then the totals."""
        self.ensure_one()
        balance = self.env["account.move.line"]._reminder_aged_balance(self.date, self.company_id)
        buckets = [value for value, *_rest in AGING_BUCKETS]
        payers = self.env["res.partner"].browse(balance).with_prefetch(tuple(balance))
        rows = [
            {
                "payer": payer,
                "amounts": [balance[payer.id].get(bucket, 0.0) for bucket in buckets],
                "total": self.currency_id.round(sum(balance[payer.id].values())),
            }
            for payer in payers
        ]
        rows.sort(key=lambda row: (-row["total"], row["payer"].display_name or ""))
        totals = [
            self.currency_id.round(sum(row["amounts"][index] for row in rows))
            for index in range(len(buckets))
        ]
        labels = dict(
            self.env["account.move.line"]
            ._fields["reminder_aging_bucket"]
            ._description_selection(self.env)
        )
        return {
            "headers": [labels[bucket] for bucket in buckets],
            "rows": rows,
            "totals": totals,
            "total": self.currency_id.round(sum(totals)),
            "date_text": format_date(self.env, self.date),
        }
