"""French late-payment penalties and the 40 € indemnity, on worked examples
computed by hand from the official rates shipped (ECB: 4.50 % in force on
1 January 2024, 4.25 % on 1 July 2024; legal rate 2024: 5.07 / 8.01 % in the
first half-year, 4.92 / 8.16 % in the second)."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from ..tools import late_penalties
from .common import RelanceCase, docx_table_rows, docx_text, pdf_text, squash

AS_OF = date(2024, 8, 15)
# Due on 31 May 2024, reminded on 15 August 2024: 30 days late in the first
# half-year (1–30 June), 46 in the second (1 July–15 August).
DUE = date(2024, 5, 31)


def interest(base, rate, days):
    return base * rate / 100 * days / 365


class TestPenaltiesCommon(RelanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.company.write({"reminder_penalty_mode": "ecb_plus", "reminder_penalty_points": 10.0})

    def installment(self, amount=1000.0, due=DUE, payer=None, terms=None, amounts=None):
        invoice = self.create_invoice(
            payer or self.payer_a,
            amounts=amounts or (amount,),
            invoice_date=due,
            payment_term=terms,
            currency=self.eur,
        )
        return self.installments(invoice)

    def penalty(self, lines, as_of=AS_OF):
        amounts = lines._reminder_penalty_amounts(as_of)
        return [amounts[line.id] for line in lines]


@freeze_time("2024-08-15 10:00:00")
@tagged("post_install", "-at_install")
class TestPenalties(TestPenaltiesCommon):
    """The computation, as of 15 August 2024 (today, frozen)."""

    today = AS_OF

    def test_segments(self):
        """Days from the day after the due date up to the reminder date
        included, cut at 1 July and the day after each payment."""
        self.assertEqual(
            late_penalties.segments(DUE, AS_OF, 1000.0, [(date(2024, 7, 10), 400.0)]),
            [
                (date(2024, 1, 1), date(2024, 6, 1), date(2024, 6, 30), 1000.0),
                (date(2024, 7, 1), date(2024, 7, 1), date(2024, 7, 10), 1000.0),
                (date(2024, 7, 1), date(2024, 7, 11), date(2024, 8, 15), 600.0),
            ],
        )
        # Not late, or paid in full before it was due: nothing.
        self.assertEqual(late_penalties.segments(DUE, DUE, 1000.0), [])
        self.assertEqual(late_penalties.segments(DUE, AS_OF, 1000.0, [(DUE, 1000.0)]), [])
        # Over a new year: three half-years.
        runs = late_penalties.segments(date(2024, 12, 30), date(2025, 7, 2), 10.0)
        self.assertEqual(
            [(first, last) for _h, first, last, _b in runs],
            [
                (date(2024, 12, 31), date(2024, 12, 31)),
                (date(2025, 1, 1), date(2025, 6, 30)),
                (date(2025, 7, 1), date(2025, 7, 2)),
            ],
        )

    def test_ecb_plus_ten_over_two_half_years(self):
        line = self.installment()
        # 14.50 % for 30 days, 14.25 % for 46 days.
        expected = round(interest(1000, 14.50, 30) + interest(1000, 14.25, 46), 2)
        self.assertEqual(expected, 29.88)
        self.assertEqual(self.penalty(line), [29.88])
        # The field: as of today.
        self.assertEqual(line.reminder_penalty_amount, 29.88)
        # A day earlier: one day less at 14.25 %.
        self.assertEqual(
            self.penalty(line, date(2024, 8, 14)),
            [round(interest(1000, 14.50, 30) + interest(1000, 14.25, 45), 2)],
        )

    def test_partial_payment_in_the_middle(self):
        """400 paid on 10 July: 1,000 owed up to 10 July, 600 from 11 July."""
        line = self.installment()
        self.pay(line, amount=400.0, payment_date=date(2024, 7, 10))
        expected = round(
            interest(1000, 14.50, 30) + interest(1000, 14.25, 10) + interest(600, 14.25, 36), 2
        )
        self.assertEqual(expected, 24.25)
        self.assertEqual(self.penalty(line), [24.25])

    def test_multi_installment_invoice_single_indemnity(self):
        """Two installments (1 and 31 May): penalties on each, one 40 €
        indemnity for the invoice, still one after a partial payment."""
        lines = self.installment(
            due=date(2024, 5, 1), terms=self.pay_terms_split, amounts=(2000.0,)
        )
        self.assertEqual(lines.mapped("date_maturity"), [date(2024, 5, 1), date(2024, 5, 31)])
        first = round(interest(1000, 14.50, 60) + interest(1000, 14.25, 46), 2)
        second = round(interest(1000, 14.50, 30) + interest(1000, 14.25, 46), 2)
        self.assertEqual((first, second), (41.79, 29.88))
        self.assertEqual(self.penalty(lines), [41.79, 29.88])
        invoice = lines.move_id
        self.assertEqual(lines._reminder_indemnity_amounts(AS_OF), {invoice.id: 40.0})
        self.assertEqual(invoice.reminder_indemnity_amount, 40.0)
        self.pay(lines[0], amount=300.0, payment_date=date(2024, 6, 15))
        self.assertEqual(lines._reminder_indemnity_amounts(AS_OF), {invoice.id: 40.0})
        # Not late yet on its due date: no indemnity.
        self.assertEqual(lines._reminder_indemnity_amounts(date(2024, 5, 1)), {})

    def test_consumer_legal_rate_for_individuals(self):
        self.payer_a.reminder_is_consumer = True
        line = self.installment()
        expected = round(interest(1000, 8.01, 30) + interest(1000, 8.16, 46), 2)
        self.assertEqual(expected, 16.87)
        self.assertEqual(self.penalty(line), [16.87])
        self.assertEqual(line._reminder_indemnity_amounts(AS_OF), {})
        self.assertEqual(line.move_id.reminder_indemnity_amount, 0.0)

    def test_public_body_ecb_plus_eight(self):
        self.payer_a.reminder_penalty_points = 8.0
        line = self.installment()
        expected = round(interest(1000, 12.50, 30) + interest(1000, 12.25, 46), 2)
        self.assertEqual(expected, 25.71)
        self.assertEqual(self.penalty(line), [25.71])

    def test_three_times_legal_rate_and_fixed_rate(self):
        line = self.installment()
        self.company.reminder_penalty_mode = "legal_x3"
        expected = round(interest(1000, 15.21, 30) + interest(1000, 14.76, 46), 2)
        self.assertEqual(expected, 31.10)
        self.assertEqual(self.penalty(line), [31.10])
        self.company.write({"reminder_penalty_mode": "fixed", "reminder_penalty_rate": 12.0})
        self.assertEqual(self.penalty(line), [round(interest(1000, 12.0, 76), 2)])
        self.assertEqual(self.penalty(line), [24.99])
        with self.assertRaises(ValidationError):
            self.company.reminder_penalty_rate = 0.0

    def test_none_mode(self):
        line = self.installment()
        self.company.reminder_penalty_mode = "none"
        self.assertEqual(self.penalty(line), [0.0])
        self.assertEqual(line._reminder_indemnity_amounts(AS_OF), {line.move_id.id: 40.0})
        self.company.reminder_claim_indemnity = False
        self.assertEqual(line._reminder_indemnity_amounts(AS_OF), {})

    def test_missing_half_year(self):
        line = self.installment()
        self.env.ref("optim_relance.relance_rate_2024_07").unlink()
        with self.assertRaises(UserError) as catcher:
            line._reminder_penalty_amounts(AS_OF)
        self.assertEqual(
            str(catcher.exception),
            "ECB rate of the second half of 2024 missing: enter it in Reminders › Rates.",
        )
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["optim_relance"], ["fr_FR"])
        with self.assertRaises(UserError) as catcher:
            line.with_context(lang="fr_FR")._reminder_penalty_amounts(AS_OF)
        self.assertEqual(
            str(catcher.exception),
            "Taux BCE du 2nd semestre 2024 manquant : renseignez-le dans Relances › Taux.",
        )
        # Up to 30 June, the first half-year's rate is enough.
        self.assertEqual(
            self.penalty(line, date(2024, 6, 30)), [round(interest(1000, 14.50, 30), 2)]
        )
        # The confirmation refuses, nothing written.
        line._relance_record(1, date(2024, 7, 1), "manual")
        before = self.counts()
        wizard = self.make_wizard(line, level=2)
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.counts(), before)
        # The same with the fixed rate: no table needed.
        self.company.write({"reminder_penalty_mode": "fixed", "reminder_penalty_rate": 12.0})
        self.assertEqual(self.penalty(line), [24.99])

    def test_rates_are_half_years(self):
        Rate = self.env["relance.rate"]
        with self.assertRaises(ValidationError):
            Rate.create(
                {
                    "date_from": date(2030, 3, 1),
                    "ecb_rate": 1.0,
                    "legal_rate_pro": 1.0,
                    "legal_rate_individual": 1.0,
                }
            )
        rate = self.env.ref("optim_relance.relance_rate_2024_07")
        self.assertEqual(rate.display_name, "second half of 2024")
        self.assertEqual(
            (rate.ecb_rate, rate.legal_rate_pro, rate.legal_rate_individual), (4.25, 4.92, 8.16)
        )


@tagged("post_install", "-at_install")
class TestPenaltyLetters(TestPenaltiesCommon, HttpCase):
    """Letters dated 15 August 2024 (the wizard's date), rendered for real
    (wkhtmltopdf reads the style sheets from the test server): not under
    frozen time, which that server does not share."""

    # ------------------------------------------------------------------
    # The letters
    # ------------------------------------------------------------------
    def level_two_lines(self):
        """1,000 due 31 May and 500 due 30 June, two invoices of one payer,
        reminded at level 1 on 1 July."""
        lines = self.installment() | self.installment(500.0, due=date(2024, 6, 30))
        lines._relance_record(1, date(2024, 7, 1), "manual")
        return lines

    def expected_claim(self):
        first = round(interest(1000, 14.50, 30) + interest(1000, 14.25, 46), 2)
        second = round(interest(500, 14.25, 46), 2)
        self.assertEqual((first, second), (29.88, 8.98))
        return {"penalties": (29.88, 8.98), "penalty": 38.86, "indemnity": 80.0, "claimed": 1618.86}

    def test_level_two_pdf_letter(self):
        lines = self.level_two_lines()
        claim = self.expected_claim()
        self.make_wizard(lines, level=2, date=AS_OF).action_confirm()
        letter = self.history_of(lines).letter_id.filtered(lambda record: record.level == 2)
        self.assertRecordValues(
            letter,
            [
                {
                    "show_penalties": True,
                    "amount_residual": 1500.0,
                    "penalty_amount": claim["penalty"],
                    "indemnity_amount": claim["indemnity"],
                    "indemnity_count": 2,
                    "claimed_amount": claim["claimed"],
                    "penalty_rate": 14.25,
                }
            ],
        )
        flat = squash(pdf_text(letter.attachment_ids.raw))
        fmt = lambda amount: squash(self.fmt(amount, self.eur))  # noqa: E731
        for line, penalty in zip(lines, claim["penalties"], strict=True):
            self.assertIn(
                f"{fmt(line.amount_currency)} {fmt(line.amount_residual_currency)} {fmt(penalty)}",
                flat,
            )
        self.assertIn(f"Total {fmt(1500)} {fmt(1500)} {fmt(claim['penalty'])}", flat)
        self.assertIn(f"Late-payment penalties as of 08/15/2024 {fmt(claim['penalty'])}", flat)
        self.assertIn("14.25 % a year (ECB rate of 4.25 % plus 10 points)", flat)
        self.assertIn(f"Fixed indemnity for recovery costs (40 € × 2 invoices) {fmt(80)}", flat)
        self.assertIn(f"Total claimed {fmt(claim['claimed'])}", flat)
        self.assertIn(
            "at the rate applied by the European Central Bank to its most recent refinancing "
            "operation plus 10 points, and a fixed indemnity of 40 € per invoice",
            flat,
        )
        self.assertNotIn("three times the legal interest rate", flat)

    def test_level_one_shows_no_penalties(self):
        line = self.installment()
        self.make_wizard(line, level=1, date=AS_OF).action_confirm()
        letter = self.history_of(line).letter_id
        self.assertRecordValues(
            letter,
            [{"show_penalties": False, "penalty_amount": 0.0, "claimed_amount": 1000.0}],
        )
        flat = squash(pdf_text(letter.attachment_ids.raw))
        self.assertNotIn("Penalties", flat)
        self.assertNotIn("Total claimed", flat)

    def test_level_two_word_letter(self):
        lines = self.level_two_lines()
        claim = self.expected_claim()
        self.make_wizard(lines, level=2, output="word", date=AS_OF).action_confirm()
        letter = self.history_of(lines).letter_id.filtered(lambda record: record.level == 2)
        documents = letter.attachment_ids
        self.assertEqual(len(documents), 2)
        by_invoice = {doc.name: doc for doc in documents}
        fmt = lambda amount: self.fmt(amount, self.eur)  # noqa: E731
        for line, penalty in zip(lines, claim["penalties"], strict=True):
            raw = next(
                doc.raw
                for name, doc in by_invoice.items()
                if line.move_id.name.replace("/", "-") in name
            )
            rows = docx_table_rows(raw)
            self.assertEqual(rows[0][-1], "Penalties")
            self.assertEqual(rows[1][-1], fmt(penalty))
            claimed = round(line.amount_residual_currency + penalty + 40.0, 2)
            self.assertIn(["Total claimed", fmt(claimed)], rows)
            self.assertIn(
                ["Fixed indemnity for recovery costs (40 € × 1 invoice)", fmt(40.0)], rows
            )
            text = docx_text(raw)
            self.assertIn(f"Please quote the payment reference: {line.move_id.name}", text)

    def test_level_two_email(self):
        lines = self.level_two_lines()
        claim = self.expected_claim()
        self.make_wizard(lines, level=2, output="email", date=AS_OF).action_confirm()
        letter = self.history_of(lines).letter_id.filtered(lambda record: record.level == 2)
        mail = letter.mail_id
        self.assertEqual(
            mail.subject,
            f"Reminder no. 2 – {self.fmt(1500, self.eur)} outstanding – {self.company.name}",
        )
        body = mail.body_html
        self.assertNotIn("Powered by", body)
        self.assertNotIn("/mail/unfollow", body)
        self.assertNotIn("(s)", body)
        text = squash(letter.mail_id.body_html and self.html_text(body))
        self.assertIn(
            f"Despite our reminder of 07/01/2024, 2 invoices remain unpaid, for a total of "
            f"{squash(self.fmt(1500, self.eur))}",
            text,
        )
        claimed = squash(self.fmt(claim["claimed"], self.eur))
        self.assertIn(f"We ask you to pay the total claimed of *{claimed}*", text)
        for invoice in lines.move_id:
            invoice.invalidate_recordset(["access_token"])
            self.assertTrue(invoice.access_token)
            url = f"/my/invoices/{invoice.id}?access_token={invoice.access_token}"
            self.assertIn(f'href="{invoice.get_base_url()}{url}"', body)
            # An anonymous visitor with the token sees the invoice; without
            # it, the login page and nothing of the invoice.
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertIn(invoice.name, response.text)
            response = self.url_open(f"/my/invoices/{invoice.id}")
            self.assertNotIn(invoice.name, response.text)
            self.assertIn("/web/login", response.url)
            response = self.url_open(f"/my/invoices/{invoice.id}?access_token=wrong")
            self.assertNotIn(invoice.name, response.text)

    def html_text(self, html):
        from odoo.tools import html2plaintext

        return html2plaintext(html)

    def test_plurals_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["optim_relance"], ["fr_FR"])
        self.payer_a.lang = "fr_FR"
        # The level's own template was copied at install, before French was:
        # it gets the shipped French subject, as an install in French has.
        shipped = self.env.ref("optim_relance.mail_template_relance_level_2")
        template = self.env["relance.level"]._get_for(2, self.company).mail_template_id
        template.with_context(lang="fr_FR").write(
            {fname: shipped.with_context(lang="fr_FR")[fname] for fname in ("subject", "body_html")}
        )
        line = self.installment()
        line._relance_record(1, date(2024, 7, 1), "manual")
        self.make_wizard(line, level=2, output="email", date=AS_OF).action_confirm()
        letter = self.history_of(line).letter_id.filtered(lambda record: record.level == 2)
        self.assertEqual(letter.unpaid_text, "1 facture reste impayée")
        self.assertEqual(
            letter.indemnity_label,
            "Indemnité forfaitaire pour frais de recouvrement (40 € × 1 facture)",
        )
        self.assertEqual(
            letter.mail_id.subject,
            f"Relance n°2 – {self.fmt_fr(1000)} restant dus – {self.company.name}",
        )

    def fmt_fr(self, amount):
        from odoo.tools import format_amount

        return format_amount(self.env, amount, self.eur, lang_code="fr_FR")

    def test_invoice_penalties(self):
        """Level 2 invoices the penalties and both indemnities; level 3
        invoices only the penalties since, and no indemnity again."""
        tax = self.env["account.tax"].create({"name": "TVA test 20 %", "amount": 20.0})
        penalty_product, indemnity_product = self.env["product.product"].create(
            [
                {"name": "Pénalités de retard", "taxes_id": [Command.set(tax.ids)]},
                {"name": "Indemnité forfaitaire", "taxes_id": [Command.set(tax.ids)]},
            ]
        )
        self.company.write(
            {
                "reminder_penalty_product_id": penalty_product.id,
                "reminder_indemnity_product_id": indemnity_product.id,
            }
        )
        lines = self.level_two_lines()
        first, second = lines
        self.make_wizard(lines, level=2, date=AS_OF, invoice_penalties=True).action_confirm()
        letter = self.history_of(lines).letter_id.filtered(lambda record: record.level == 2)
        move = letter.penalty_move_id
        self.assertRecordValues(
            move,
            [
                {
                    "state": "draft",
                    "move_type": "out_invoice",
                    "partner_id": self.payer_a.id,
                    "currency_id": self.eur.id,
                    "amount_untaxed": 118.86,
                    "amount_tax": 0.0,
                    "amount_total": 118.86,
                }
            ],
        )
        self.assertEqual(
            [(line.product_id, line.price_unit, line.tax_ids) for line in move.invoice_line_ids],
            [
                (penalty_product, 29.88, tax.browse()),
                (indemnity_product, 40.0, tax.browse()),
                (penalty_product, 8.98, tax.browse()),
                (indemnity_product, 40.0, tax.browse()),
            ],
        )
        self.assertEqual(
            move.invoice_line_ids[0].name,
            f"Late-payment penalties on {first.move_id.name}, 06/01/2024 to 08/15/2024",
        )
        history = self.history_of(lines).filtered(lambda record: record.level == 2)
        self.assertEqual(history.penalty_move_id, move)
        self.assertEqual(set(lines.mapped("reminder_penalty_invoiced_until")), {AS_OF})
        self.assertTrue(all(lines.move_id.mapped("reminder_indemnity_invoiced")))

        # A fortnight later: 17 days (16 August – 1 September) at 14.25 %.
        later = date(2024, 9, 1)
        expected = [round(interest(1000, 14.25, 17), 2), round(interest(500, 14.25, 17), 2)]
        self.assertEqual(expected, [6.64, 3.32])
        self.assertEqual(self.penalty(lines, later), expected)
        self.assertEqual(lines._reminder_indemnity_amounts(later), {})
        self.make_wizard(lines, level=3, date=later, invoice_penalties=True).action_confirm()
        letter_3 = self.history_of(lines).letter_id.filtered(lambda record: record.level == 3)
        self.assertRecordValues(
            letter_3, [{"penalty_amount": 9.96, "indemnity_amount": 0.0, "indemnity_count": 0}]
        )
        self.assertEqual(letter_3.penalty_move_id.invoice_line_ids.mapped("price_unit"), expected)
        self.assertEqual(
            letter_3.penalty_move_id.invoice_line_ids[1].name,
            f"Late-payment penalties on {second.move_id.name}, 08/16/2024 to 09/01/2024",
        )

    def test_no_penalty_invoice_unless_asked(self):
        lines = self.level_two_lines()
        moves_before = self.env["account.move"].search_count([])
        self.make_wizard(lines, level=2, date=AS_OF).action_confirm()
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertFalse(any(lines.mapped("reminder_penalty_invoiced_until")))

    def test_preview_shows_the_claim(self):
        lines = self.level_two_lines()
        claim = self.expected_claim()
        wizard = self.make_wizard(lines, level=2, date=AS_OF)
        text = squash(self.html_text(wizard.preview_html))
        for penalty in claim["penalties"]:
            self.assertIn(squash(self.fmt(penalty, self.eur)), text)
        self.assertIn(
            f"Penalties {squash(self.fmt(claim['penalty'], self.eur))} · indemnity "
            f"{squash(self.fmt(claim['indemnity'], self.eur))} · *total claimed "
            f"{squash(self.fmt(claim['claimed'], self.eur))}*",
            text,
        )
        # Level 1 shows none.
        text = squash(self.html_text(self.make_wizard(lines, level=1, date=AS_OF).preview_html))
        self.assertNotIn("total claimed", text)
        # A missing half-year: the preview says so already.
        self.env.ref("optim_relance.relance_rate_2024_07").unlink()
        with self.assertRaises(UserError) as catcher:
            self.make_wizard(lines, level=2, date=AS_OF).preview_html  # noqa: B018
        self.assertIn("second half of 2024", str(catcher.exception))
