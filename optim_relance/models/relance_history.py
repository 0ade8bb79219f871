from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_date

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

    _sql_constraints = [LEVEL_RANGE_CONSTRAINT]

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
