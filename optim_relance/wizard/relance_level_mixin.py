from odoo import api, fields, models
from odoo.exceptions import ValidationError

LEVEL_CHOICES = [
    ("1", "Level 1 – friendly reminder"),
    ("2", "Level 2 – firm reminder"),
    ("3", "Level 3 – formal notice"),
]


class RelanceLevelMixin(models.AbstractModel):
    """``level`` is the integer the API speaks (1–3); ``level_choice`` is the
    same value shown as radio buttons."""

    _name = "relance.level.mixin"
    _description = "Reminder level choice"

    level = fields.Integer(string="Level number", required=True, default=1)
    level_choice = fields.Selection(
        LEVEL_CHOICES,
        string="Level",
        compute="_compute_level_choice",
        inverse="_inverse_level_choice",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "level" in fields_list and not self.env.context.get("default_level"):
            lines = self._active_lines()
            if lines:
                values["level"] = self._next_level(lines)
        return values

    @api.model
    def _active_lines(self):
        """The installments the wizard was opened on, if any."""
        context = self.env.context
        if context.get("active_model") != "account.move.line" or not context.get("active_ids"):
            return self.env["account.move.line"]
        return self.env["account.move.line"].browse(context["active_ids"])

    @api.model
    def _next_level(self, lines):
        """The level that comes next for most of a selection: one above the
        lowest level reached, so a mixed selection proposes what most lines
        can get."""
        return min(min(lines.mapped("reminder_level") or [0]) + 1, 3)

    @api.constrains("level")
    def _check_level(self):
        if any(record.level not in (1, 2, 3) for record in self):
            raise ValidationError(self.env._("The reminder level must be 1, 2 or 3."))

    @api.depends("level")
    def _compute_level_choice(self):
        for wizard in self:
            wizard.level_choice = str(wizard.level) if wizard.level in (1, 2, 3) else False

    def _inverse_level_choice(self):
        for wizard in self:
            if wizard.level_choice:
                wizard.level = int(wizard.level_choice)

    @api.onchange("level_choice")
    def _onchange_level_choice(self):
        self._inverse_level_choice()
