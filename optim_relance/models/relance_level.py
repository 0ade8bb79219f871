import base64

import lxml.html

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.rendering_tools import parse_inline_template

from odoo.addons.base.models.ir_qweb import QWebException

from ..tools import relance_docx
from .account_move_line import LEVEL_RANGE_CONSTRAINT, check_level
from .relance_letter import TEXT_VALUES

# Fields of a level holding dynamic content (QWeb / inline template), and the
# fields of its email template edited from the level form.
DYNAMIC_FIELDS = ("letter_intro", "letter_closing", "lang")
EMAIL_FIELDS = {"email_subject": "subject", "email_body": "body_html"}

# The variables of the reminder texts and emails: plain values the addon
# computes, rendered escaped. Any manager may use them in a level's texts
# without being a template editor (only code needs that right).
TEXT_VARIABLES = frozenset(
    {
        "company.name",
        "company.email_formatted",
        "len(lines)",
        "level",
        "object.lang",
        *TEXT_VALUES,
    }
)


class RelanceLevel(models.Model):
    """What a reminder of one level says in one company: the letter's title,
    opening and closing texts, the payment deadline, the email (through its
    own mail template) and an optional Word template. Texts are QWeb rendered
    on the payer with the company, the installments and the totals available,
    so a manager edits them without touching code.

    Every company has its own three levels (created with the company): a
    manager of one company never changes the letters of another."""

    _name = "relance.level"
    _inherit = "mail.render.mixin"
    _description = "Reminder level"
    _order = "level, company_id"
    # Like mail.template: rendering stays allowed for every user, writing
    # dynamic content is checked on create/write (see
    # ``_check_access_right_dynamic_template``).
    _unrestricted_rendering = True

    level = fields.Integer(required=True)
    name = fields.Char(string="Title", required=True, translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    letter_intro = fields.Html(
        string="Opening text",
        translate=True,
        render_engine="qweb",
        sanitize=False,
        help="Text before the table of installments. Variables: object (the payer), company, "
        "lines, level, reminder_date_text, deadline_text, total_residual_text, "
        "total_amount_text, date_level_1, date_level_2, unpaid_text, penalty_clause_text, "
        "penalty_rate_text, penalty_total_text, indemnity_total_text, claimed_total_text.",
    )
    letter_closing = fields.Html(
        string="Closing text",
        translate=True,
        render_engine="qweb",
        sanitize=False,
        help="Text after the table of installments, with the same variables as the opening text.",
    )
    lang = fields.Char(
        string="Language",
        default="{{ object.lang }}",
        help="Language of the letters, rendered on the payer: by default its own "
        "({{ object.lang }}); French when that language is not installed.",
    )
    delay_days = fields.Integer(
        string="Delay (days)",
        default=15,
        help="When this level becomes due: level 1 this many days after the installment's due "
        "date, level 2 after the level 1 reminder, level 3 after the level 2 reminder; at the "
        "earliest the next day (one level a day).",
    )
    auto_send = fields.Boolean(
        string="Send automatically",
        help="Every day, the scheduled action “Automatic reminders” emails this level to the "
        "installments for which it is due, when their payer has a reminder email. Payers "
        "without one stay in the list “To remind today”.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Follow-up activity",
        domain="[('res_model', 'in', (False, 'res.partner'))]",
        help="Scheduled on the payer for its collector (or the activity type's default user) "
        "when a reminder of this level is sent, e.g. a phone call after the formal notice.",
    )
    deadline_days = fields.Integer(
        string="Payment deadline (days)",
        default=8,
        help="Days given to pay from the reminder date; available as “deadline_text” in the texts.",
    )
    show_penalties = fields.Boolean(
        string="Show penalties",
        compute="_compute_show_penalties",
        store=True,
        readonly=False,
        help="The letters and emails of this level add to the residual the late-payment "
        "penalties as of the reminder date and the 40 € recovery indemnity per late invoice "
        "(company settings, Invoicing › Settings › Reminders), up to the total claimed.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain=[("model", "=", "relance.letter")],
        ondelete="restrict",
        copy=False,
    )
    email_subject = fields.Char(
        compute="_compute_email_fields", inverse="_inverse_email_fields", string="Email subject"
    )
    email_body = fields.Html(
        compute="_compute_email_fields",
        inverse="_inverse_email_fields",
        string="Email body",
        sanitize=False,
    )
    docx_template = fields.Binary(
        string="Word template",
        attachment=True,
        help="Optional .docx with fields (docxtpl) replacing the built-in Word letter.",
    )
    docx_template_name = fields.Char()

    _sql_constraints = [
        LEVEL_RANGE_CONSTRAINT,
        ("delay_days_positive", "CHECK(delay_days >= 0)", "A delay cannot be negative."),
        (
            "level_company_uniq",
            "UNIQUE(level, company_id)",
            "There is already a text for this level in this company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Who may change what
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "level" in vals:
                vals["level"] = check_level(self.env, vals["level"])
            if vals.get("mail_template_id"):
                self._check_template_choice()
        levels = super(
            RelanceLevel, self.with_context(relance_dynamic_fields=DYNAMIC_FIELDS)
        ).create(vals_list)
        for level in levels.filtered(lambda record: not record.mail_template_id):
            # Elevated rights: the level's own new template, not a choice.
            level.sudo().mail_template_id = level._copy_shipped_template()
        return levels

    def write(self, vals):
        if "level" in vals:
            vals["level"] = check_level(self.env, vals["level"])
        if "mail_template_id" in vals:
            self._check_template_choice()
        moved = "company_id" in vals and not self.env.su
        if moved and any(level.company_id.id != vals["company_id"] for level in self):
            raise UserError(
                self.env._(
                    "A reminder level stays in its company: create the level in the "
                    "other company instead."
                )
            )
        # Only what is written is checked for dynamic content: a manager
        # changes the deadline or the Word template of a level whatever its
        # texts hold. The key is always set here (and in create), never taken
        # from the caller.
        changed = tuple(fname for fname in DYNAMIC_FIELDS if fname in vals)
        result = super(RelanceLevel, self.with_context(relance_dynamic_fields=changed)).write(vals)
        if {"delay_days", "active"} & set(vals):
            # The worklist follows a new delay at once, in this transaction too.
            self.env["account.move.line"].invalidate_model(["reminder_next_date", "reminder_to_do"])
        return result

    def _is_template_editor(self):
        return self.env.su or self.env.user.has_group("mail.group_mail_template_editor")

    def _check_template_choice(self):
        """Pointing a level at an existing template then editing it from the
        level would rewrite that template: for template editors only."""
        if not self._is_template_editor():
            self._raise_template_editor_only()

    def _copy_shipped_template(self):
        """A copy of the shipped email template of this level, its own."""
        self.ensure_one()
        source = self.env.ref(
            f"optim_relance.mail_template_relance_level_{self.level}", raise_if_not_found=False
        )
        if not source:
            return self.env["mail.template"]
        # Elevated rights: a level's own template, created with the level.
        return source.sudo().copy({"name": f"{source.name} – {self.company_id.name}"})

    def _update_field_translations(self, fname, translations, digest=None, source_lang=None):
        return super(
            RelanceLevel, self.with_context(relance_dynamic_fields=(fname,))
        )._update_field_translations(fname, translations, digest=digest, source_lang=source_lang)

    def _check_access_right_dynamic_template(self):
        """Odoo's rule for templates (code in a text is for template editors),
        applied to the texts being written, with a message saying what to do."""
        if self._is_template_editor():
            return
        fnames = set(self.env.context.get("relance_dynamic_fields", DYNAMIC_FIELDS))
        fnames &= set(DYNAMIC_FIELDS)
        for level in self:
            for fname in fnames:
                if level._is_unsafe(level[fname], level._fields[fname], level.render_model):
                    level._raise_template_editor_only()

    def _is_unsafe(self, value, field, model):
        """Whether ``value`` holds code beyond the documented variables and
        what Odoo allows everyone (``object.name``…)."""
        if not value:
            return False
        if getattr(field, "render_engine", "inline_template") == "qweb":
            try:
                return self._has_unsafe_expression_template_qweb(_strip_variables(value), model)
            except (QWebException, ValueError) as exc:
                raise ValidationError(
                    self.env._("This text is not a valid template: %(error)s", error=exc)
                ) from exc
        qweb = self.env["ir.qweb"]
        return not all(
            expression.strip() in TEXT_VARIABLES or qweb._is_expression_allowed(expression, model)
            for expression in (part[1] for part in parse_inline_template(str(value)))
            if expression
        )

    def _raise_template_editor_only(self):
        group = self.env.ref("mail.group_mail_template_editor")
        raise AccessError(
            self.env._(
                "This text holds expressions that only members of the “%(group)s” group may "
                "save. Use only the variables listed on the form, or ask an administrator to "
                "add you to that group (Settings › Users, developer mode).",
                group=group.name,
            )
        )

    @api.depends("mail_template_id.subject", "mail_template_id.body_html")
    def _compute_email_fields(self):
        for level in self:
            template = level.mail_template_id
            level.email_subject = template.subject
            level.email_body = template.body_html

    def _inverse_email_fields(self):
        """The email of a level is its own template, edited from the level by
        whoever may edit the level, under Odoo's dynamic content rule."""
        editor = self._is_template_editor()
        for level in self:
            template = level.mail_template_id
            if not template:
                raise ValidationError(
                    self.env._(
                        "Choose an email template for “%(level)s” before editing its email.",
                        level=level.display_name,
                    )
                )
            vals = {target: level[source] for source, target in EMAIL_FIELDS.items()}
            vals = {key: value for key, value in vals.items() if value != template[key]}
            if not vals:
                continue
            if not editor:
                for key, value in vals.items():
                    if level._is_unsafe(value, template._fields[key], template.model):
                        level._raise_template_editor_only()
            # Elevated rights: the template is this level's own (one level per
            # template, see _check_mail_template_id), the user may edit the
            # level, and its content was checked above as Odoo checks it.
            template.sudo().with_context(lang=self.env.lang).write(vals)

    @api.constrains("mail_template_id", "company_id")
    def _check_mail_template_id(self):
        for level in self.filtered("mail_template_id"):
            template = level.mail_template_id.sudo()
            others = (
                self.sudo()
                .with_context(active_test=False)
                .search_count([("mail_template_id", "=", template.id), ("id", "!=", level.id)])
            )
            if others or template.model != "relance.letter":
                raise ValidationError(
                    self.env._(
                        "The email template “%(template)s” cannot be used: each reminder level "
                        "has its own template, on reminder letters.",
                        template=template.name,
                    )
                )

    @api.constrains("auto_send", "mail_template_id", "activity_type_id")
    def _check_automation(self):
        """What the scheduled action needs, checked when it is set rather
        than failing every night."""
        for level in self:
            if level.auto_send and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "“%(level)s” is sent automatically by email: choose its email template.",
                        level=level.display_name,
                    )
                )
            kind = level.activity_type_id
            if kind and kind.res_model not in (False, "res.partner"):
                raise ValidationError(
                    self.env._(
                        "The activity “%(activity)s” is for another kind of record: choose one "
                        "for contacts.",
                        activity=kind.name,
                    )
                )

    @api.constrains("docx_template")
    def _check_docx_template(self):
        """Open, parse and render a Word template once on sample values when it
        is saved, so that no later Word run fails on it."""
        for level in self.filtered("docx_template"):
            relance_docx.check_template(self.env, base64.b64decode(level.docx_template))

    @api.depends("level")
    def _compute_show_penalties(self):
        """By default the firm reminder and the formal notice claim them."""
        for level in self:
            level.show_penalties = level.level >= 2

    def _compute_render_model(self):
        self.render_model = "res.partner"

    # ------------------------------------------------------------------
    # Levels of a company
    # ------------------------------------------------------------------
    @api.model
    def _get_for(self, level, company):
        """The texts of ``level`` for ``company``."""
        found = self.search([("level", "=", level), ("company_id", "=", company.id)], limit=1)
        if not found:
            raise ValidationError(
                self.env._(
                    "No reminder text is configured for level %(level)s in %(company)s.",
                    level=level,
                    company=company.name,
                )
            )
        return found

    @api.model
    def _create_company_levels(self, companies):
        """The three levels of each of ``companies`` that has none yet, copied
        from the shipped ones (each gets its own email template in create)."""
        levels = self.sudo().with_context(active_test=False)
        existing = {
            (record.company_id.id, record.level)
            for record in levels.search([("company_id", "in", companies.ids)])
        }
        for level in (1, 2, 3):
            source = self.env.ref(f"optim_relance.relance_level_{level}", raise_if_not_found=False)
            if not source:
                continue
            for company in companies:
                if (company.id, level) in existing:
                    continue
                # Elevated rights: installing the addon or creating a company
                # sets up that company's levels, whoever does it.
                source.sudo().copy({"company_id": company.id, "docx_template": False})


def _strip_variables(html):
    """``html`` without its ``t-out`` of the documented variables (plain
    escaped values), so that only the rest is checked for code."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for node in root.xpath("//*[@t-out]"):
        plain = set(node.attrib) == {"t-out"} and not len(node)
        if plain and node.get("t-out").strip() in TEXT_VARIABLES:
            node.drop_tree()
    return lxml.html.tostring(root, encoding="unicode")
