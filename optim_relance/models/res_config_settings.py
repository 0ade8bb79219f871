from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    reminder_penalty_mode = fields.Selection(
        related="company_id.reminder_penalty_mode", readonly=False, required=True
    )
    reminder_penalty_points = fields.Float(
        related="company_id.reminder_penalty_points", readonly=False
    )
    reminder_penalty_rate = fields.Float(related="company_id.reminder_penalty_rate", readonly=False)
    reminder_claim_indemnity = fields.Boolean(
        related="company_id.reminder_claim_indemnity", readonly=False
    )
    reminder_penalty_product_id = fields.Many2one(
        related="company_id.reminder_penalty_product_id", readonly=False
    )
    reminder_indemnity_product_id = fields.Many2one(
        related="company_id.reminder_indemnity_product_id", readonly=False
    )
    reminder_rating_slow_days = fields.Integer(
        related="company_id.reminder_rating_slow_days", readonly=False
    )
    reminder_rating_bad_days = fields.Integer(
        related="company_id.reminder_rating_bad_days", readonly=False
    )
