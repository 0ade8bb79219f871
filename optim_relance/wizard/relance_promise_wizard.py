from odoo import api, fields, models


class RelancePromiseWizard(models.TransientModel):
    """A payment promise made by a payer (on the phone, by email) for some of
    its installments: they are on hold until the promised date."""

    _name = "relance.promise.wizard"
    _inherit = "relance.lines.mixin"
    _description = "Payment promise"
    _line_fields = ("line_ids",)

    line_ids = fields.Many2many("account.move.line", string="Installments", required=True)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    date = fields.Date(string="Promised for", required=True)
    amount = fields.Monetary(string="Amount promised", currency_field="currency_id")
    note = fields.Text()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        lines = self._active_lines()
        if lines and "line_ids" in fields_list and not values.get("line_ids"):
            values["line_ids"] = [fields.Command.set(lines.ids)]
        if lines and "amount" in fields_list and len(lines.currency_id) == 1:
            values["amount"] = lines.currency_id.round(
                sum(lines.mapped("amount_residual_currency"))
            )
        return values

    @api.depends("line_ids")
    def _compute_currency_id(self):
        for wizard in self:
            currencies = wizard.line_ids.currency_id
            wizard.currency_id = (
                currencies if len(currencies) == 1 else self.env.company.currency_id
            )

    def action_confirm(self):
        self.ensure_one()
        self.line_ids._relance_promise(self.date, self.amount, self.note)
        return {"type": "ir.actions.act_window_close"}
