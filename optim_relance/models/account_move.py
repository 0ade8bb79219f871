import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from .account_move_line import REMINDER_LEVELS, level_field


class AccountMove(models.Model):
    _inherit = "account.move"

    reminder_payer_id = fields.Many2one(
        "res.partner",
        string="Payer",
        compute="_compute_reminder_payer_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        index="btree_not_null",
        check_company=True,
        help="Who is reminded for this invoice: the customer, or a third-party "
        "payer (tiers payeur) when someone else pays it.",
    )
    reminder_date_1 = fields.Date(string="Level 1 reminder", compute="_compute_reminder_summary")
    reminder_date_2 = fields.Date(string="Level 2 reminder", compute="_compute_reminder_summary")
    reminder_date_3 = fields.Date(string="Level 3 reminder", compute="_compute_reminder_summary")
    reminder_level = fields.Integer(string="Reminder level", compute="_compute_reminder_summary")
    reminder_history_ids = fields.One2many("relance.history", "move_id", string="Reminder history")
    reminder_history_count = fields.Integer(compute="_compute_reminder_history_count")
    reminder_installment_ids = fields.Many2many(
        "account.move.line",
        string="Installments",
        compute="_compute_reminder_installment_ids",
    )
    reminder_hold_text = fields.Char(
        string="Reminders on hold",
        compute="_compute_reminder_hold_text",
        help="Disputes and payment promises of the invoice's installments.",
    )

    reminder_indemnity_amount = fields.Monetary(
        string="Recovery indemnity",
        compute="_compute_reminder_indemnity_amount",
        currency_field="currency_id",
        help="The fixed indemnity of 40 € for recovery costs (D441-5 of the French Commercial "
        "Code) this invoice owes as of today: once per late invoice, from professional payers, "
        "when the company claims it and it is not invoiced yet.",
    )
    reminder_indemnity_invoiced = fields.Boolean(
        string="Indemnity invoiced",
        copy=False,
        readonly=True,
        help="The 40 € indemnity of this invoice was invoiced to the payer: never twice.",
    )

    @api.depends("partner_id", "move_type")
    def _compute_reminder_payer_id(self):
        for move in self:
            if not move.is_sale_document(include_receipts=False):
                move.reminder_payer_id = False
                continue
            customer = move.partner_id.commercial_partner_id
            move.reminder_payer_id = customer.reminder_default_payer_id or customer

    @api.depends(
        "line_ids.reminder_date_1",
        "line_ids.reminder_date_2",
        "line_ids.reminder_date_3",
        "line_ids.display_type",
    )
    def _compute_reminder_summary(self):
        """Latest date of each level over the invoice's installments; the level
        reached is the highest one of any installment."""
        for move in self:
            installments = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
            for level in REMINDER_LEVELS:
                dates = [d for d in installments.mapped(level_field(level)) if d]
                move[level_field(level)] = max(dates) if dates else False
            move.reminder_level = max(installments.mapped("reminder_level") or [0])

    @api.depends("line_ids.display_type")
    def _compute_reminder_installment_ids(self):
        for move in self:
            move.reminder_installment_ids = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )

    @api.depends(
        "line_ids.reminder_block_reason",
        "line_ids.reminder_block_until",
        "line_ids.reminder_block_note",
        "line_ids.reminder_promise_date",
        "line_ids.amount_residual",
        "reminder_payer_id.reminder_excluded",
        "state",
    )
    @api.depends_context("tz")
    def _compute_reminder_hold_text(self):
        """What the credit controller must know before chasing this invoice:
        an excluded payer, then its installments' holds (with their end and
        note) and broken promises, on the installments still due."""
        for move in self:
            texts = []
            due = move.reminder_installment_ids.filtered("reminder_is_open")
            if move.state != "posted" or not due:
                move.reminder_hold_text = False
                continue
            if move.reminder_payer_id.reminder_excluded:
                texts.append(self.env._("Payer excluded from reminders"))
            for line in due:
                texts.append(line._relance_block_text())
                if line.reminder_promise_broken:
                    texts.append(
                        self.env._(
                            "Payment promise of %(date)s not kept",
                            date=format_date(self.env, line.reminder_promise_date),
                        )
                    )
            texts = [text for text in texts if text]
            move.reminder_hold_text = " · ".join(dict.fromkeys(texts)) or False

    @api.depends_context("tz")
    def _compute_reminder_indemnity_amount(self):
        today = fields.Date.context_today(self)
        late = self.reminder_installment_ids.filtered(
            lambda line: line.reminder_is_open and line.date_maturity and line.date_maturity < today
        )
        amounts = late._reminder_indemnity_amounts(today)
        for move in self:
            move.reminder_indemnity_amount = amounts.get(move.id, 0.0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_reminded(self):
        """A reminded invoice is evidence of its reminders (history, letters):
        it is cancelled or credited, not deleted."""
        reminded = self.env["relance.history"].sudo().search([("move_id", "in", self.ids)])
        if reminded:
            raise UserError(
                self.env._(
                    "%(invoices)s cannot be deleted: reminders were recorded on it. Cancel it "
                    "or issue a credit note instead.",
                    invoices=", ".join(reminded.move_id.mapped("display_name")),
                )
            )

    def _relance_ensure_portal_tokens(self):
        """The customer portal's access token of these invoices, created in
        one query for those without one (Odoo's ``_portal_ensure_token``
        writes each invoice, and an invoice's write checks its lines: 50 ms
        each, 100 s for a batch of 2,000). The same token as Odoo's, a
        random UUID; like Odoo, whatever the user's rights on the invoice."""
        missing = self.filtered(lambda move: not move.access_token)
        if not missing:
            return
        self.env.execute_query(
            SQL(
                "UPDATE account_move AS move SET access_token = token.value "
                "FROM (VALUES %s) AS token(id, value) WHERE move.id = token.id",
                SQL(", ").join(SQL("(%s, %s)", move.id, str(uuid.uuid4())) for move in missing),
            )
        )
        missing.invalidate_recordset(["access_token"])

    def _compute_reminder_history_count(self):
        counts = dict(
            self.env["relance.history"]._read_group(
                [("move_id", "in", self.ids)], ["move_id"], ["__count"]
            )
        )
        for move in self:
            move.reminder_history_count = counts.get(move._origin, 0)

    def action_view_reminder_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optim_relance.action_relance_history"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"default_move_id": self.id, "create": False}
        return action
