from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..models.account_move_line import REMINDER_LEVELS

# The figures a dashboard card opens, as search filters of the installments
# list ("Installments to collect").
INSTALLMENT_FILTERS = {
    "receivable": {},
    "late": {"search_default_late": 1},
    # The open installments of the payers at that level, by payer.
    "level_1": {"search_default_group_payer": 1},
    "level_2": {"search_default_group_payer": 1},
    "level_3": {"search_default_group_payer": 1},
    "disputes": {"search_default_disputes": 1},
    "promises": {"search_default_promises": 1},
    "promises_broken": {"search_default_promises_broken": 1},
}
DSO_DAYS = 90


class RelanceDashboard(models.TransientModel):
    """The collection figures of a company at a glance, each a link to the
    list that makes it up. Nothing is stored: every figure is computed when
    the dashboard opens, in a few queries whatever the number of payers."""

    _name = "relance.dashboard"
    _description = "Collection dashboard"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    receivable_amount = fields.Monetary(string="Total receivable", compute="_compute_receivables")
    late_amount = fields.Monetary(string="Of which late", compute="_compute_receivables")
    late_percent = fields.Float(
        string="Late share (%)", compute="_compute_receivables", digits=(16, 1)
    )
    weighted_days_late = fields.Float(
        string="Average days late",
        compute="_compute_receivables",
        digits=(16, 1),
        help="Days late of the late installments, on average weighted by their residual.",
    )
    sales_amount = fields.Monetary(
        string="Credit sales of the last 90 days",
        compute="_compute_dso",
        help="Customer invoices less credit notes, taxes included, dated in the last 90 days.",
    )
    dso_days = fields.Float(
        string="DSO (days)",
        compute="_compute_dso",
        digits=(16, 1),
        help="Days sales outstanding: total receivable ÷ credit sales of the last 90 days × 90.",
    )
    payer_level_1_count = fields.Integer(
        string="Payers at level 1", compute="_compute_payer_levels"
    )
    payer_level_2_count = fields.Integer(
        string="Payers at level 2", compute="_compute_payer_levels"
    )
    payer_level_3_count = fields.Integer(
        string="Payers at level 3", compute="_compute_payer_levels"
    )
    dispute_count = fields.Integer(string="Disputes", compute="_compute_holds")
    promise_count = fields.Integer(string="Promises pending", compute="_compute_holds")
    promise_broken_count = fields.Integer(string="Promises broken", compute="_compute_holds")
    effectiveness_html = fields.Html(
        string="Effectiveness",
        compute="_compute_effectiveness_html",
        # Rendered by QWeb from figures, every value escaped.
        sanitize=False,
    )

    @api.depends("company_id")
    def _compute_display_name(self):
        for dashboard in self:
            dashboard.display_name = self.env._(
                "Collection dashboard – %(company)s", company=dashboard.company_id.name
            )

    @api.constrains("company_id")
    def _check_company_id(self):
        self.env["res.company"]._reminder_check_receivables_visible(self.company_id)

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    def _open_lines_query(self):
        """The query of the company's open installments (record rules
        applied), for the aggregates the ORM does not express."""
        self.ensure_one()
        self.env["res.company"]._reminder_check_receivables_visible(self.company_id)
        lines = self.env["account.move.line"]
        lines.flush_model(["amount_residual", "date_maturity", "reminder_level"])
        return lines._search(self._installment_domain())

    def _installment_domain(self, extra=()):
        return expression.AND(
            [
                self.env["account.move.line"]._relance_open_domain(),
                [("company_id", "=", self.company_id.id)],
                list(extra),
            ]
        )

    @api.depends("company_id")
    @api.depends_context("tz", "allowed_company_ids")
    def _compute_receivables(self):
        today = fields.Date.context_today(self)
        for dashboard in self:
            (total, late, weighted), *_rest = self.env.execute_query(
                SQL(
                    """
                    SELECT COALESCE(SUM(amount_residual), 0),
                           COALESCE(SUM(amount_residual) FILTER (WHERE late), 0),
                           COALESCE(SUM(amount_residual * (%(today)s::date - date_maturity))
                                    FILTER (WHERE late), 0)
                      FROM (SELECT amount_residual, date_maturity,
                                   date_maturity < %(today)s AS late
                              FROM account_move_line
                             WHERE id IN %(lines)s) lines
                    """,
                    today=today,
                    lines=dashboard._open_lines_query().subselect(),
                )
            )
            currency = dashboard.currency_id
            dashboard.receivable_amount = currency.round(total)
            dashboard.late_amount = currency.round(late)
            dashboard.late_percent = round(late * 100 / total, 1) if total else 0.0
            dashboard.weighted_days_late = round(weighted / late, 1) if late else 0.0

    @api.depends("company_id")
    @api.depends_context("tz", "allowed_company_ids")
    def _compute_dso(self):
        for dashboard in self:
            sales_domain = dashboard._sales_domain()
            sales = self.env["account.move"]._read_group(
                sales_domain, [], ["amount_total_signed:sum"]
            )[0][0]
            receivable = dashboard.receivable_amount
            dashboard.sales_amount = dashboard.currency_id.round(sales or 0.0)
            dashboard.dso_days = (
                round(receivable / sales * DSO_DAYS, 1) if sales and sales > 0 else 0.0
            )

    def _sales_domain(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        return [
            ("company_id", "=", self.company_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("invoice_date", ">", today - timedelta(days=DSO_DAYS)),
            ("invoice_date", "<=", today),
        ]

    @api.depends("company_id")
    @api.depends_context("allowed_company_ids")
    def _compute_payer_levels(self):
        for dashboard in self:
            counts = dict(
                self.env.execute_query(
                    SQL(
                        "SELECT level, COUNT(*) FROM %s payers GROUP BY level",
                        dashboard._payer_levels_sql(),
                    )
                )
            )
            for level in REMINDER_LEVELS:
                dashboard[f"payer_level_{level}_count"] = counts.get(level, 0)

    def _payer_levels_sql(self):
        """Each payer with open installments and the highest level reached
        on them: the level a payer is at."""
        return SQL(
            """(SELECT reminder_payer_id AS payer_id, MAX(reminder_level) AS level
                  FROM account_move_line
                 WHERE id IN %s
              GROUP BY reminder_payer_id)""",
            self._open_lines_query().subselect(),
        )

    def _payers_at_level(self, level):
        rows = self.env.execute_query(
            SQL(
                "SELECT payer_id FROM %s payers WHERE level = %s",
                self._payer_levels_sql(),
                level,
            )
        )
        return [payer_id for (payer_id,) in rows]

    @api.depends("company_id")
    @api.depends_context("tz", "allowed_company_ids")
    def _compute_holds(self):
        lines = self.env["account.move.line"]
        for dashboard in self:
            for fname, figure in (
                ("dispute_count", "disputes"),
                ("promise_count", "promises"),
                ("promise_broken_count", "promises_broken"),
            ):
                domain = dashboard._installment_domain(self._filter_domain(figure))
                dashboard[fname] = lines.search_count(domain)

    @api.model
    def _filter_domain(self, figure):
        """The domain of a hold filter of the installments list."""
        return {
            "disputes": [
                ("reminder_blocked", "=", True),
                ("reminder_block_reason", "=", "dispute"),
            ],
            "promises": [
                ("reminder_blocked", "=", True),
                ("reminder_block_reason", "=", "promise"),
            ],
            "promises_broken": [("reminder_promise_broken", "=", True)],
        }[figure]

    @api.depends("company_id")
    @api.depends_context("tz", "lang", "allowed_company_ids")
    def _compute_effectiveness_html(self):
        for dashboard in self:
            dashboard.effectiveness_html = self.env["ir.qweb"]._render(
                "optim_relance.relance_dashboard_effectiveness",
                {"rows": dashboard._effectiveness_rows(), "currency": dashboard.currency_id},
            )

    def _effectiveness_domain(self):
        self.ensure_one()
        since = fields.Date.context_today(self) - relativedelta(months=12)
        return [
            ("company_id", "=", self.company_id.id),
            ("channel", "!=", "correction"),
            ("date", ">", since),
        ]

    def _effectiveness_rows(self):
        """Per level and channel, over the reminders of the last 12 months:
        the amount reminded and the share of it paid within 15 and 30 days."""
        self.ensure_one()
        history = self.env["relance.history"]
        labels = dict(history._fields["channel"]._description_selection(self.env))
        groups = history._read_group(
            self._effectiveness_domain(),
            ["level", "channel"],
            [
                "__count",
                "amount_residual:sum",
                "amount_recovered_15:sum",
                "amount_recovered_30:sum",
            ],
            order="level, channel",
        )
        return [
            {
                "level": level,
                "channel": labels[channel],
                "count": count,
                "amount": reminded,
                "share_15": round(within_15 * 100 / reminded, 1) if reminded else 0.0,
                "share_30": round(within_30 * 100 / reminded, 1) if reminded else 0.0,
            }
            for level, channel, count, reminded, within_15, within_30 in groups
        ]

    # ------------------------------------------------------------------
    # Links
    # ------------------------------------------------------------------
    @api.model
    def action_open_dashboard(self):
        """Reporting › Collection › Collection dashboard: the current
        company's figures, as of now."""
        dashboard = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Collection dashboard"),
            "res_model": self._name,
            "res_id": dashboard.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def action_open_figure(self):
        """A card's list: the installments behind an amount or a count, the
        invoices behind the DSO, the reminders behind the effectiveness."""
        self.ensure_one()
        figure = self.env.context.get("figure")
        if figure == "sales":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "account.action_move_out_invoice_type"
            )
            action.update(domain=self._sales_domain(), context={"create": False})
            return action
        if figure == "effectiveness":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "optim_relance.action_relance_effectiveness"
            )
            action["domain"] = [
                ("company_id", "=", self.company_id.id),
                ("channel", "!=", "correction"),
            ]
            return action
        if not isinstance(figure, str) or figure not in INSTALLMENT_FILTERS:
            raise UserError(self.env._("Unknown figure: %(figure)s.", figure=figure))
        action = self.env["account.move.line"].action_open_relance_installments()
        extra = []
        if figure.startswith("level_"):
            extra = [("reminder_payer_id", "in", self._payers_at_level(int(figure[-1])))]
        action["domain"] = self._installment_domain(extra)
        action["context"] = INSTALLMENT_FILTERS[figure]
        return action
