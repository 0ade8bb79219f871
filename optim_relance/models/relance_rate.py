from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..tools.late_penalties import half_year_start


class RelanceRate(models.Model):
    """The official rates of one half-year, on which late-payment penalties
    are computed: the ECB main refinancing rate in force on its first day
    (L441-10 of the French Commercial Code) and the French legal interest
    rates of the half-year (professionals, private individuals).

    Public figures, the same for every company: one shared table, edited by
    accounting managers, read by every invoicing user."""

    _name = "relance.rate"
    _description = "Late-payment penalty rates"
    _order = "date_from desc"
    _rec_name = "date_from"

    date_from = fields.Date(
        string="From",
        required=True,
        help="First day of the half-year: 1 January or 1 July.",
    )
    ecb_rate = fields.Float(
        string="ECB rate (%)",
        digits=(16, 2),
        required=True,
        help="Rate of the ECB's main refinancing operations in force on the first day of the "
        "half-year.",
    )
    legal_rate_pro = fields.Float(
        string="Legal rate, professionals (%)",
        digits=(16, 2),
        required=True,
        help="French legal interest rate of the half-year, “all other cases”.",
    )
    legal_rate_individual = fields.Float(
        string="Legal rate, individuals (%)",
        digits=(16, 2),
        required=True,
        help="French legal interest rate of the half-year for private individuals.",
    )
    note = fields.Char(string="Source")

    _sql_constraints = [
        ("date_from_uniq", "UNIQUE(date_from)", "There are already rates for this half-year."),
        (
            "rates_positive",
            "CHECK(ecb_rate >= 0 AND legal_rate_pro >= 0 AND legal_rate_individual >= 0)",
            "A rate cannot be negative.",
        ),
    ]

    @api.depends("date_from")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = half_year_label(self.env, rate.date_from) if rate.date_from else ""

    @api.constrains("date_from")
    def _check_date_from(self):
        for rate in self:
            if rate.date_from != half_year_start(rate.date_from):
                raise ValidationError(
                    self.env._("Rates start on 1 January or 1 July, the first day of a half-year.")
                )

    RATE_FIELDS = ("ecb_rate", "legal_rate_pro", "legal_rate_individual")

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _rate_table(self):
        """``{half-year start: {rate field: %}}``: the whole table (two rows
        a year), read once per server process and kept until a rate
        changes. Elevated rights: the rates are public figures every user
        computing a penalty reads, whatever their group."""
        return dict(self._rate_table_cached())

    @tools.ormcache()
    def _rate_table_cached(self):
        rates = self.sudo().search_fetch([], ["date_from", *self.RATE_FIELDS])
        return tuple(
            (rate.date_from, {fname: rate[fname] for fname in self.RATE_FIELDS}) for rate in rates
        )

    @api.model
    def _rate_of(self, table, rule, half_year):
        """The annual rate (%) of ``rule`` (see
        ``res.company._reminder_penalty_rule``) in the half-year starting on
        ``half_year``; a French error naming it when its rates are missing:
        nothing is claimed at a wrong rate."""
        fname, factor, points = rule
        if fname is None:
            return points
        rate = table.get(half_year)
        if rate is None:
            label = half_year_label(self.env, half_year)
            messages = {
                "ecb_rate": self.env._(
                    "ECB rate of the %(half_year)s missing: enter it in Reminders › Rates.",
                    half_year=label,
                ),
                "legal_rate_pro": self.env._(
                    "Legal interest rate (professionals) of the %(half_year)s missing: enter it "
                    "in Reminders › Rates.",
                    half_year=label,
                ),
                "legal_rate_individual": self.env._(
                    "Legal interest rate (individuals) of the %(half_year)s missing: enter it in "
                    "Reminders › Rates.",
                    half_year=label,
                ),
            }
            raise UserError(messages[fname])
        return rate[fname] * factor + points


def half_year_label(env, start):
    """“1er semestre 2026” / “2nd semestre 2026” (in the user's language)."""
    if start.month <= 6:
        return env._("first half of %(year)s", year=start.year)
    return env._("second half of %(year)s", year=start.year)
