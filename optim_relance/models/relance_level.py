from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RelanceLevel(models.Model):
    """What a reminder of one level says: the letter's title, opening and
    closing texts, and the email (through its mail template). Texts are QWeb
    rendered on the payer with the company, the installments table and the
    totals available, so a manager edits them without touching code."""

    _name = "relance.level"
    _inherit = "mail.render.mixin"
    _description = "Reminder level"
    _order = "level, company_id"
    # Like mail.template: rendering stays allowed for every user, writing
    # dynamic content is checked by mail.render.mixin on create/write.
    _unrestricted_rendering = True

    level = fields.Integer(required=True)
    name = fields.Char(string="Title", required=True, translate=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to use this text in every company."
    )
    active = fields.Boolean(default=True)
    letter_intro = fields.Html(
        string="Opening text",
        translate=True,
        render_engine="qweb",
        sanitize=False,
        help="Text before the table of installments.",
    )
    letter_closing = fields.Html(
        string="Closing text",
        translate=True,
        render_engine="qweb",
        sanitize=False,
        help="Text after the table of installments.",
    )
    deadline_days = fields.Integer(
        string="Payment deadline (days)",
        default=8,
        help="Days given to pay from the reminder date; available as “deadline” in the texts.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain=[("model", "=", "res.partner")],
        ondelete="restrict",
    )
    email_subject = fields.Char(
        related="mail_template_id.subject", readonly=False, string="Email subject"
    )
    email_body = fields.Html(
        related="mail_template_id.body_html", readonly=False, string="Email body"
    )
    docx_template = fields.Binary(
        string="Word template",
        attachment=True,
        help="Optional .docx with fields (docxtpl) replacing the built-in Word letter.",
    )
    docx_template_name = fields.Char()

    _sql_constraints = [
        (
            "level_company_uniq",
            "UNIQUE(level, company_id)",
            "There is already a text for this level in this company.",
        ),
    ]

    @api.constrains("level")
    def _check_level(self):
        if any(record.level not in (1, 2, 3) for record in self):
            raise ValidationError(self.env._("The reminder level must be 1, 2 or 3."))

    def _compute_render_model(self):
        self.render_model = "res.partner"

    @api.model
    def _get_for(self, level, company):
        """The texts of ``level`` for ``company``: its own, else the shared ones."""
        candidates = self.search([("level", "=", level), ("company_id", "in", [company.id, False])])
        found = candidates.filtered("company_id")[:1] or candidates[:1]
        if not found:
            raise ValidationError(
                self.env._(
                    "No reminder text is configured for level %(level)s in %(company)s.",
                    level=level,
                    company=company.name,
                )
            )
        return found
