"""A manager's own Word letter (docxtpl fields) replaces the built-in one."""

import base64

from freezegun import freeze_time

from odoo.tests import tagged

from .common import FROZEN_NOW, RelanceCase, docx_bytes, docx_text


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestRelanceDocxTemplate(RelanceCase):
    @staticmethod
    def _template(*paragraphs):
        return base64.b64encode(docx_bytes(*paragraphs))

    def test_level_docx_template_is_used(self):
        invoice = self.create_late_invoice(self.payer_a, 45, amount=1234.5)
        line = self.installments(invoice)
        level = self.env["relance.level"]._get_for(1, self.company)
        level.docx_template = self._template(
            "Madame, Monsieur {{ payer_name }},",
            "Facture {{ invoice_number }} du {{ invoice_date }} : reste {{ total_residual }}.",
            "{% for row in lines %}{{ row.invoice }} / {{ row.date_maturity }} / "
            "{{ row.days_late }} j / {{ row.residual }}{% endfor %}",
            "{% for text in intro %}{{ text }}{% endfor %}",
        )

        action = self.make_wizard(line, level=1, output="word").action_confirm()

        text = docx_text(self.attachment_of_action(action).raw)
        expected_amount = self.fmt(1234.5)
        self.assertIn("Madame, Monsieur Alpha Construction,", text)
        self.assertIn(
            f"Facture {invoice.name} du {self.fmt_date(invoice.invoice_date)} : "
            f"reste {expected_amount}.",
            text,
        )
        self.assertIn(
            f"{invoice.name} / {self.fmt_date(line.date_maturity)} / 45 j / {expected_amount}",
            text,
        )
        self.assertIn("Dear Sir or Madam,", text)
        # The built-in letter's own wording is gone: the template replaced it.
        self.assertNotIn("Payment reminder", text)
        self.assertEqual(self.reminder_dates(line)[0], self.today)
        self.assertEqual(self.history_of(line).channel, "word")


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestRelanceWizardRpcScope(RelanceCase):
    def test_given_installments_are_the_scope(self):
        """An integration creating the wizard with its installments, without
        the list's context, reminds those only, never the whole list."""
        mine = self.installments(self.create_late_invoice(self.payer_a, 40))
        other = self.installments(self.create_late_invoice(self.payer_b, 40))
        wizard = self.env["relance.wizard"].create(
            {"level": 1, "output": "word", "selected_line_ids": [(6, 0, mine.ids)]}
        )
        self.assertEqual(wizard.scope, "selected")
        wizard.action_confirm()
        self.assertEqual(self.reminder_dates(mine)[0], self.today)
        self.assertEqual(self.reminder_dates(other), (False, False, False, 0))
