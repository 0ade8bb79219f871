from odoo import api, fields, models


class RelanceBackfillWizard(models.TransientModel):
    """Record reminders sent before the addon, by other means ("reprise")."""

    _name = "relance.backfill.wizard"
    _inherit = "relance.level.mixin"
    _description = "Record an earlier reminder"
    _line_fields = ("line_ids",)

    line_ids = fields.Many2many(
        "account.move.line",
        string="Installments",
        required=True,
    )
    line_count = fields.Integer(compute="_compute_line_count")
    date = fields.Date(string="Reminder date", required=True)
    note = fields.Text()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        lines = self._active_lines()
        if not lines:
            return values
        if "line_ids" in fields_list and not values.get("line_ids"):
            values["line_ids"] = [fields.Command.set(lines.ids)]
        return values

    @api.depends("line_ids")
    def _compute_line_count(self):
        for wizard in self:
            wizard.line_count = len(wizard.line_ids)

    def action_confirm(self):
        self.ensure_one()
        self.line_ids._relance_record(self.level, self.date, "manual", note=self.note)
        return {"type": "ir.actions.act_window_close"}
