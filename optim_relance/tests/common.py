"""Shared fixtures of the Optim'Relance tests.

Every test class freezes "today" on ``TODAY`` (noon, so that no timezone can
move the date) and builds its invoices relative to it.
"""

from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = date(2024, 6, 15)
FROZEN_NOW = "2024-06-15 12:00:00"


def days_ago(days):
    return TODAY - timedelta(days=days)


class RelanceReadBack:
    """Reading reminders back from the database, for every test base class."""

    @staticmethod
    def reminder_dates(line):
        """The three level dates and the level of ``line``, re-read from the
        database."""
        line.invalidate_recordset()
        return (
            line.reminder_date_1,
            line.reminder_date_2,
            line.reminder_date_3,
            line.reminder_level,
        )

    def history_of(self, lines, corrections=False):
        """The reminders recorded on ``lines`` (with the managers' date
        corrections when ``corrections``)."""
        domain = [("move_line_id", "in", lines.ids)]
        if not corrections:
            domain.append(("channel", "!=", "correction"))
        return self.env["relance.history"].sudo().search(domain)


class RelanceCommon(RelanceReadBack, AccountTestInvoicingCommon):
    """Invoicing fixtures plus the users the tests act as."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.pay_terms_30 = cls.env["account.payment.term"].create(
            {
                "name": "Relance: 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Relance Customer"})
        # An invoicing clerk: invoices and reminders, no right to create or
        # edit contacts (no base.group_partner_manager).
        cls.invoice_user = new_test_user(
            cls.env,
            login="relance_invoicer",
            groups="account.group_account_invoice",
            name="Relance Invoicer",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        # An employee without any accounting right.
        cls.basic_user = new_test_user(
            cls.env,
            login="relance_employee",
            groups="base.group_user",
            name="Relance Employee",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    # ------------------------------------------------------------------
    # Invoices
    # ------------------------------------------------------------------
    @classmethod
    def create_invoice(
        cls,
        partner=None,
        amount=1000.0,
        invoice_date=None,
        payment_term=None,
        move_type="out_invoice",
        post=True,
        company=None,
        payer=None,
        amounts=None,
    ):
        """An invoice without taxes (its total is exactly ``amount``, or the
        sum of ``amounts``), due on ``invoice_date`` unless a payment term
        says otherwise."""
        company = company or cls.company
        invoice_date = invoice_date or TODAY
        values = {
            "move_type": move_type,
            "partner_id": (partner or cls.customer).id,
            "invoice_date": invoice_date,
            "date": invoice_date,
            "invoice_payment_term_id": (payment_term or cls.pay_terms_a).id,
            "invoice_line_ids": [
                Command.create(
                    {"name": "Relance test line", "quantity": 1, "price_unit": price, "tax_ids": []}
                )
                for price in (amounts or [amount])
            ],
        }
        if payer:
            values["reminder_payer_id"] = payer.id
        move = cls.env["account.move"].with_company(company).create(values)
        if post:
            move.action_post()
        return move

    @classmethod
    def create_late_invoice(cls, days_late, partner=None, amount=1000.0, **kwargs):
        """An invoice with a single installment due ``days_late`` days ago."""
        return cls.create_invoice(
            partner=partner, amount=amount, invoice_date=days_ago(days_late), **kwargs
        )

    @staticmethod
    def installments(moves):
        """The receivable installments of ``moves``, by due date then id."""
        return moves.line_ids.filtered(lambda line: line.display_type == "payment_term").sorted(
            lambda line: (line.date_maturity, line.id)
        )

    @classmethod
    def pay(cls, records, amount=None, payment_date=None):
        """Register a payment on invoices (account.move) or on installments
        (account.move.line): of ``amount`` if given (partial payment, the
        difference stays open), else of the whole residual."""
        residual = sum(records.mapped("amount_residual"))
        values = {
            "payment_date": payment_date or TODAY,
            "payment_method_line_id": cls.inbound_payment_method_line.id,
            "amount": residual if amount is None else amount,
            "group_payment": True,
        }
        if amount is not None:
            values["payment_difference_handling"] = "open"
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model=records._name, active_ids=records.ids)
            .create(values)
        )
        return wizard._create_payments()

    # ------------------------------------------------------------------
    # Reading back
    # ------------------------------------------------------------------
    def open_lines(self, extra_domain=None):
        Line = self.env["account.move.line"]
        return Line.search(Line._relance_open_domain() + (extra_domain or []))

    @staticmethod
    def as_date(value):
        return fields.Date.to_date(value)
