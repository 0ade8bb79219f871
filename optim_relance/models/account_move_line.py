import functools
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, format_amount, format_date

from ..tools import late_penalties

REMINDER_LEVELS = (1, 2, 3)


def level_field(level):
    """Name of the date field of a reminder level on an installment."""
    return f"reminder_date_{level}"


REMINDER_DATE_FIELDS = tuple(level_field(level) for level in REMINDER_LEVELS)

# The fixed indemnity for recovery costs per late invoice (Code de commerce, D441-5).
INDEMNITY_EUR = 40.0

# Why an installment is not chased for now, set by the credit controller.
BLOCK_FIELDS = ("reminder_block_reason", "reminder_block_note", "reminder_block_until")
PROMISE_FIELDS = {"reminder_promise_date", "reminder_promise_amount"}

# Aging of an installment: (value, label, first day late, last day late).
AGING_BUCKETS = (
    ("not_due", "Not due", 0, 0),
    ("1_30", "1–30 days", 1, 30),
    ("31_60", "31–60 days", 31, 60),
    ("61_90", "61–90 days", 61, 90),
    ("over_90", "Over 90 days", 91, None),
)


# The same rule and message in the database, for the stored levels (letters,
# history, texts).
LEVEL_RANGE_CONSTRAINT = (
    "level_range",
    "CHECK(level BETWEEN 1 AND 3)",
    "The reminder level must be 1, 2 or 3.",
)


def check_level(env, value):
    """``value`` as a reminder level (1, 2 or 3), else a French error: a
    fraction or a text is refused, never truncated. Every ``create`` and
    ``write`` of a level goes through here."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in REMINDER_LEVELS:
        raise ValidationError(env._("The reminder level must be 1, 2 or 3."))
    return value


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    reminder_date_1 = fields.Date(string="Level 1 reminder", copy=False)
    reminder_date_2 = fields.Date(string="Level 2 reminder", copy=False)
    reminder_date_3 = fields.Date(string="Level 3 reminder", copy=False)
    reminder_level = fields.Integer(
        string="Reminder level",
        compute="_compute_reminder_level",
        store=True,
        aggregator="max",
        help="Highest reminder level recorded on this installment (0 = none).",
    )
    reminder_days_late = fields.Integer(
        string="Days late",
        compute="_compute_reminder_days_late",
        search="_search_reminder_days_late",
        aggregator="sum",
        help="Today minus the due date of the installment, never negative.",
    )
    reminder_aging_bucket = fields.Selection(
        [(value, label) for value, label, _first, _last in AGING_BUCKETS],
        string="Aging",
        compute="_compute_reminder_aging_bucket",
        search="_search_reminder_aging_bucket",
        help="How late the installment is today: not due, 1–30, 31–60, 61–90 or over 90 days.",
    )
    # The day's worklist: computed from the stored dates and the levels'
    # delays, in SQL for searching and sorting, so that editing a delay or a
    # date changes them at once without recomputing any stored column.
    reminder_next_level = fields.Integer(
        string="Next level",
        compute="_compute_reminder_next",
        search="_search_reminder_next_level",
        help="The next reminder level this installment can get (0 once level 3 is reached).",
    )
    reminder_next_date = fields.Date(
        string="Next reminder on",
        compute="_compute_reminder_next",
        search="_search_reminder_next_date",
        help="When the next level becomes due: the due date (level 1) or the previous "
        "level's date (levels 2 and 3) plus that level's delay.",
    )
    reminder_to_do = fields.Boolean(
        string="To remind today",
        compute="_compute_reminder_to_do",
        search="_search_reminder_to_do",
        help="Open and late, not on hold, its payer not excluded, with a next level due "
        "today or earlier.",
    )
    reminder_payer_id = fields.Many2one(
        "res.partner",
        string="Payer",
        related="move_id.reminder_payer_id",
        store=True,
        index="btree_not_null",
    )
    reminder_history_ids = fields.One2many(
        "relance.history", "move_line_id", string="Reminder history"
    )
    reminder_is_open = fields.Boolean(
        string="To collect",
        compute="_compute_reminder_is_open",
        help="Posted customer invoice installment with an amount still due.",
    )
    # Not chased for now: a dispute on the works, a promise, anything else.
    reminder_block_reason = fields.Selection(
        [("dispute", "Dispute"), ("promise", "Payment promise"), ("other", "Other")],
        string="Hold",
        copy=False,
        help="While set (until its end date, when it has one), the installment is not "
        "reminded and leaves the day's worklist.",
    )
    reminder_block_note = fields.Text(string="Hold note", copy=False)
    reminder_block_until = fields.Date(
        string="Hold until", copy=False, help="Last day of the hold; empty: until lifted."
    )
    reminder_blocked = fields.Boolean(
        string="On hold",
        compute="_compute_reminder_blocked",
        search="_search_reminder_blocked",
    )
    # A payment promise (relance.promise.wizard): a hold until the promised
    # date; once it has passed unpaid, the next level is due at once.
    reminder_promise_date = fields.Date(string="Promised for", copy=False, readonly=True)
    reminder_promise_amount = fields.Monetary(
        string="Amount promised", currency_field="currency_id", copy=False, readonly=True
    )
    reminder_promise_broken = fields.Boolean(
        string="Promise broken",
        compute="_compute_reminder_promise_broken",
        search="_search_reminder_promise_broken",
    )
    reminder_penalty_amount = fields.Monetary(
        string="Late-payment penalties",
        compute="_compute_reminder_penalty_amount",
        currency_field="currency_id",
        help="Penalties of this installment as of today under the company's rule (see "
        "Invoicing settings › Reminders), from the day after its due date, or after the last "
        "day already invoiced.",
    )
    reminder_penalty_invoiced_until = fields.Date(
        string="Penalties invoiced until",
        copy=False,
        readonly=True,
        help="Last day of the late-payment penalties already invoiced to the payer: the next "
        "penalty invoice starts the day after.",
    )
    # Payer panel: the payer's own fields, edited from the installment form.
    reminder_payer_email = fields.Char(
        string="Reminder email",
        compute="_compute_reminder_payer_panel",
        inverse="_inverse_reminder_payer_email",
    )
    reminder_payer_comment = fields.Text(
        string="Collection comment",
        compute="_compute_reminder_payer_panel",
        inverse="_inverse_reminder_payer_comment",
    )
    reminder_payer_excluded = fields.Boolean(
        string="Payer excluded from reminders",
        compute="_compute_reminder_payer_panel",
        inverse="_inverse_reminder_payer_excluded",
    )
    reminder_payer_total_due = fields.Monetary(
        string="Payer total unpaid",
        related="reminder_payer_id.reminder_total_due",
        currency_field="company_currency_id",
    )
    reminder_payer_collector_id = fields.Many2one(related="reminder_payer_id.reminder_collector_id")
    reminder_payer_promise_broken_count = fields.Integer(
        string="Payer broken promises", related="reminder_payer_id.reminder_promise_broken_count"
    )
    reminder_payer_days_late_total = fields.Integer(
        string="Payer cumulative days late",
        related="reminder_payer_id.reminder_days_late_total",
    )
    reminder_payer_rating = fields.Selection(related="reminder_payer_id.reminder_rating")
    reminder_payer_payment_delay = fields.Float(related="reminder_payer_id.reminder_payment_delay")
    reminder_payer_aging_not_due = fields.Monetary(
        related="reminder_payer_id.reminder_aging_not_due", currency_field="company_currency_id"
    )
    reminder_payer_aging_1_30 = fields.Monetary(
        related="reminder_payer_id.reminder_aging_1_30", currency_field="company_currency_id"
    )
    reminder_payer_aging_31_60 = fields.Monetary(
        related="reminder_payer_id.reminder_aging_31_60", currency_field="company_currency_id"
    )
    reminder_payer_aging_61_90 = fields.Monetary(
        related="reminder_payer_id.reminder_aging_61_90", currency_field="company_currency_id"
    )
    reminder_payer_aging_over_90 = fields.Monetary(
        related="reminder_payer_id.reminder_aging_over_90", currency_field="company_currency_id"
    )

    # ------------------------------------------------------------------
    # Domain of what is to collect
    # ------------------------------------------------------------------
    @api.model
    def _relance_open_domain(self):
        """Installments still to collect: posted customer invoices' receivable
        installments with a residual amount. An invoice whose payment is
        registered but not yet matched with the bank ("in payment") is not
        reminded: the customer has paid."""
        return [
            ("display_type", "=", "payment_term"),
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("move_id.move_type", "=", "out_invoice"),
            ("reconciled", "=", False),
            ("amount_residual", "!=", 0),
            ("move_id.payment_state", "not in", ("in_payment", "paid", "reversed")),
        ]

    @api.model
    def _relance_installment_domain(self):
        """Customer invoice installments, open or not (reminders stay on paid ones)."""
        return [
            ("display_type", "=", "payment_term"),
            ("account_type", "=", "asset_receivable"),
            ("move_id.move_type", "=", "out_invoice"),
        ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("reminder_date_1", "reminder_date_2", "reminder_date_3")
    def _compute_reminder_level(self):
        for line in self:
            line.reminder_level = next((lvl for lvl in (3, 2, 1) if line[level_field(lvl)]), 0)

    @api.depends("date_maturity")
    @api.depends_context("tz")
    def _compute_reminder_days_late(self):
        today = fields.Date.context_today(self)
        for line in self:
            maturity = line.date_maturity
            line.reminder_days_late = max((today - maturity).days, 0) if maturity else 0

    def _search_reminder_days_late(self, operator, value):
        """Translate a condition on days late into one on the due date, so the
        search stays a plain indexed SQL condition."""
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise UserError(
                self.env._("Unsupported search on days late: %(operator)s", operator=operator)
            )
        try:
            days = int(value)
        except (TypeError, ValueError) as exc:
            raise UserError(
                self.env._("Days late must be a whole number, not “%(value)s”.", value=value)
            ) from exc
        if operator == "!=":
            return ["!", *self._search_reminder_days_late("=", days)]
        # Normalise to ">= days" / "<= days" on the integer scale.
        if operator == ">":
            operator, days = ">=", days + 1
        elif operator == "<":
            operator, days = "<=", days - 1
        today = fields.Date.context_today(self)
        limit = today - timedelta(days=days)
        not_late = ["|", ("date_maturity", "=", False), ("date_maturity", ">=", today)]
        if operator == ">=":
            if days <= 0:
                return expression.TRUE_DOMAIN
            return [("date_maturity", "<=", limit)]
        if operator == "<=":
            if days < 0:
                return expression.FALSE_DOMAIN
            return ["|", ("date_maturity", "=", False), ("date_maturity", ">=", limit)]
        # operator "="
        if days < 0:
            return expression.FALSE_DOMAIN
        return not_late if days == 0 else [("date_maturity", "=", limit)]

    @api.model
    def _reminder_aging_bucket_of(self, days_late):
        """The aging bucket of a number of days late."""
        return next(
            value
            for value, _label, first, last in AGING_BUCKETS
            if days_late >= first and (last is None or days_late <= last)
        )

    @api.depends("date_maturity")
    @api.depends_context("tz")
    def _compute_reminder_aging_bucket(self):
        for line in self:
            line.reminder_aging_bucket = self._reminder_aging_bucket_of(line.reminder_days_late)

    def _search_reminder_aging_bucket(self, operator, value):
        """A condition on buckets as one on days late, itself one on the due
        date: an indexed SQL condition that is right whatever the day."""
        self._relance_check_operator(operator, ("=", "!=", "in", "not in"))
        values = list(value) if isinstance(value, (list, tuple, set)) else [value]
        # Every installment has a bucket: "is set" is all of them.
        values = [item for item in values if item is not False and item is not None]
        ranges = {value: (first, last) for value, _label, first, last in AGING_BUCKETS}
        unknown = [item for item in values if not isinstance(item, str) or item not in ranges]
        if unknown:
            raise UserError(
                self.env._("Unknown aging bucket: %(values)s.", values=", ".join(map(str, unknown)))
            )
        domain = expression.OR(
            [
                expression.AND(
                    [
                        self._search_reminder_days_late(">=", ranges[bucket][0]),
                        self._search_reminder_days_late("<=", ranges[bucket][1])
                        if ranges[bucket][1] is not None
                        else expression.TRUE_DOMAIN,
                    ]
                )
                for bucket in sorted(set(values))
            ]
        )
        return ["!", *domain] if operator in ("!=", "not in") else domain

    @api.model
    def _reminder_aging_bucket_sql(self, days_sql):
        """The bucket of a number of days late, in SQL."""
        whens = SQL(" ").join(
            SQL("WHEN %s <= %s THEN %s", days_sql, last, value)
            for value, _label, _first, last in AGING_BUCKETS
            if last is not None
        )
        return SQL("(CASE %s ELSE %s END)", whens, AGING_BUCKETS[-1][0])

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # Days late, the aging bucket, the next level and its date as SQL, so
        # lists, pivots and graphs sort and group on them while the values
        # never go stale.
        if fname == "reminder_days_late":
            maturity = self._field_to_sql(alias, "date_maturity", query, flush)
            today = fields.Date.context_today(self)
            return SQL("GREATEST(COALESCE(%s::date - %s, 0), 0)", today, maturity)
        if fname == "reminder_aging_bucket":
            days = self._field_to_sql(alias, "reminder_days_late", query, flush)
            return self._reminder_aging_bucket_sql(days)
        if fname == "reminder_next_level":
            level = self._field_to_sql(alias, "reminder_level", query, flush)
            return SQL("(CASE WHEN %s >= 3 THEN 0 ELSE %s + 1 END)", level, level)
        if fname == "reminder_next_date":
            return self._relance_next_date_sql(alias, query, flush)
        return super()._field_to_sql(alias, fname, query, flush)

    def _reminder_exchange_moves(self):
        """The exchange difference entries of this installment's matches:
        accounting, neither money nor a settlement (dated by Odoo's rules)."""
        self.ensure_one()
        return self.matched_credit_ids.exchange_move_id | self.full_reconcile_id.exchange_move_id

    @api.model
    def _reminder_aged_balance(self, date, company):
        """The aged balance of ``company``'s customer installments as of
        ``date``: ``{payer id: {bucket: amount}}``, what was still due on
        that day (invoices dated up to then, less the payments matched up to
        then), by how late it was on that day. One query for all payers."""
        self.env["res.company"]._reminder_check_receivables_visible(company)
        today = fields.Date.context_today(self)
        domain = [
            *self._relance_installment_domain(),
            ("parent_state", "=", "posted"),
            ("company_id", "=", company.id),
            ("date", "<=", date),
        ]
        if date >= today:
            # A payment registered without a journal entry leaves nothing
            # to match: its invoice is in payment, no longer reminded.
            domain.append(("move_id.payment_state", "not in", ("in_payment", "paid", "reversed")))
        self.env["account.partial.reconcile"].flush_model()
        self.flush_model(["balance", "amount_residual", "date_maturity", "reminder_payer_id"])
        days = SQL("GREATEST(COALESCE(%s::date - line.date_maturity, 0), 0)", date)
        # Up to today every match counts, a payment dated later too (the
        # residual, as the pivot shows it); before, those made by then.
        until = date if date < today else None
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.reminder_payer_id, %(bucket)s,
                       SUM(line.balance - COALESCE(paid.amount, 0))
                  FROM account_move_line line
             LEFT JOIN LATERAL (
                       SELECT SUM(apr.amount) AS amount
                         FROM account_partial_reconcile apr
                        WHERE apr.debit_move_id = line.id
                          AND (%(until)s::date IS NULL OR apr.max_date <= %(until)s)
                       ) paid ON TRUE
                 WHERE line.id IN %(lines)s
                   -- settled by then: nothing left, not worth the subquery
                   AND (line.amount_residual != 0 OR EXISTS (
                       SELECT 1 FROM account_partial_reconcile later
                        WHERE later.debit_move_id = line.id AND later.max_date > %(until)s))
              GROUP BY 1, 2
                """,
                bucket=self._reminder_aging_bucket_sql(days),
                until=until,
                lines=self._search(domain).subselect(),
            )
        )
        balance = {}
        for payer_id, bucket, amount in rows:
            amount = company.currency_id.round(amount)
            if not company.currency_id.is_zero(amount):
                balance.setdefault(payer_id, {})[bucket] = amount
        return balance

    def _read_group_orderby(self, order, groupby_terms, query):
        # Buckets sort in their own order (not due first), not alphabetically.
        bucket = groupby_terms.get("reminder_aging_bucket")
        if bucket is not None:
            rank = SQL(
                "(CASE %s %s END)",
                bucket,
                SQL(" ").join(
                    SQL("WHEN %s THEN %s", value, index)
                    for index, (value, *_rest) in enumerate(AGING_BUCKETS)
                ),
            )
            groupby_terms = {**groupby_terms, "reminder_aging_bucket": rank}
        return super()._read_group_orderby(order, groupby_terms, query)

    def _relance_next_date_sql(self, alias, query, flush):
        """The date the next level becomes due, in SQL: the date it starts
        from (due date, level 1 or 2 date) plus the delay of that level in
        the installment's company (0 without a level), at the earliest the
        day after that start. Same rule as ``_compute_reminder_next``."""

        def column(fname):
            return self._field_to_sql(alias, fname, query, flush)

        if flush:
            self.env["relance.level"].flush_model(["company_id", "level", "delay_days", "active"])

        def delay(level):
            return SQL(
                "COALESCE((SELECT rl.delay_days FROM relance_level rl WHERE rl.company_id = %s"
                " AND rl.level = %s AND rl.active), 0)",
                column("company_id"),
                level,
            )

        level = column("reminder_level")
        start = SQL(
            "(CASE %s WHEN 0 THEN %s WHEN 1 THEN %s WHEN 2 THEN %s END)",
            level,
            column("date_maturity"),
            column("reminder_date_1"),
            column("reminder_date_2"),
        )
        by_delay = SQL(
            "(%s + CASE %s WHEN 0 THEN %s WHEN 1 THEN %s WHEN 2 THEN %s END)",
            start,
            level,
            delay(1),
            delay(2),
            delay(3),
        )
        # A broken promise escalates the day after the promised date; never
        # before the day after the date it starts from (one level a day).
        promise = column("reminder_promise_date")
        return SQL(
            "(CASE WHEN %s >= 3 THEN NULL ELSE GREATEST("
            "CASE WHEN %s < %s THEN LEAST(%s, %s + 1) ELSE %s END, %s + 1) END)",
            level,
            promise,
            fields.Date.context_today(self),
            by_delay,
            promise,
            by_delay,
            start,
        )

    @api.model
    def _relance_delays(self, companies):
        """``{(company id, level): delay in days}`` of ``companies``' levels.
        Elevated rights: a delay is no secret, and auditors who read the
        worklist do not read the levels' texts."""
        levels = self.env["relance.level"].sudo().search([("company_id", "in", companies.ids)])
        return {(level.company_id.id, level.level): level.delay_days for level in levels}

    @api.depends(
        "reminder_level",
        "date_maturity",
        "reminder_date_1",
        "reminder_date_2",
        "company_id",
        "reminder_promise_date",
    )
    @api.depends_context("tz")
    def _compute_reminder_next(self):
        delays = self._relance_delays(self.company_id)
        today = fields.Date.context_today(self)
        for line in self:
            level = line.reminder_level + 1 if line.reminder_level < 3 else 0
            start = {1: line.date_maturity, 2: line.reminder_date_1, 3: line.reminder_date_2}
            start = start.get(level)
            date = start and start + timedelta(days=delays.get((line.company_id.id, level), 0))
            promise = line.reminder_promise_date
            if level and promise and promise < today:
                # A broken promise escalates the day after the promised date.
                date = min(d for d in (date, promise + timedelta(days=1)) if d)
            if date and start:
                # Never before the day after its start: one level a day.
                date = max(date, start + timedelta(days=1))
            line.reminder_next_level = level
            line.reminder_next_date = date

    @api.depends_context("tz")
    def _compute_reminder_to_do(self):
        today = fields.Date.context_today(self)
        for line in self:
            line.reminder_to_do = bool(
                line.reminder_is_open
                and not line.reminder_blocked
                and not line.reminder_payer_id.reminder_excluded
                and line.date_maturity
                and line.date_maturity < today
                and line.reminder_next_level
                and line.reminder_next_date
                and line.reminder_next_date <= today
            )

    def _search_reminder_next_level(self, operator, value):
        return self._relance_sql_search("reminder_next_level", operator, value)

    def _search_reminder_next_date(self, operator, value):
        return self._relance_sql_search("reminder_next_date", operator, value)

    def _relance_sql_search(self, fname, operator, value):
        """A comparison on a value computed in SQL (see ``_field_to_sql``)."""
        self._relance_check_operator(operator, ("=", "!=", "<", "<=", ">", ">=", "in", "not in"))
        expression_sql = self._field_to_sql("l", fname)
        if operator in ("in", "not in"):
            if not isinstance(value, (list, tuple, set)):
                value = [value]
            empty = [item for item in value if item is False or item is None]
            values = tuple(
                self._relance_search_value(fname, item)
                for item in value
                if item is not False and item is not None
            )
            parts = [SQL("%s IN %s", expression_sql, values)] if values else []
            if empty:
                parts.append(SQL("%s IS NULL", expression_sql))
            if not parts:
                return expression.FALSE_DOMAIN if operator == "in" else expression.TRUE_DOMAIN
            condition = SQL("(%s)", SQL(" OR ").join(parts))
            if operator == "not in":
                condition = SQL("NOT COALESCE(%s, FALSE)", condition)
        elif value is False or value is None:
            if operator not in ("=", "!="):
                raise UserError(self.env._("An empty value is only compared with = or !=."))
            test = SQL("IS NULL" if operator == "=" else "IS NOT NULL")
            condition = SQL("%s %s", expression_sql, test)
        else:
            value = self._relance_search_value(fname, value)
            condition = SQL("%s %s %s", expression_sql, SQL(operator), value)
        return [("id", "in", SQL("(SELECT l.id FROM account_move_line l WHERE %s)", condition))]

    def _relance_search_value(self, fname, value):
        try:
            return fields.Date.to_date(value) if fname == "reminder_next_date" else int(value)
        except (TypeError, ValueError) as exc:
            raise UserError(
                self.env._("“%(value)s” cannot be compared here.", value=value)
            ) from exc

    def _relance_check_operator(self, operator, allowed):
        if operator not in allowed:
            raise UserError(
                self.env._("Unsupported search operator: %(operator)s", operator=operator)
            )

    def _relance_boolean_search(self, operator, value, domain):
        """``domain`` for ``= True`` (or ``!= False``), its negation otherwise."""
        self._relance_check_operator(operator, ("=", "!="))
        if (operator == "=") == bool(value):
            return domain
        return ["!", *expression.normalize_domain(domain)]

    def _search_reminder_to_do(self, operator, value):
        today = fields.Date.context_today(self)
        domain = expression.AND(
            [
                self._relance_open_domain(),
                [
                    ("date_maturity", "<", today),
                    ("reminder_next_level", ">", 0),
                    ("reminder_next_date", "<=", today),
                    ("reminder_blocked", "=", False),
                    ("reminder_payer_id.reminder_excluded", "=", False),
                ],
            ]
        )
        return self._relance_boolean_search(operator, value, domain)

    @api.depends(
        "display_type",
        "parent_state",
        "account_type",
        "reconciled",
        "amount_residual",
        "move_id.move_type",
        "move_id.payment_state",
    )
    def _compute_reminder_is_open(self):
        # In SQL for the stored lines: filtered_domain follows move_id for
        # each of thousands of lines (about 3 s on a 20,000-line preview).
        stored = self.filtered(lambda line: isinstance(line.id, int))
        # Elevated rights: only which of these lines are open, whatever the
        # companies active in the user's switcher.
        open_lines = (self - stored).filtered_domain(self._relance_open_domain()) | self.browse(
            stored.sudo()
            .search([("id", "in", stored.ids), *self._relance_open_domain()], order="id")
            .ids
        )
        for line in self:
            line.reminder_is_open = line in open_lines

    @api.depends_context("tz")
    def _compute_reminder_penalty_amount(self):
        amounts = self._reminder_penalty_amounts(fields.Date.context_today(self))
        for line in self:
            line.reminder_penalty_amount = amounts[line.id]

    def _reminder_penalty_amounts(self, date):
        """``{line id: late-payment penalties as of date}``, in each
        installment's currency, rounded once per installment (the rule and
        the computation: ``tools/late_penalties``, ``relance.rate``). Raises
        a French error naming a half-year whose rates are missing.

        One query for the rates and one for the payments, whatever the
        number of installments."""
        amounts = dict.fromkeys(self.ids, 0.0)
        rate_model = self.env["relance.rate"]
        table = rate_model._rate_table()
        for (company, payer), lines in self.grouped(
            lambda line: (line.company_id, line.reminder_payer_id)
        ).items():
            rule = company._reminder_penalty_rule(payer) if payer else None
            if not rule:
                continue
            rate_of = functools.partial(rate_model._rate_of, table, rule)
            for line in lines:
                runs = line._reminder_penalty_runs(date)
                if runs:
                    amount = late_penalties.penalty(runs, rate_of)
                    amounts[line.id] = line.currency_id.round(amount)
        return amounts

    def _reminder_penalty_runs(self, date):
        """The days late of this installment up to ``date`` with what was
        owed on each (``late_penalties.segments``): its amount, less each
        payment or credit note matched with it from the day after its date;
        from the day after the last day already invoiced, if any."""
        self.ensure_one()
        start = self.date_maturity
        if start and self.reminder_penalty_invoiced_until:
            start = max(start, self.reminder_penalty_invoiced_until)
        payments = [
            (partial.max_date, partial.debit_amount_currency) for partial in self.matched_credit_ids
        ]
        return late_penalties.segments(start, date, self.amount_currency, payments)

    def _reminder_indemnity_amounts(self, date):
        """``{invoice id: indemnity}``: 40 € for recovery costs (D441-5) once
        per invoice of these installments late on ``date`` (one of them due
        before it), however many installments or payments it has, in the
        invoice's currency; only from professional payers, when the company
        claims it and it was not invoiced yet."""
        euro = self.env.ref("base.EUR")
        amounts = {}
        for move in self.filtered(
            lambda line: line.date_maturity and line.date_maturity < date
        ).move_id:
            if move.reminder_indemnity_invoiced or not move.company_id._reminder_claims_indemnity(
                move.reminder_payer_id
            ):
                continue
            amounts[move.id] = euro._convert(
                INDEMNITY_EUR, move.currency_id, move.company_id, date, round=True
            )
        return amounts

    @api.depends(
        "reminder_payer_id.reminder_email",
        "reminder_payer_id.reminder_comment",
        "reminder_payer_id.reminder_excluded",
    )
    def _compute_reminder_payer_panel(self):
        for line in self:
            line.reminder_payer_email = line.reminder_payer_id.reminder_email
            line.reminder_payer_comment = line.reminder_payer_id.reminder_comment
            line.reminder_payer_excluded = line.reminder_payer_id.reminder_excluded

    def _inverse_reminder_payer_excluded(self):
        self._write_payer_field("reminder_excluded", "reminder_payer_excluded")

    @api.depends("reminder_block_reason", "reminder_block_until")
    @api.depends_context("tz")
    def _compute_reminder_blocked(self):
        today = fields.Date.context_today(self)
        for line in self:
            until = line.reminder_block_until
            line.reminder_blocked = bool(line.reminder_block_reason) and (
                not until or until >= today
            )

    def _search_reminder_blocked(self, operator, value):
        """A hold ends by itself after its end date: no job lifts it."""
        today = fields.Date.context_today(self)
        domain = [
            ("reminder_block_reason", "!=", False),
            "|",
            ("reminder_block_until", "=", False),
            ("reminder_block_until", ">=", today),
        ]
        return self._relance_boolean_search(operator, value, domain)

    @api.depends("reminder_promise_date", "reminder_is_open")
    @api.depends_context("tz")
    def _compute_reminder_promise_broken(self):
        today = fields.Date.context_today(self)
        for line in self:
            promise = line.reminder_promise_date
            line.reminder_promise_broken = bool(
                promise and promise < today and line.reminder_is_open
            )

    def _search_reminder_promise_broken(self, operator, value):
        """Promised for a past day and still unpaid (a kept promise is paid)."""
        today = fields.Date.context_today(self)
        domain = expression.AND(
            [self._relance_open_domain(), [("reminder_promise_date", "<", today)]]
        )
        return self._relance_boolean_search(operator, value, domain)

    def _relance_promise(self, date, amount, note=False):
        """Record a payment promise of ``amount`` for ``date`` on these open
        installments of one payer: each is on hold until that day, with its
        share of the amount (by due date, each in full until the amount runs
        out), and the payer's chatter says so."""
        today = fields.Date.context_today(self)
        date = fields.Date.to_date(date)
        if not self:
            raise UserError(self.env._("Select the installments the customer promised to pay."))
        if not date or date < today:
            raise ValidationError(self.env._("A payment promise is for today or a later day."))
        not_open = self.filtered(lambda line: not line.reminder_is_open)
        if not_open:
            raise UserError(
                self.env._(
                    "Only open installments can be promised: %(lines)s.",
                    lines=", ".join(line._relance_label() for line in not_open),
                )
            )
        if len(self.reminder_payer_id) != 1 or len(self.currency_id) != 1:
            raise UserError(self.env._("A payment promise is made by one payer, in one currency."))
        currency = self.currency_id
        if currency.compare_amounts(amount, 0) <= 0:
            raise ValidationError(self.env._("The amount promised must be positive."))
        left = currency.round(amount)
        for line in self.sorted(lambda line: (line.date_maturity, line.id)):
            share = min(left, line.amount_residual_currency)
            left = currency.round(left - share)
            line.write(
                {
                    "reminder_block_reason": "promise",
                    "reminder_block_until": date,
                    "reminder_block_note": note or False,
                    "reminder_promise_date": date,
                    "reminder_promise_amount": share,
                }
            )
        payer = self.reminder_payer_id
        body = self.env._(
            "Payment promise: %(amount)s by %(date)s for %(invoices)s.%(note)s",
            amount=format_amount(self.env, amount, currency),
            date=format_date(self.env, date),
            invoices=", ".join(self.move_id.mapped("name")),
            note=(" " + note) if note else "",
        )
        # Elevated rights: a log line on the payer, whom the user may read but
        # not edit (as for the letters).
        payer.sudo()._message_log(body=body, author_id=self.env.user.partner_id.id)
        return True

    def _relance_hold_reason(self):
        """Why the processing wizard leaves this installment alone for now
        (a hold, an excluded payer), or None. The backfill still records an
        earlier reminder on it: history is history."""
        self.ensure_one()
        if self.reminder_payer_id.reminder_excluded:
            return self.env._("Payer excluded from reminders")
        return self._relance_block_text()

    def _relance_block_text(self):
        """The hold of this installment as the credit controller reads it
        (reason, end date, note), or None when it is not on hold."""
        self.ensure_one()
        env = self.env
        if not self.reminder_blocked:
            return None
        reason = dict(self._fields["reminder_block_reason"]._description_selection(env))[
            self.reminder_block_reason
        ]
        until, note = self.reminder_block_until, self.reminder_block_note
        if until and note:
            return env._(
                "%(reason)s until %(date)s: %(note)s",
                reason=reason,
                date=format_date(env, until),
                note=note,
            )
        if until:
            return env._("%(reason)s until %(date)s", reason=reason, date=format_date(env, until))
        if note:
            return env._("%(reason)s: %(note)s", reason=reason, note=note)
        return reason

    def _inverse_reminder_payer_email(self):
        self._write_payer_field("reminder_email", "reminder_payer_email")

    def _inverse_reminder_payer_comment(self):
        self._write_payer_field("reminder_comment", "reminder_payer_comment")

    def _write_payer_field(self, partner_field, line_field):
        """Write a collection field of the payer from the installment panel:
        the very field of the contact form."""
        for line in self:
            if not line.reminder_payer_id:
                raise UserError(
                    self.env._("The installment %(line)s has no payer.", line=line._relance_label())
                )
            line.reminder_payer_id._relance_set_collection({partner_field: line[line_field]})

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get(fname) for vals in vals_list for fname in REMINDER_DATE_FIELDS
        ):
            raise UserError(
                self.env._(
                    "Reminder dates cannot be set when creating journal items: record "
                    "reminders on posted invoices with “Process reminders” or “Record an "
                    "earlier reminder”."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if "reminder_level" in vals:
            raise UserError(
                self.env._(
                    "The reminder level follows the reminder dates: record a reminder "
                    "instead of setting the level."
                )
            )
        corrections = []
        if not self.env.su and any(fname in vals for fname in REMINDER_DATE_FIELDS):
            # The recording path writes the dates with elevated rights, with
            # their history; any other write of a date is a correction.
            corrections = self._relance_corrections(vals)
        lines = self
        if vals and set(vals) <= set(REMINDER_DATE_FIELDS) | set(BLOCK_FIELDS) | PROMISE_FIELDS:
            # Reminder dates and holds do not touch the accounting: skip the invoice
            # synchronisation, which reads every invoice's taxes one by one.
            lines = self.with_context(skip_invoice_sync=True)
        result = super(AccountMoveLine, lines).write(vals)
        if corrections:
            self.env["relance.history"]._log_corrections(corrections)
        return result

    def _relance_corrections(self, vals):
        """``[(line, level, old date, new date)]`` that ``vals`` changes;
        refused unless the user is an accounting manager."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise UserError(
                self.env._(
                    "Reminder dates cannot be changed directly: use “Process reminders” or "
                    "“Record an earlier reminder”. Only an accounting manager may correct a "
                    "reminder date, and the correction is logged in the history."
                )
            )
        corrections = []
        for level in REMINDER_LEVELS:
            fname = level_field(level)
            if fname not in vals:
                continue
            new = fields.Date.to_date(vals[fname]) or False
            corrections += [(line, level, line[fname], new) for line in self if line[fname] != new]
        return corrections

    # ------------------------------------------------------------------
    # The sequential rule
    # ------------------------------------------------------------------
    def _relance_label(self):
        self.ensure_one()
        if not self.date_maturity:
            return self.move_id.name or ""
        return self.env._(
            "%(invoice)s (due %(date)s)",
            invoice=self.move_id.name,
            date=format_date(self.env, self.date_maturity),
        )

    @api.constrains(*BLOCK_FIELDS)
    def _check_reminder_block(self):
        installments = self.filtered_domain(self._relance_installment_domain())
        for line in self.filtered(lambda line: any(line[fname] for fname in BLOCK_FIELDS)):
            if line not in installments:
                raise ValidationError(
                    self.env._(
                        "Only the installments of a customer invoice can be put on hold "
                        "(%(line)s).",
                        line=line.move_id.name or line.name,
                    )
                )
            if not line.reminder_block_reason:
                raise ValidationError(
                    self.env._(
                        "Say why %(line)s is on hold (dispute, payment promise, other).",
                        line=line._relance_label(),
                    )
                )

    @api.constrains("reminder_date_1", "reminder_date_2", "reminder_date_3")
    def _check_reminder_dates(self):
        today = fields.Date.context_today(self)
        installments = self.filtered_domain(self._relance_installment_domain())
        for line in self:
            dates = {lvl: line[level_field(lvl)] for lvl in REMINDER_LEVELS}
            if not any(dates.values()):
                continue
            if line not in installments:
                raise ValidationError(
                    self.env._(
                        "Reminder dates can only be recorded on the installments of a "
                        "customer invoice (%(line)s).",
                        line=line.move_id.name or line.name,
                    )
                )
            error = self._relance_sequence_error(line, dates, today)
            if error:
                raise ValidationError(error)

    def _relance_sequence_error(self, line, dates, today):
        """The French message describing why ``dates`` break the rule, or None."""
        env = self.env
        for level in REMINDER_LEVELS:
            date = dates[level]
            if not date:
                continue
            if date > today:
                return env._(
                    "The level %(level)s reminder date of %(line)s (%(date)s) cannot be "
                    "in the future.",
                    level=level,
                    line=line._relance_label(),
                    date=format_date(env, date),
                )
            error = self._relance_lateness_error(line, level, date)
            if error:
                return error
            if level == 1:
                continue
            previous = dates[level - 1]
            if not previous:
                return env._(
                    "A level %(level)s reminder cannot be recorded on %(line)s without a "
                    "level %(previous)s reminder date.",
                    level=level,
                    previous=level - 1,
                    line=line._relance_label(),
                )
            if date < previous:
                return env._(
                    "The level %(level)s reminder date of %(line)s (%(date)s) cannot be "
                    "earlier than its level %(previous)s reminder date (%(previous_date)s).",
                    level=level,
                    previous=level - 1,
                    line=line._relance_label(),
                    date=format_date(env, date),
                    previous_date=format_date(env, previous),
                )
        return None

    def _relance_lateness_error(self, line, level, date):
        """A reminder is about a late installment: never before the invoice
        date, never on or before the due date."""
        env = self.env
        invoice_date = line.move_id.invoice_date
        if invoice_date and date < invoice_date:
            return env._(
                "The level %(level)s reminder date of %(line)s (%(date)s) cannot be earlier "
                "than the invoice date (%(invoice_date)s).",
                level=level,
                line=line._relance_label(),
                date=format_date(env, date),
                invoice_date=format_date(env, invoice_date),
            )
        if line.date_maturity and date <= line.date_maturity:
            return env._(
                "The level %(level)s reminder date of %(line)s (%(date)s) must be after its "
                "due date: only a late installment is reminded.",
                level=level,
                line=line._relance_label(),
                date=format_date(env, date),
            )
        return None

    def _relance_skip_reason(self, level, date, company_ids=None):
        """Why this installment cannot get a level ``level`` reminder dated
        ``date``, or None. Pure Python on prefetched fields: no query per line."""
        self.ensure_one()
        env = self.env
        if company_ids is not None and self.company_id.id not in company_ids:
            return env._("Different company")
        if self.parent_state != "posted":
            return env._("Invoice not posted")
        if not self.reminder_is_open:
            return env._("Paid or no longer due")
        if self.move_id.invoice_date and self.move_id.invoice_date > date:
            return env._(
                "Invoice dated %(date)s, after the reminder date",
                date=format_date(env, self.move_id.invoice_date),
            )
        if self.date_maturity and self.date_maturity >= date:
            return env._("Not due yet (due on %(date)s)", date=format_date(env, self.date_maturity))
        if self.reminder_level > level:
            return env._("Already at level %(level)s", level=self.reminder_level)
        if self[level_field(level)]:
            return env._(
                "Level %(level)s already recorded on %(date)s",
                level=level,
                date=format_date(env, self[level_field(level)]),
            )
        if level > 1:
            previous = self[level_field(level - 1)]
            if not previous:
                return env._("Level rule: no level %(previous)s reminder yet", previous=level - 1)
            if previous > date:
                return env._(
                    "Level rule: level %(previous)s reminder dated %(date)s is later",
                    previous=level - 1,
                    date=format_date(env, previous),
                )
        return None

    def _relance_run_skip_reason(self, level, date, output, level_mode, company_ids):
        """Why a processing run (the wizard's preview and confirmation, a
        background run when the letter's turn comes) leaves this installment
        out of a level ``level`` reminder dated ``date``, or None."""
        self.ensure_one()
        env = self.env
        if not level:
            return env._("Already at level %(level)s", level=self.reminder_level)
        reason = self._relance_skip_reason(level, date, company_ids) or self._relance_hold_reason()
        # Read only in auto mode: computing it for a whole book is not free.
        next_date = not reason and level_mode == "auto" and self.reminder_next_date
        if next_date and next_date > date:
            reason = env._(
                "Next reminder (level %(level)s) on %(date)s",
                level=level,
                date=format_date(env, next_date),
            )
        if not reason and output == "email" and not self.reminder_payer_id.reminder_email:
            reason = env._("Payer without reminder email")
        return reason

    # ------------------------------------------------------------------
    # Recording reminders: the one path for the wizards and RPC
    # ------------------------------------------------------------------
    def _relance_record(self, level, date, channel, note=False, history_vals=None):
        """Record a level ``level`` reminder dated ``date`` on every installment
        of ``self`` and log its history, in two batched writes.

        :param history_vals: ``{installment id: values}`` added to its history
            record (its letter and document, from ``relance.letter._record``)

        :return: the created ``relance.history`` records
        """
        level = check_level(self.env, level)
        if not date:
            raise UserError(self.env._("A reminder needs a date."))
        date = fields.Date.to_date(date)
        self.check_access("write")
        self._relance_lock()
        self._relance_check_recordable(level, date)
        # Elevated rights after the checks above: users may neither write the
        # dates directly nor create history (evidence), only through here.
        self.sudo().write({level_field(level): date})
        history = self.env["relance.history"].sudo()
        history_vals = history_vals or {}
        return history.create(
            [
                {
                    **history._line_vals(line, level, date, channel),
                    "note": note,
                    **history_vals.get(line.id, {}),
                }
                for line in self
            ]
        ).sudo(False)

    def _relance_lock(self):
        """Lock the installments until the end of the transaction. Two users
        confirming on the same installments: the second one waits, then gets
        a serialization failure (retried by Odoo) and sees the first one's
        dates, so a level is never recorded twice."""
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM account_move_line WHERE id IN %s FOR NO KEY UPDATE",
                    tuple(self.ids),
                )
            )

    def _relance_check_recordable(self, level, date):
        """Raise one French error listing every installment that cannot get
        this reminder, so nothing at all is written."""
        if not self:
            raise UserError(self.env._("No installment to remind."))
        problems = [
            f"- {line._relance_label()}: {reason}"
            for line in self
            if (reason := line._relance_skip_reason(level, date))
        ]
        if problems:
            raise UserError(
                self.env._(
                    "No reminder was recorded, these installments cannot get a level "
                    "%(level)s reminder dated %(date)s:\n%(problems)s",
                    level=level,
                    date=format_date(self.env, date),
                    problems="\n".join(problems),
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    @api.model
    def action_open_relance_installments(self):
        """The "Installments to collect" list, its domain built from the
        single server-side definition of what is open."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optim_relance.action_relance_installments"
        )
        action["domain"] = self._relance_open_domain()
        return action

    @api.model
    def action_open_relance_analysis(self):
        """Reporting › Collection: the open installments in the pivot, by
        payer and aging bucket (late and not yet due alike)."""
        action = self.action_open_relance_installments()
        name = self.env._("Receivables analysis")
        action.update(name=name, display_name=name, context={})
        views = {mode: view for view, mode in action["views"]}
        action["views"] = [
            (views[mode], mode) for mode in ("pivot", "graph", "list", "form") if mode in views
        ]
        return action

    @api.model
    def action_open_relance_worklist(self):
        """The day's worklist: the same list, filtered on what is to remind
        today (the wizard opened from it proposes the level due)."""
        action = self.action_open_relance_installments()
        name = self.env._("Today's reminders")
        action.update(
            name=name,
            display_name=name,
            context={"search_default_to_do": 1},
            help=Markup("<p class='o_view_nocontent_smiling_face'>%s</p><p>%s</p>")
            % (
                self.env._("Nothing to remind today"),
                self.env._(
                    "An installment shows up here once the delay of its next level has "
                    "passed, unless it is on hold or its payer is excluded from reminders."
                ),
            ),
        )
        return action

    def action_open_relance_wizard(self):
        """Header button and Action menu of the list: the processing wizard,
        with the selection and the list's domain (for "all installments")."""
        context = self.env.context
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Process reminders"),
            "res_model": "relance.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_ids": self.ids,
                "active_domain": context.get("active_domain") or [],
                "default_output": context.get("default_output") or "pdf",
            },
        }

    def action_open_backfill_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record an earlier reminder"),
            "res_model": "relance.backfill.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_ids": self.ids,
                "default_line_ids": self.ids,
            },
        }

    def action_open_relance_form(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("optim_relance.view_move_line_relance_form").id, "form")],
        }
