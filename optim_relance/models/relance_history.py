from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

CHANNELS = [
    ("email", "Email"),
    ("pdf", "PDF letter"),
    ("word", "Word letter"),
    ("manual", "Recorded by hand"),
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
    attachment_id = fields.Many2one("ir.attachment", string="Document", ondelete="restrict")
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

    _sql_constraints = [
        ("level_range", "CHECK(level BETWEEN 1 AND 3)", "The reminder level must be 1, 2 or 3."),
    ]

    @api.depends("level", "move_id")
    def _compute_display_name(self):
        for record in self:
            record.display_name = self.env._(
                "Level %(level)s reminder – %(invoice)s",
                level=record.level,
                invoice=record.move_id.name or "",
            )

    @api.constrains("level")
    def _check_level(self):
        if any(record.level not in (1, 2, 3) for record in self):
            raise ValidationError(self.env._("The reminder level must be 1, 2 or 3."))

    def _link_attachments(self, attachment_by_history):
        """Set the document of many history records in one query (a write per
        distinct attachment would make one query per letter)."""
        if not attachment_by_history:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE relance_history h SET attachment_id = v.attachment_id"
                " FROM (VALUES %s) AS v(id, attachment_id) WHERE h.id = v.id",
                SQL(", ").join(
                    SQL("(%s, %s)", history_id, attachment_id)
                    for history_id, attachment_id in attachment_by_history.items()
                ),
            )
        )
        self.browse(attachment_by_history).invalidate_recordset(["attachment_id"])

    def action_open_document(self):
        self.ensure_one()
        if not self.attachment_id:
            return False
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "new",
        }
