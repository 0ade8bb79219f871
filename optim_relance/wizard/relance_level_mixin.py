from odoo import api, fields, models

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
