from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.account_move_line import check_level


class RelanceLinesMixin(models.AbstractModel):
    """Wizards opened on a selection of installments: the selection, and the
    ids a client sends checked before the ORM sees them."""

    _name = "relance.lines.mixin"
    _description = "Installments of a reminder wizard"

    # The installments fields of the wizards using this mixin
    _line_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_vals(vals)
        return super().write(vals)

    @api.model
    def _check_vals(self, vals):
        """Refuse what the ORM would turn into a raw database error: an
        unknown installment."""
        for fname in self._line_fields:
            if fname in vals:
                self._check_lines_exist(self._command_ids(vals[fname]))

    @api.model
    def _command_ids(self, commands):
        """The record ids a x2many value of ``create``/``write`` refers to."""
        ids = []
        for command in commands or []:
            if isinstance(command, int):
                ids.append(command)
            elif isinstance(command, (list, tuple)) and command:
                if command[0] == fields.Command.SET and len(command) > 2:
                    ids += list(command[2] or [])
                elif command[0] == fields.Command.LINK and len(command) > 1:
                    ids.append(command[1])
        return ids

    @api.model
    def _check_lines_exist(self, ids):
        try:
            ids = [int(line_id) for line_id in ids]
        except (TypeError, ValueError) as exc:
            raise UserError(self.env._("Installments are given by their ids.")) from exc
        missing = set(ids) - set(self.env["account.move.line"].browse(ids).exists().ids)
        if missing:
            raise UserError(
                self.env._(
                    "These installments do not exist (any more): %(ids)s. Reload the list "
                    "and select them again.",
                    ids=", ".join(str(line_id) for line_id in sorted(missing)),
                )
            )

    @api.model
    def _active_lines(self):
        """The installments the wizard was opened on, if any."""
        context = self.env.context
        if context.get("active_model") != "account.move.line" or not context.get("active_ids"):
            return self.env["account.move.line"]
        self._check_lines_exist(context["active_ids"])
        return self.env["account.move.line"].browse(context["active_ids"])


class RelanceLevelMixin(models.AbstractModel):
    """The reminder level a wizard records (1, 2 or 3), proposed from the
    selected installments. The form shows it as radio buttons
    (``relance_level_radio`` widget)."""

    _name = "relance.level.mixin"
    _inherit = "relance.lines.mixin"
    _description = "Reminder level choice"

    level = fields.Integer(required=True, default=1)

    @api.model
    def _check_vals(self, vals):
        """Also refuse a fractional level, which the ORM would truncate."""
        if "level" in vals:
            vals["level"] = check_level(self.env, vals["level"])
        return super()._check_vals(vals)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "level" in fields_list and not self.env.context.get("default_level"):
            lines = self._active_lines()
            if lines:
                values["level"] = self._next_level(lines)
        return values

    @api.model
    def _next_level(self, lines):
        """The level that comes next for most of a selection: one above the
        lowest level reached, so a mixed selection proposes what most lines
        can get."""
        return min(min(lines.mapped("reminder_level") or [0]) + 1, 3)
