from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, format_date

from .account_move_line import LEVEL_RANGE_CONSTRAINT

CHANNELS = [
    ("email", "Email"),
    ("pdf", "PDF letter"),
    ("word", "Word letter"),
    ("manual", "Recorded by hand"),
    ("correction", "Date corrected"),
]


class RelanceHistory(models.Model):
    _name = "relance.history"
    _description = "Reminder history"
    _order = "date desc, level desc, id desc"
    _check_company_auto = True

    move_line_id = fields.Many2one(
        "account.move.line",
        string="Installment",
        index=True,
        ondelete="set null",
        check_company=True,
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    move_name = fields.Char(related="move_id.name", string="Invoice number")
    partner_id = fields.Many2one(
        "res.partner", string="Payer", required=True, index=True, ondelete="restrict"
    )
    level = fields.Integer(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    channel = fields.Selection(CHANNELS, required=True, default="manual")
    letter_id = fields.Many2one("relance.letter", index="btree_not_null", ondelete="restrict")
    attachment_id = fields.Many2one("ir.attachment", string="Document", ondelete="restrict")
    penalty_move_id = fields.Many2one(
        "account.move",
        string="Penalty invoice",
        index="btree_not_null",
        ondelete="set null",
        help="The draft invoice of the late-payment penalties and indemnity this reminder "
        "claimed, when they were invoiced.",
    )
    attachment_name = fields.Char(related="attachment_id.name", string="Document name")
    user_id = fields.Many2one(
        "res.users", string="Done by", required=True, default=lambda self: self.env.user
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_residual = fields.Monetary(string="Residual when reminded", currency_field="currency_id")
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due date")
    note = fields.Text()
    old_date = fields.Date(string="Former date", help="Date corrected: the value before.")
    new_date = fields.Date(string="Corrected date", help="Date corrected: the value after.")

    # What the reminder brought in (effectiveness per level and channel):
    # stored, recomputed by the ORM whenever the installment's matching
    # changes, so the pivot groups and sums them in SQL.
    paid_date = fields.Date(
        string="Settled on",
        compute="_compute_recovery",
        store=True,
        help="The day the installment was settled, when a payment came after this reminder; "
        "empty while it is unpaid.",
    )
    paid_within_days = fields.Integer(
        string="Paid within (days)",
        compute="_compute_paid_within_days",
        aggregator="avg",
        help="Days from the reminder to the payment that settled the installment; empty while "
        "it is unpaid.",
    )
    amount_recovered = fields.Monetary(
        string="Recovered",
        compute="_compute_recovery",
        store=True,
        currency_field="currency_id",
        help="Paid on the installment from the reminder day on (credit notes and exchange "
        "differences excluded), up to the residual reminded.",
    )
    amount_recovered_15 = fields.Monetary(
        string="Recovered within 15 days",
        compute="_compute_recovery",
        store=True,
        currency_field="currency_id",
    )
    amount_recovered_30 = fields.Monetary(
        string="Recovered within 30 days",
        compute="_compute_recovery",
        store=True,
        currency_field="currency_id",
    )

    _sql_constraints = [LEVEL_RANGE_CONSTRAINT]

    @api.depends(
        "date",
        "channel",
        "amount_residual",
        "move_line_id.reconciled",
        "move_line_id.matched_credit_ids.amount",
        "move_line_id.matched_credit_ids.max_date",
        "move_line_id.matched_credit_ids.exchange_move_id",
        "move_line_id.full_reconcile_id.exchange_move_id",
    )
    def _compute_recovery(self):
        """Payments matched with the installment on or after the reminder day:
        their amount within 15 and 30 days and in all (never more than the
        residual reminded), and once the installment is settled, the day it
        was (its last payment or credit note). Credit notes and exchange
        differences are not money recovered; date corrections are not
        reminders."""
        for record in self:
            line = record.move_line_id
            exchange = line._reminder_exchange_moves()
            settlements = line.matched_credit_ids.filtered(
                lambda partial, date=record.date, exchange=exchange: (
                    partial.max_date >= date and partial.credit_move_id.move_id not in exchange
                )
            )
            payments = settlements.filtered(
                lambda partial: partial.credit_move_id.move_id.move_type != "out_refund"
            )
            if record.channel == "correction" or not payments:
                record.update(
                    {
                        "paid_date": False,
                        "amount_recovered": 0.0,
                        "amount_recovered_15": 0.0,
                        "amount_recovered_30": 0.0,
                    }
                )
                continue

            def paid(days, payments=payments, record=record):
                limit = record.date + timedelta(days=days) if days is not None else None
                amount = sum(p.amount for p in payments if limit is None or p.max_date <= limit)
                return record.currency_id.round(min(amount, record.amount_residual))

            record.update(
                {
                    "paid_date": (
                        max(settlements.mapped("max_date")) if line.reconciled else False
                    ),
                    "amount_recovered": paid(None),
                    "amount_recovered_15": paid(15),
                    "amount_recovered_30": paid(30),
                }
            )

    @api.depends("date", "paid_date")
    def _compute_paid_within_days(self):
        for record in self:
            record.paid_within_days = (
                (record.paid_date - record.date).days if record.paid_date else 0
            )

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # NULL while unpaid, so that the pivot's average counts settled
        # reminders only.
        if fname == "paid_within_days":
            return SQL(
                "(%s - %s)",
                self._field_to_sql(alias, "paid_date", query, flush),
                self._field_to_sql(alias, "date", query, flush),
            )
        return super()._field_to_sql(alias, fname, query, flush)

    @api.depends("level", "move_id", "channel")
    def _compute_display_name(self):
        for record in self:
            if record.channel == "correction":
                label = self.env._("Level %(level)s date corrected – %(invoice)s")
            else:
                label = self.env._("Level %(level)s reminder – %(invoice)s")
            record.display_name = label % {
                "level": record.level,
                "invoice": record.move_id.name or "",
            }

    # History is evidence (a formal notice is proven by it): only the
    # recording path writes it, with elevated rights after its own checks
    # (``account.move.line._relance_record`` and ``_log_corrections``).
    @api.model_create_multi
    def create(self, vals_list):
        self._check_recording_path()
        return super().create(vals_list)

    def write(self, vals):
        self._check_recording_path()
        return super().write(vals)

    def unlink(self):
        self._check_recording_path()
        return super().unlink()

    @api.model
    def _check_recording_path(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "The reminder history is written only when reminders are recorded "
                    "(“Process reminders”, “Record an earlier reminder”, a manager's date "
                    "correction); it can be neither created, changed nor deleted by hand."
                )
            )

    @api.constrains("letter_id", "attachment_id", "company_id", "level", "date", "partner_id")
    def _check_letter_id(self):
        """A reminder's letter is the letter of that very reminder (same
        company, payer, level and date), and its document one of that
        letter's documents."""
        for record in self.filtered(lambda history: history.letter_id or history.attachment_id):
            letter = record.letter_id.sudo()
            attachment = record.attachment_id.sudo()
            if (
                (letter.company_id, letter.partner_id, letter.level, letter.date)
                != (record.company_id, record.partner_id, record.level, record.date)
                or record.move_line_id not in letter.line_ids
                or (
                    attachment
                    and (attachment.res_model, attachment.res_id) != (letter._name, letter.id)
                )
            ):
                raise ValidationError(
                    self.env._(
                        "The letter of a reminder must be the letter of that reminder, "
                        "in the same company, and its document one of that letter's."
                    )
                )

    @api.model
    def _log_corrections(self, corrections):
        """Log manager corrections of reminder dates on the installments'
        history: ``corrections`` is ``[(line, level, old date, new date)]``."""
        today = fields.Date.context_today(self)
        # The note is stored: in the language of the user who corrected, even
        # over RPC without a context.
        env = self.with_context(lang=self.env.lang or self.env.user.lang).env

        def show(date):
            return format_date(env, date) if date else env._("none")

        return self.sudo().create(
            [
                {
                    **self._line_vals(line, level, today, "correction"),
                    "old_date": old,
                    "new_date": new,
                    "note": env._(
                        "Level %(level)s reminder date corrected: %(old)s → %(new)s",
                        level=level,
                        old=show(old),
                        new=show(new),
                    ),
                }
                for line, level, old, new in corrections
            ]
        )

    @api.model
    def _line_vals(self, line, level, date, channel):
        """What every history record of an installment says: the installment,
        its invoice, payer, company and residual, the level, date and who."""
        return {
            "move_line_id": line.id,
            "move_id": line.move_id.id,
            "partner_id": line.reminder_payer_id.id,
            "level": level,
            "date": date,
            "channel": channel,
            "amount_residual": line.amount_residual,
            "company_id": line.company_id.id,
            "user_id": self.env.uid,
        }

    def action_open_document(self):
        self.ensure_one()
        if not self.attachment_id:
            return False
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "new",
        }
