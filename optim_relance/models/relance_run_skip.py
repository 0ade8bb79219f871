from odoo import fields, models


class RelanceRunSkip(models.Model):
    """An installment a run left out, and why (level rule, hold, no reminder
    email, reminded meanwhile by another run…)."""

    _name = "relance.run.skip"
    _description = "Installment skipped by a reminder run"
    _order = "id"

    run_id = fields.Many2one(
        "relance.run", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    line_id = fields.Many2one(
        "account.move.line", string="Installment", required=True, readonly=True, ondelete="cascade"
    )
    move_id = fields.Many2one(related="line_id.move_id", string="Invoice")
    partner_id = fields.Many2one(related="line_id.reminder_payer_id", string="Payer")
    reason = fields.Char(required=True, readonly=True)
