from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

PENALTY_MODES = [
    ("ecb_plus", "ECB rate + points (legal default)"),
    ("legal_x3", "Three times the legal interest rate (contractual floor)"),
    ("fixed", "Contractual rate"),
    ("none", "No penalties"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    reminder_penalty_mode = fields.Selection(
        PENALTY_MODES,
        string="Late-payment penalties",
        default="ecb_plus",
        required=True,
        help="How the late-payment penalties of L441-10 of the French Commercial Code are "
        "computed: by default the ECB main refinancing rate plus 10 points; a contract may set "
        "another rate, no lower than three times the legal interest rate.",
    )
    reminder_penalty_points = fields.Float(
        string="Points over the ECB rate", digits=(16, 2), default=10.0
    )
    reminder_penalty_rate = fields.Float(
        string="Contractual penalty rate (%)",
        digits=(16, 2),
        help="Annual rate of the late-payment penalties set by your terms of sale.",
    )
    reminder_claim_indemnity = fields.Boolean(
        string="Claim the 40 € recovery indemnity",
        default=True,
        help="The fixed indemnity of 40 € per late invoice for recovery costs (D441-5 of the "
        "French Commercial Code), due by professional customers without any reminder.",
    )
    reminder_penalty_product_id = fields.Many2one(
        "product.product",
        string="Penalties product",
        help="Product of the late-payment penalty lines, when penalties are invoiced.",
    )
    reminder_indemnity_product_id = fields.Many2one(
        "product.product",
        string="Indemnity product",
        help="Product of the 40 € recovery indemnity lines, when penalties are invoiced.",
    )

    # The payer behaviour badge: average days late of its payments.
    reminder_rating_slow_days = fields.Integer(
        string="Slow payer beyond (days)",
        default=10,
        help="A payer whose payments of the last 12 months came on average more than this many "
        "days after the due date is a slow payer.",
    )
    reminder_rating_bad_days = fields.Integer(
        string="Bad payer beyond (days)",
        default=30,
        help="A payer whose payments of the last 12 months came on average more than this many "
        "days after the due date is a bad payer.",
    )

    _sql_constraints = [
        (
            "reminder_penalty_positive",
            "CHECK(reminder_penalty_points >= 0 AND reminder_penalty_rate >= 0)",
            "A penalty rate cannot be negative.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["relance.level"]._create_company_levels(companies)
        return companies

    @api.model
    def _relance_create_levels(self):
        """At install: the reminder levels of every existing company (a
        database holds a few companies, not enough to page through)."""
        companies = self.sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        self.env["relance.level"]._create_company_levels(companies)

    @api.constrains("reminder_penalty_mode", "reminder_penalty_rate")
    def _check_reminder_penalty_rate(self):
        for company in self:
            if company.reminder_penalty_mode == "fixed" and not company.reminder_penalty_rate:
                raise ValidationError(
                    self.env._(
                        "Enter the contractual penalty rate of %(company)s.", company=company.name
                    )
                )

    @api.constrains("reminder_rating_slow_days", "reminder_rating_bad_days")
    def _check_reminder_rating_days(self):
        for company in self:
            if not 0 <= company.reminder_rating_slow_days <= company.reminder_rating_bad_days:
                raise ValidationError(
                    self.env._(
                        "The bad payer threshold cannot be below the slow payer threshold, "
                        "nor either below 0."
                    )
                )

    # ------------------------------------------------------------------
    # The rule of a payer's penalties
    # ------------------------------------------------------------------
    def _reminder_penalty_rule(self, payer):
        """How ``payer``'s penalties are computed in this company:
        ``(rate field of relance.rate or None, factor, points)``, the annual
        rate of a half-year being ``rate × factor + points``; ``None`` when
        no penalty applies."""
        self.ensure_one()
        payer = payer.commercial_partner_id
        if self.reminder_penalty_mode == "none":
            return None
        if payer.reminder_is_consumer:
            return ("legal_rate_individual", 1, 0.0)
        if payer.reminder_penalty_points:
            return ("ecb_rate", 1, payer.reminder_penalty_points)
        return {
            "ecb_plus": ("ecb_rate", 1, self.reminder_penalty_points),
            "legal_x3": ("legal_rate_pro", 3, 0.0),
            "fixed": (None, 0, self.reminder_penalty_rate),
        }[self.reminder_penalty_mode]

    @api.model
    def _reminder_check_receivables_visible(self, companies):
        """Refuse the analysis of ``companies`` outside the active ones of
        this environment's user (the aged balance, the dashboard): their
        figures stay hidden."""
        for company in companies:
            if company not in self.env.companies:
                raise UserError(
                    self.env._(
                        "You cannot see the receivables of %(company)s.", company=company.name
                    )
                )

    def _reminder_payer_rating(self, delay):
        """The behaviour of a payer whose payments came ``delay`` days late
        on average: good, slow or bad."""
        self.ensure_one()
        if delay > self.reminder_rating_bad_days:
            return "bad"
        return "slow" if delay > self.reminder_rating_slow_days else "good"

    def _reminder_claims_indemnity(self, payer):
        self.ensure_one()
        return (
            self.reminder_claim_indemnity and not payer.commercial_partner_id.reminder_is_consumer
        )

    def _reminder_percent(self, value, lang):
        """``value`` as a percentage in ``lang`` (“12,15 %”)."""
        return self.env._("%(rate)s %%", rate=formatLang(self.with_context(lang=lang).env, value))
