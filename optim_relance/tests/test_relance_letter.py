"""Letters as records: what a payer got, reprinted and resent as it was,
behind the company's rule; mail templates of letters only."""

import io
import xmlrpc.client
import zipfile
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.base.controllers.rpc import RPC_FAULT_CODE_ACCESS_ERROR

from .common import RelanceCase
from .test_relance_wizard import fake_render_pdf


@tagged("post_install", "-at_install")
class TestRelanceLetter(RelanceCase, HttpCase):
    """Real today: the HTTP server does not share frozen time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["relance.wizard"])
        cls.company_2 = cls.setup_other_company(name="Optim Ouest")["company"]
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.clerk = cls.make_user("letter_clerk", "account.group_account_invoice")
        cls.clerk_2 = cls.make_user(
            "letter_clerk_2", "account.group_account_invoice", cls.company_2
        )

    def send(self, lines, output="email", user=None, level=1):
        user = user or self.clerk
        with patch.object(self.LetterClass, "_render_pdf", fake_render_pdf):
            action = self.make_wizard(
                lines, env=self.env(user=user), output=output, level=level
            ).action_confirm()
        letters = self.history_of(lines).letter_id
        return action, letters

    def xmlrpc(self, login, model, method, *args):
        common = xmlrpc.client.ServerProxy(f"{self.base_url()}/xmlrpc/2/common")
        uid = common.authenticate(self.env.cr.dbname, login, login, {})
        models = xmlrpc.client.ServerProxy(f"{self.base_url()}/xmlrpc/2/object", allow_none=False)
        return models.execute_kw(self.env.cr.dbname, uid, login, model, method, list(args))

    # ------------------------------------------------------------------
    def test_portal_tokens_in_one_query(self):
        """The emails' portal links: each invoice gets its own token, the
        ones it has are kept, in one query whatever the number of invoices."""

        def invoices(count):
            return self.env["account.move"].union(
                *(self.create_late_invoice(self.payer_b, 40 + i) for i in range(count))
            )

        kept = self.create_late_invoice(self.payer_b, 30)
        kept._portal_ensure_token()
        token = kept.access_token
        counts = []
        for moves in (invoices(2) | kept, invoices(6)):
            moves.invalidate_recordset(["access_token"])
            before = self.env.cr.sql_log_count
            moves._relance_ensure_portal_tokens()
            counts.append(self.env.cr.sql_log_count - before)
            tokens = moves.mapped("access_token")
            self.assertTrue(all(tokens))
            self.assertEqual(len(set(tokens)), len(moves))
        self.assertEqual(kept.access_token, token)
        self.assertEqual(counts[0], counts[1])
        _action, letter = self.send(self.installments(invoices(1)))
        invoice = letter.line_ids.move_id
        self.assertIn(f"access_token={invoice.access_token}", str(letter.email_lines_html))

    def test_reprint_returns_the_same_bytes(self):
        lines = self.installments(self.create_late_invoice(self.payer_a, 40))
        _action, letter = self.send(lines, output="pdf")
        self.assertEqual(len(letter), 1)
        stored = letter.attachment_ids
        self.assertEqual(len(stored), 1)
        before = self.counts()
        action = letter.with_user(self.clerk).action_print()
        self.assertEqual(self.attachment_of_action(action), stored)
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 404)  # not logged in
        self.authenticate("letter_clerk", "letter_clerk")
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, stored.raw)
        # No level, no history, no document recorded by a reprint.
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(lines), (self.today, False, False, 1))

    def test_reprint_of_word_letters_is_a_zip_of_the_same_files(self):
        inv_1 = self.create_late_invoice(self.payer_a, 40)
        inv_2 = self.create_late_invoice(self.payer_a, 35)
        _action, letter = self.send(self.installments(inv_1 | inv_2), output="word")
        self.assertEqual(len(letter.attachment_ids), 2)
        action = letter.action_print()
        archive = zipfile.ZipFile(io.BytesIO(self.attachment_of_action(action).raw))
        self.assertEqual(
            {name: archive.read(name) for name in archive.namelist()},
            {document.name: document.raw for document in letter.attachment_ids},
        )
        # A Word letter is not emailed.
        before = self.counts()
        with self.assertRaises(UserError):
            letter.with_user(self.clerk).action_resend()
        self.assertEqual(self.counts(), before)

    def test_resend_emails_the_same_pdf_to_the_new_address(self):
        lines = self.installments(self.create_late_invoice(self.payer_a, 40, amount=700.0))
        _action, letter = self.send(lines)
        first = letter.mail_id
        self.assertEqual(first.email_to, "compta@alpha.test")
        pdf = letter.attachment_ids
        self.assertEqual(first.attachment_ids, pdf)
        self.payer_a.reminder_email = "nouvelle.compta@alpha.test"
        # The level's email changed since: the resend is the email as sent.
        self.env["relance.level"]._get_for(1, self.company).email_body = "<p>Nouveau texte</p>"
        # A file posted on the letter's chatter (uploaded as the web client
        # does) is not one of its documents.
        upload = (
            self.env["ir.attachment"]
            .with_user(self.clerk)
            .create({"name": "notes.txt", "raw": b"notes", "res_model": "mail.compose.message"})
        )
        letter.with_user(self.clerk).message_post(
            body="Relancé aussi par téléphone", attachment_ids=upload.ids
        )
        self.assertEqual((upload.res_model, upload.res_id), ("relance.letter", letter.id))
        letter.invalidate_recordset()
        self.assertEqual(letter.attachment_ids, pdf)
        before = self.counts()
        dates = self.reminder_dates(lines)
        action = letter.with_user(self.clerk).action_resend()
        self.assertEqual(action["params"]["type"], "success")
        after = self.counts()
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "relance.letter"), ("res_id", "=", letter.id)], order="id")
        )
        self.assertEqual(len(mails), 2)
        again = mails[1]
        self.assertEqual(again.email_to, "nouvelle.compta@alpha.test")
        self.assertEqual(again.attachment_ids, pdf)
        self.assertEqual(again.subject, first.subject)
        self.assertEqual(again.body_html, first.body_html)
        self.assertNotIn("Nouveau texte", again.body_html)
        # Logged on the letter (its chatter holds both emails), no new level,
        # history or document.
        self.assertIn(again.mail_message_id, letter.message_ids)
        self.assertEqual(after["mail_mail"] - before["mail_mail"], 1)
        self.assertEqual(after["ir_attachment"], before["ir_attachment"])
        self.assertEqual(after["relance_history"], before["relance_history"])
        self.assertEqual(after["relance_letter"], before["relance_letter"])
        self.assertEqual(after["dated_lines"], before["dated_lines"])
        self.assertEqual(self.reminder_dates(lines), dates)
        self.assertEqual(len(self.history_of(lines)), 1)
        # The letter keeps its first email and where it went.
        self.assertEqual(letter.mail_id, first)
        self.assertEqual(letter.email_to, "compta@alpha.test")
        # Without a reminder address: a French error, nothing queued.
        self.payer_a.reminder_email = False
        before = self.counts()
        with self.assertRaises(UserError):
            letter.with_user(self.clerk).action_resend()
        self.assertEqual(self.counts(), before)

    def test_auditor_reads_but_neither_posts_nor_resends(self):
        auditor = self.make_user("letter_auditor", "account.group_account_readonly")
        lines = self.installments(self.create_late_invoice(self.payer_a, 40))
        _action, letter = self.send(lines)
        self.assertEqual(letter.with_user(auditor).partner_id, self.payer_a)
        action = letter.with_user(auditor).action_print()
        self.assertEqual(self.attachment_of_action(action), letter.attachment_ids)
        before = self.counts()
        with self.assertRaises(AccessError):
            letter.with_user(auditor).message_post(
                body="Payez", partner_ids=self.payer_b.ids, message_type="comment"
            )
        with self.assertRaises(AccessError):
            letter.with_user(auditor).action_resend()
        self.assertEqual(self.counts(), before)

    def test_payer_of_another_company_is_refused(self):
        invoice = self.create_late_invoice(self.payer_a, 40)
        outsider = (
            self.env["res.partner"]
            .sudo()
            .create({"name": "Client Ouest", "company_id": self.company_2.id})
        )
        with self.assertRaises(UserError) as caught:  # with a savepoint, as a request
            invoice.reminder_payer_id = outsider
        self.assertIn("Incompatible companies", str(caught.exception))
        invoice.invalidate_recordset()
        self.assertEqual(invoice.reminder_payer_id, self.payer_a)

    def test_reminded_invoice_is_not_deleted(self):
        invoice = self.create_late_invoice(self.payer_a, 40)
        self.send(self.installments(invoice), output="pdf")
        invoice.button_draft()
        with self.assertRaises(UserError) as caught:
            invoice.unlink()
        self.assertIn("reminders were recorded on it", str(caught.exception))
        self.assertTrue(invoice.exists())

    def test_other_company_can_neither_read_nor_download(self):
        lines = self.installments(self.create_late_invoice(self.payer_a, 40))
        _action, letter = self.send(lines, output="pdf")
        document = letter.attachment_ids
        # Even when the other company's user works in a context naming both.
        other = self.env(user=self.clerk_2, context={"allowed_company_ids": self.company_2.ids})
        with self.assertRaises(AccessError):
            letter.with_env(other).read(["partner_id"])
        with self.assertRaises(AccessError):
            document.with_env(other).read(["raw"])
        self.assertFalse(other["relance.letter"].search([("id", "=", letter.id)]))
        self.assertFalse(other["ir.attachment"].search([("id", "=", document.id)]))
        self.authenticate("letter_clerk_2", "letter_clerk_2")
        response = self.url_open(f"/web/content/{document.id}?download=true")
        self.assertEqual(response.status_code, 404)
        self.assertNotEqual(response.content, document.raw)
        # Over XML-RPC too.
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc("letter_clerk_2", "relance.letter", "action_print", [letter.id])
        self.assertEqual(caught.exception.faultCode, RPC_FAULT_CODE_ACCESS_ERROR)

    def test_only_the_code_creates_letters(self):
        lines = self.installments(self.create_late_invoice(self.payer_a, 40))
        _action, letter = self.send(lines, output="pdf")
        self.assertEqual(
            self.xmlrpc("letter_clerk", "relance.letter", "search_count", [("id", "=", letter.id)]),
            1,
        )
        vals = {
            "partner_id": self.payer_a.id,
            "company_id": self.company.id,
            "currency_id": self.currency.id,
            "level": 3,
            "date": fields.Date.to_string(self.today),
            "output": "pdf",
        }
        before = self.counts()
        for method, args in (
            ("create", [vals]),
            ("write", [[letter.id], {"level": 3}]),
            ("unlink", [[letter.id]]),
        ):
            with self.subTest(method=method), self.assertRaises(xmlrpc.client.Fault) as caught:
                self.xmlrpc("letter_clerk", "relance.letter", method, *args)
            self.assertEqual(caught.exception.faultCode, RPC_FAULT_CODE_ACCESS_ERROR)
            self.assertIn("No group currently allows this operation", caught.exception.faultString)
        self.assertEqual(self.counts(), before)
        self.assertEqual(letter.level, 1)
        # What the screens offer marshals over XML-RPC (no None).
        action = self.xmlrpc("letter_clerk", "relance.letter", "action_print", [letter.id])
        self.assertEqual(action["type"], "ir.actions.act_url")

    def test_payer_tab_and_chatter_show_the_letter(self):
        lines = self.installments(self.create_late_invoice(self.payer_b, 45))
        _action, letter = self.send(lines)
        payer = self.payer_b.with_user(self.clerk)
        self.assertEqual(payer.reminder_letter_ids, letter)
        self.assertIn(letter.mail_message_id, letter.message_ids)
        self.assertTrue(
            payer.message_ids.filtered(lambda m: f'data-oe-id="{letter.id}"' in (m.body or ""))
        )
        self.assertEqual(
            letter.display_name, f"Payment reminder – {self.payer_b.name} – {self.d(0)}"
        )

    def test_templates_are_for_letters_not_contacts(self):
        templates = self.env["relance.level"].sudo().search([]).mail_template_id
        self.assertTrue(templates)
        self.assertEqual(set(templates.mapped("model")), {"relance.letter"})
        offered_on_contacts = self.env["mail.template"].search([("model", "=", "res.partner")])
        self.assertFalse(offered_on_contacts & templates)
        shipped = self.env.ref("optim_relance.mail_template_relance_level_1")
        self.assertEqual(shipped.model, "relance.letter")


@tagged("post_install", "-at_install")
class TestRelanceLetterTour(RelanceCase, HttpCase):
    """What a credit controller clicks: the letters menu, a letter, resend."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["relance.wizard"])
        cls.clerk = cls.make_user("letter_tour", "base.group_user,account.group_account_invoice")

    def test_resend_from_the_letter(self):
        lines = self.installments(self.create_late_invoice(self.payer_a, 40))
        with patch.object(self.LetterClass, "_render_pdf", fake_render_pdf):
            self.make_wizard(lines, env=self.env(user=self.clerk), output="email").action_confirm()
        letter = self.history_of(lines).letter_id
        self.payer_a.reminder_email = "tour.compta@alpha.test"
        self.start_tour("/odoo", "optim_relance_letter_tour", login=self.clerk.login)
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "relance.letter"), ("res_id", "=", letter.id)], order="id")
        )
        self.assertEqual(mails.mapped("email_to"), ["compta@alpha.test", "tour.compta@alpha.test"])
        self.assertEqual(mails[1].attachment_ids, letter.attachment_ids)
        self.assertEqual(len(self.history_of(lines)), 1)
