"""What an auditor or a hostile user tries: forged history, injected Word
letters, dates moved outside the recording path, reminders of installments
that are not late, levels of another company, broken Word templates, odd
values over RPC. Every refusal also checks that nothing changed."""

import base64
import io
from contextlib import contextmanager
from datetime import timedelta

import docx
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from ..tools import relance_docx
from .common import (
    FROZEN_NOW,
    RelanceCase,
    convert_docx_to_pdf,
    docx_bytes,
    docx_text,
    pdf_text,
    squash,
)

HOSTILE_NAMES = (
    "Dupont & Fils",
    "Société <Alpha> SARL",
    "Martin</w:t></w:r></w:p><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>INJECTED: pay to IBAN FR76 9999",
)


class HardeningCase(RelanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Optim Nord")["company"]
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        one, two = cls.company, cls.company_2
        cls.invoicer = cls.make_user("hard_invoicer", "account.group_account_invoice", one)
        cls.manager = cls.make_user("hard_manager", "account.group_account_manager", one)
        cls.manager_2 = cls.make_user("hard_manager_2", "account.group_account_manager", two)

    @contextmanager
    def assert_raises_msg(self, exception, text):
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertIn(text, str(catcher.exception))

    def level_of(self, level, company=None):
        return self.env["relance.level"].sudo()._get_for(level, company or self.company).sudo(False)


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestForgedHistory(HardeningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.create_late_invoice(cls.payer_a, 40, amount=500.0)
        cls.line = cls.installments(cls.invoice)
        cls.invoice_2 = cls.create_late_invoice(cls.payer_a, 40, company=cls.company_2)
        cls.line_2 = cls.installments(cls.invoice_2)

    def forged_vals(self, **values):
        return {
            "move_line_id": self.line.id,
            "move_id": self.invoice.id,
            "partner_id": self.payer_a.id,
            "level": 3,
            "date": self.ago(20),
            "channel": "pdf",
            "user_id": self.manager.id,
            **values,
        }

    def test_no_direct_create_for_anyone(self):
        before = self.counts()
        for user in (self.invoicer, self.manager):
            for vals in (self.forged_vals(), self.forged_vals(move_line_id=False)):
                with (
                    self.subTest(user=user.login, line=vals["move_line_id"]),
                    self.assert_raises_msg(AccessError, "reminder history is written only"),
                ):
                    self.env["relance.history"].with_user(user).create(vals)
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(self.line), (False, False, False, 0))

    def test_no_write_nor_unlink(self):
        history = self.line._relance_record(1, self.ago(5), "manual", note="Phoned")
        for user in (self.invoicer, self.manager):
            mine = history.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    mine.write({"level": 3, "user_id": self.manager.id})
                with self.assertRaises(AccessError):
                    mine.unlink()
        history.invalidate_recordset()
        self.assertEqual(
            (history.level, history.date, history.user_id, history.note),
            (1, self.ago(5), self.env.user, "Phoned"),
        )

    def test_user_is_always_who_acted(self):
        wizard = (
            self.env["relance.backfill.wizard"]
            .with_user(self.invoicer)
            .with_context(default_user_id=self.manager.id)
            .create({"line_ids": [Command.set(self.line.ids)], "level": 1, "date": self.ago(3)})
        )
        wizard.action_confirm()
        history = self.history_of(self.line)
        self.assertEqual((history.user_id, history.channel), (self.invoicer, "manual"))

    def test_attachment_of_another_company_or_reminder(self):
        history = self.line._relance_record(1, self.ago(5), "pdf")
        other = self.line_2._relance_record(1, self.ago(5), "pdf")
        other_letter = (
            self.env["relance.letter"]
            .sudo()
            .create(
                {
                    "partner_id": other.partner_id.id,
                    "company_id": other.company_id.id,
                    "currency_id": self.line_2.currency_id.id,
                    "level": 1,
                    "date": self.ago(5),
                    "output": "pdf",
                    "line_ids": [Command.set(self.line_2.ids)],
                }
            )
        )
        foreign = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": "Lettre société 2.pdf",
                    "raw": b"%PDF-1.4",
                    "res_model": "relance.letter",
                    "res_id": other_letter.id,
                    "company_id": self.company_2.id,
                }
            )
        )
        loose = self.env["ir.attachment"].create(
            {"name": "Not a letter.pdf", "raw": b"%PDF-1.4", "company_id": self.company.id}
        )
        for attachment in (foreign, loose):
            with (
                self.subTest(attachment=attachment.name),
                self.assert_raises_msg(ValidationError, "must be the letter of that reminder"),
            ):
                history.sudo().write({"attachment_id": attachment.id})
        # Nor the letter of another reminder.
        with self.assert_raises_msg(ValidationError, "must be the letter of that reminder"):
            history.sudo().write({"letter_id": other_letter.id})
        history.invalidate_recordset()
        self.assertFalse(history.attachment_id)
        self.assertFalse(history.letter_id)
        self.assertFalse(history.with_user(self.invoicer).attachment_name)


@tagged("post_install", "-at_install")
class TestForgedHistoryRpc(HardeningCase, HttpCase):
    """The same refusals over JSON-RPC, as the web client or an integration
    sends them (real today: the HTTP server does not share frozen time)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["relance.wizard"])
        cls.invoice = cls.create_late_invoice(cls.payer_a, 40, amount=500.0)
        cls.line = cls.installments(cls.invoice)
        cls.line._relance_record(1, cls.ago(10), "pdf")
        cls.invoicer.password = "hard_invoicer"

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def test_rpc_as_invoicing_user(self):
        self.authenticate("hard_invoicer", "hard_invoicer")
        before = self.counts()
        forged = {
            "move_line_id": self.line.id,
            "move_id": self.invoice.id,
            "partner_id": self.payer_a.id,
            "level": 3,
            "date": fields.Date.to_string(self.ago(5)),
            "user_id": self.manager.id,
        }
        with self.assertRaises(JsonRpcException) as caught:
            self.call("relance.history", "create", [forged])
        self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
        for vals in ({"reminder_date_1": False}, {"reminder_date_2": str(self.ago(2))}):
            with self.subTest(vals=vals), self.assertRaises(JsonRpcException) as caught:
                self.call("account.move.line", "web_save", [self.line.id], vals, specification={})
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.UserError")
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(self.line), (self.ago(10), False, False, 1))
        # What the screens allow still works over RPC, and returns no None.
        wizard_id = self.call(
            "relance.backfill.wizard",
            "create",
            {"line_ids": [[6, 0, self.line.ids]], "level": 2, "date": str(self.ago(2))},
        )
        result = self.call("relance.backfill.wizard", "action_confirm", [wizard_id])
        self.assertEqual(result, {"type": "ir.actions.act_window_close"})
        self.assertEqual(self.reminder_dates(self.line), (self.ago(10), self.ago(2), False, 2))
        level_2 = self.history_of(self.line).filtered(lambda history: history.level == 2)
        self.assertEqual(level_2.user_id, self.invoicer)


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestDatesOnlyThroughRecording(HardeningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.create_late_invoice(cls.payer_a, 40, amount=500.0)
        cls.line = cls.installments(cls.invoice)
        cls.line._relance_record(1, cls.ago(10), "pdf")

    def test_invoicing_user_cannot_clear_nor_set(self):
        before = self.counts()
        line = self.line.with_user(self.invoicer)
        for vals in (
            {"reminder_date_1": False},
            {"reminder_date_1": self.ago(8)},
            {"reminder_date_2": self.ago(5)},
        ):
            for method in ("write", "web_save"):
                with (
                    self.subTest(vals=vals, method=method),
                    self.assert_raises_msg(UserError, "cannot be changed directly"),
                ):
                    if method == "write":
                        line.write(vals)
                    else:
                        line.web_save(vals, {})
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(self.line), (self.ago(10), False, False, 1))
        # So the wizard does not send level 1 twice.
        wizard = self.make_wizard(self.line, level=1, env=self.env(user=self.invoicer))
        with self.assert_raises_msg(UserError, "Level 1 already recorded"):
            wizard.action_confirm()
        self.assertEqual(self.counts(), before)

    def test_no_dates_when_creating_lines(self):
        move = self.create_invoice(self.payer_b, post=False)
        with self.assert_raises_msg(UserError, "cannot be set when creating journal items"):
            self.env["account.move.line"].with_user(self.manager).create(
                {
                    "move_id": move.id,
                    "name": "Forged",
                    "account_id": self.company_data["default_account_revenue"].id,
                    "reminder_date_1": self.ago(1),
                }
            )

    def test_manager_correction_is_logged(self):
        line = self.line.with_user(self.manager)
        before = self.history_of(self.line, corrections=True)
        line.write({"reminder_date_1": self.ago(9)})
        line.write({"reminder_date_2": self.ago(4)})
        line.write({"reminder_date_2": self.ago(4)})  # no change, nothing logged
        line.write({"reminder_date_2": False})
        self.assertEqual(self.reminder_dates(self.line), (self.ago(9), False, False, 1))
        corrections = (self.history_of(self.line, corrections=True) - before).sorted("id")
        self.assertEqual(
            [(c.channel, c.level, c.old_date, c.new_date, c.user_id, c.date) for c in corrections],
            [
                ("correction", 1, self.ago(10), self.ago(9), self.manager, self.today),
                ("correction", 2, False, self.ago(4), self.manager, self.today),
                ("correction", 2, self.ago(4), False, self.manager, self.today),
            ],
        )
        self.assertEqual(
            corrections[0].note,
            f"Level 1 reminder date corrected: {self.d(10)} → {self.d(9)}",
        )
        self.assertEqual(
            corrections[2].note, f"Level 2 reminder date corrected: {self.d(4)} → none"
        )
        self.assertEqual(
            corrections[0].display_name, f"Level 1 date corrected – {self.invoice.name}"
        )

    def test_correction_note_in_the_managers_language(self):
        """The note is stored: in the corrector's language, even over RPC
        without a context."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.manager.lang = "fr_FR"
        self.line.with_user(self.manager).with_context(lang=None).write(
            {"reminder_date_1": self.ago(9)}
        )
        correction = self.history_of(self.line, corrections=True).filtered(
            lambda history: history.channel == "correction"
        )
        self.assertEqual(
            correction.note, "Date de relance de niveau 1 corrigée : 05/06/2024 → 06/06/2024"
        )

    def test_manager_correction_keeps_the_rules(self):
        before = self.counts()
        line = self.line.with_user(self.manager)
        cases = (
            ({"reminder_date_1": self.ago(45)}, "cannot be earlier than the invoice date"),
            ({"reminder_date_1": self.ago(40)}, "must be after its due date"),
            ({"reminder_date_1": False, "reminder_date_2": self.ago(5)}, "without a level 1"),
        )
        for vals, message in cases:
            with self.subTest(vals=vals), self.assert_raises_msg(ValidationError, message):
                line.write(vals)
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.reminder_dates(self.line), (self.ago(10), False, False, 1))


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestOnlyLateInstallments(HardeningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        net_30 = cls.env["account.payment.term"].create(
            {
                "name": "Hardening: 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})
                ],
            }
        )
        cls.late = cls.create_late_invoice(cls.payer_a, 20, amount=200.0)
        cls.due_today = cls.create_late_invoice(cls.payer_a, 0, amount=300.0)
        cls.next_month = cls.create_invoice(cls.payer_a, amounts=(400.0,), payment_term=net_30)
        cls.late_line = cls.installments(cls.late)
        cls.today_line = cls.installments(cls.due_today)
        cls.future_line = cls.installments(cls.next_month)

    def test_wizard_scope_all_skips_what_is_not_late(self):
        before = self.counts()
        wizard = self.make_wizard(domain=[("partner_id", "=", self.payer_a.id)], scope="all")
        letters, skipped = wizard._prepare_batch()
        self.assertEqual([letter[3] for letter in letters], [self.late_line])
        in_30 = self.fmt_date(self.today + timedelta(days=30))
        self.assertEqual(
            dict(skipped),
            {
                self.today_line: f"Not due yet (due on {self.fmt_date(self.today)})",
                self.future_line: f"Not due yet (due on {in_30})",
            },
        )
        # Dated before the invoices: the invoice date says it.
        wizard.date = self.ago(1)
        _letters, skipped = wizard._prepare_batch()
        self.assertEqual(
            dict(skipped)[self.today_line],
            f"Invoice dated {self.fmt_date(self.today)}, after the reminder date",
        )
        self.assertEqual(self.counts(), before)

    def test_selected_not_due_is_never_reminded(self):
        before = self.counts()
        for line in (self.today_line, self.future_line):
            wizard = self.make_wizard(line, env=self.env(user=self.invoicer))
            with self.subTest(line=line.move_id.name), self.assertRaises(UserError):
                wizard.action_confirm()
        self.assertEqual(self.counts(), before)
        with self.assert_raises_msg(UserError, "Not due yet (due on"):
            self.today_line._relance_record(1, self.today, "manual")
        with self.assert_raises_msg(UserError, "Not due yet"):
            self.env["relance.backfill.wizard"].create(
                {"line_ids": [Command.set(self.late_line.ids)], "level": 1, "date": self.ago(20)}
            ).action_confirm()
        self.assertEqual(self.counts(), before)

    def test_skip_reason_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        line = self.today_line.with_context(lang="fr_FR")
        reason = line._relance_skip_reason(1, self.today)
        self.assertEqual(reason, "Pas encore échue (échéance le 15/06/2024)")


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestWordEscaping(HardeningCase):
    """A contact's name never adds anything to a Word letter, built-in or
    from a manager's template."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payers = cls.env["res.partner"].create([{"name": name} for name in HOSTILE_NAMES])
        cls.invoices = cls.env["account.move"]
        for payer in cls.payers:
            cls.invoices |= cls.create_late_invoice(payer, 30, amount=100.0)
        cls.lines = cls.installments(cls.invoices)

    def word_letters(self):
        """{payer name: docx bytes} of one Word run on the hostile payers."""
        self.make_wizard(self.lines, output="word").action_confirm()
        return {
            history.partner_id.name: history.attachment_id.raw
            for history in self.history_of(self.lines)
        }

    def assert_not_injected(self, raw, name):
        """``name`` printed as text, and no paragraph or bold run of its own."""
        document = docx.Document(io.BytesIO(raw))
        runs = [run for paragraph in document.paragraphs for run in paragraph.runs]
        self.assertFalse([run.text for run in runs if run.text.startswith("INJECTED")])
        self.assertFalse([p.text for p in document.paragraphs if p.text.startswith("INJECTED")])
        self.assertIn(name, docx_text(raw))

    def test_builtin_letters(self):
        letters = self.word_letters()
        self.assertEqual(sorted(letters), sorted(HOSTILE_NAMES))
        for name, raw in letters.items():
            with self.subTest(name=name):
                self.assert_not_injected(raw, name)

    def test_docxtpl_template(self):
        level = self.level_of(1)
        level.docx_template = base64.b64encode(
            docx_bytes("À l'attention de {{ payer_name }}, facture {{ invoice_number }}.", "Fin")
        )
        letters = self.word_letters()
        self.assertEqual(sorted(letters), sorted(HOSTILE_NAMES))
        for name, raw in letters.items():
            with self.subTest(name=name):
                document = docx.Document(io.BytesIO(raw))
                invoice = self.invoices.filtered(lambda move, n=name: move.partner_id.name == n)
                self.assertEqual(
                    [p.text for p in document.paragraphs],
                    [f"À l'attention de {name}, facture {invoice.name}.", "Fin"],
                )
                self.assert_not_injected(raw, name)
        # LibreOffice opens the injected one and prints the name as text.
        raw = letters[HOSTILE_NAMES[2]]
        returncode, pdf, stderr = convert_docx_to_pdf(raw)
        self.assertEqual(returncode, 0, stderr)
        self.assertIn(
            HOSTILE_NAMES[2].replace(" ", ""), squash(pdf_text(pdf, layout=False)).replace(" ", "")
        )

    def test_control_characters_do_not_break_the_file(self):
        self.payers[0].name = "Dupont\x01\x0b & Fils"
        letters = self.word_letters()
        self.assertIn("Dupont & Fils", docx_text(letters["Dupont\x01\x0b & Fils"]))


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestLevelsPerCompany(HardeningCase):
    """Managers edit their company's levels, not another company's; code in a
    text stays with the template editors."""

    def test_every_company_has_its_own_levels(self):
        levels = self.env["relance.level"].sudo().search([("company_id", "=", self.company_2.id)])
        self.assertEqual(levels.mapped("level"), [1, 2, 3])
        mine = self.level_of(1)
        self.assertNotEqual(mine, levels[0])
        self.assertNotEqual(mine.mail_template_id, levels[0].mail_template_id)
        self.assertEqual(levels[0].deadline_days, mine.deadline_days)
        new = self.env["res.company"].create({"name": "Optim Est"})
        new_levels = self.env["relance.level"].sudo().search([("company_id", "=", new.id)])
        self.assertEqual(new_levels.mapped("level"), [1, 2, 3])

    def test_new_company_levels_keep_translations(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        source = self.env.ref("optim_relance.relance_level_2").sudo()
        source.update_field_translations("name", {"fr_FR": "Deuxième relance"})
        company = self.env["res.company"].create({"name": "Optim Ouest"})
        level = self.env["relance.level"].sudo()._get_for(2, company)
        self.assertEqual(level.with_context(lang="fr_FR").name, "Deuxième relance")
        self.assertEqual(level.with_context(lang="en_US").name, "Second reminder")

    def test_manager_edits_settings_and_texts(self):
        self.assertFalse(self.manager.has_group("mail.group_mail_template_editor"))
        level = self.level_of(2).with_user(self.manager)
        level.write({"deadline_days": 12})
        level.docx_template = base64.b64encode(docx_bytes("Relance {{ payer_name }}"))
        level.write(
            {
                "letter_intro": '<p>Relance du <t t-out="date_level_1"/> : '
                '<t t-out="total_residual_text"/></p>',
                "email_subject": "{{ company.name }} – deuxième relance",
                "email_body": '<p>Reste dû : <t t-out="total_residual_text"/></p>',
            }
        )
        level.invalidate_recordset()
        self.assertEqual(level.deadline_days, 12)
        self.assertEqual(level.mail_template_id.subject, "{{ company.name }} – deuxième relance")
        self.assertIn("Reste dû", level.mail_template_id.body_html)
        # Company 2's level 2 is untouched.
        other = self.level_of(2, self.company_2).sudo()
        self.assertEqual(other.deadline_days, 8)
        self.assertNotIn("deuxième relance", other.mail_template_id.subject)

    def test_code_in_texts_is_for_template_editors(self):
        level = self.level_of(1)
        before = (level.letter_intro, level.mail_template_id.subject, level.deadline_days)
        as_manager = level.with_user(self.manager)
        for vals in (
            {"letter_intro": '<p><t t-out="object.env.user.password"/></p>'},
            {"deadline_days": 3, "letter_closing": '<p t-if="1">x</p>'},
            {"email_subject": "{{ object.env['res.users'].search([]) }}"},
        ):
            with (
                self.subTest(vals=vals),
                self.assert_raises_msg(AccessError, "ask an administrator to add you"),
            ):
                as_manager.write(vals)
        level.invalidate_recordset()
        self.assertEqual(
            (level.letter_intro, level.mail_template_id.subject, level.deadline_days), before
        )
        # A template editor may.
        self.manager.groups_id += self.env.ref("mail.group_mail_template_editor")
        as_manager.write({"letter_closing": '<p><t t-out="object.ref"/></p>'})
        self.assertIn("object.ref", level.letter_closing)

    def test_manager_of_another_company(self):
        level = self.level_of(1)
        as_2 = {"allowed_company_ids": self.company_2.ids}
        foreign = level.with_user(self.manager_2).with_context(**as_2)
        with self.assertRaises(AccessError):
            foreign.write({"deadline_days": 99})
        with self.assertRaises(AccessError):
            foreign.read(["name"])
        self.assertEqual(
            self.env["relance.level"]
            .with_user(self.manager_2)
            .with_context(**as_2)
            .search([("level", "in", (1, 2, 3))]),
            self.env["relance.level"].sudo().search([("company_id", "=", self.company_2.id)]),
        )
        own = self.level_of(1, self.company_2).with_user(self.manager_2).with_context(**as_2)
        own_before = (own.company_id, own.mail_template_id)
        # Pointing their level at another template (then editing it from the
        # level) or moving their level to another company: refused.
        reset_password = self.env.ref("auth_signup.reset_password_email", raise_if_not_found=False)
        for template in (level.mail_template_id, reset_password):
            if template:
                with (
                    self.subTest(template=template.name),
                    self.assert_raises_msg(AccessError, "ask an administrator"),
                ):
                    own.write({"mail_template_id": template.id, "email_body": "<p>Phishing</p>"})
        with self.assert_raises_msg(UserError, "stays in its company"):
            own.write({"company_id": self.company.id})
        with self.assert_raises_msg(ValidationError, "cannot be used"):
            own.sudo().write({"mail_template_id": level.mail_template_id.id})
        own.invalidate_recordset()
        self.assertEqual((own.sudo().company_id, own.sudo().mail_template_id), own_before)
        level.invalidate_recordset()
        self.assertEqual(level.deadline_days, 15)
        self.assertNotIn("Phishing", level.mail_template_id.body_html)

    def test_forged_context_does_not_skip_the_check(self):
        """The key telling which texts are written is always the server's."""
        level = self.level_of(3).with_user(self.manager)
        level.unlink()
        code = '<p><t t-out="object.sudo().env.user.login"/></p>'
        forged = (
            self.env["relance.level"]
            .with_user(self.manager)
            .with_context(relance_dynamic_fields=[])
        )
        with self.assert_raises_msg(AccessError, "ask an administrator"):
            forged.create({"level": 3, "name": "Mise en demeure", "letter_intro": code})
        with self.assert_raises_msg(AccessError, "ask an administrator"):
            self.level_of(2).with_user(self.manager).with_context(relance_dynamic_fields=[]).write(
                {"letter_intro": code}
            )
        self.assertFalse(self.env["relance.level"].search([("level", "=", 3)]))
        # Without code, the manager re-creates the level: with its own template.
        new = forged.create({"level": 3, "name": "Mise en demeure", "letter_intro": "<p>Payez</p>"})
        self.assertEqual(new.company_id, self.company)
        self.assertEqual(new.sudo().mail_template_id.model, "relance.letter")
        self.assertNotEqual(new.sudo().mail_template_id, self.level_of(2).mail_template_id)


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestWordTemplateCheck(HardeningCase):
    def test_refused_on_save(self):
        level = self.level_of(1).with_user(self.manager)
        cases = (
            (b"%PDF-1.4 not a Word file", "must be a .docx file"),
            (docx_bytes("Bonjour {{ payer_name }"), "field syntax error"),
            (docx_bytes("{% for row in lines %}{{ row.invoice }}"), "field syntax error"),
            (docx_bytes("{{ payer_name.__class__.__mro__ }}"), "cannot be filled"),
            (docx_bytes("{{ 1 / 0 }}"), "cannot be filled"),
            (docx_bytes('{{ level + "x" }}'), "cannot be filled"),
        )
        for raw, message in cases:
            with self.subTest(message=message), self.assert_raises_msg(ValidationError, message):
                level.write({"docx_template": base64.b64encode(raw)})
        level.invalidate_recordset()
        self.assertFalse(level.docx_template)

    def test_sample_values_cover_the_offered_fields(self):
        """The sample values used for the check are the fields a letter gives."""
        invoice = self.create_late_invoice(self.payer_a, 30)
        wizard = self.make_wizard(self.installments(invoice), output="word")
        letters, _skipped = wizard._prepare_batch()
        _run, record = wizard._create_run(letters, [])
        values = record._docx_values(invoice, record.line_ids)
        self.assertEqual(set(values), set(relance_docx.sample_values()))
        self.assertEqual(set(values["lines"][0]), set(relance_docx.sample_values()["lines"][0]))


@freeze_time(FROZEN_NOW)
@tagged("post_install", "-at_install")
class TestOddValues(HardeningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line = cls.installments(cls.create_late_invoice(cls.payer_a, 30))

    def test_fractional_level(self):
        before = self.counts()
        Wizard = self.env["relance.wizard"].with_user(self.invoicer)
        for level in (1.9, 0, 4, "2", True):
            with self.subTest(level=level), self.assert_raises_msg(ValidationError, "1, 2 or 3"):
                Wizard.create({"selected_line_ids": [Command.set(self.line.ids)], "level": level})
        with self.assert_raises_msg(ValidationError, "1, 2 or 3"):
            self.env["relance.backfill.wizard"].create(
                {"line_ids": [Command.set(self.line.ids)], "level": 2.5, "date": self.ago(1)}
            )
        with self.assert_raises_msg(ValidationError, "1, 2 or 3"):
            self.level_of(1).with_user(self.manager).write({"level": 1.5})
        wizard = Wizard.create({"selected_line_ids": [Command.set(self.line.ids)], "level": 2.0})
        self.assertEqual(wizard.level, 2)
        self.assertEqual(self.counts(), before)

    def test_malformed_search(self):
        before = self.counts()
        for domain in (
            "[((1))]",
            "[('nope', '=', 1)]",
            "{'a': 1}",
            "[('id', 'in')]",
            "[1, 2",
            "[('date_maturity', '=', 'zzz')]",
        ):
            wizard = self.make_wizard(scope="all")
            wizard.active_domain = domain
            with (
                self.subTest(domain=domain),
                self.assert_raises_msg(UserError, "could not be read"),
            ):
                wizard.action_confirm()
        self.assertEqual(self.counts(), before)

    def test_unknown_installment(self):
        before = self.counts()
        missing = self.line.id + 100000
        with self.assert_raises_msg(UserError, f"do not exist (any more): {missing}"):
            self.env["relance.wizard"].with_user(self.invoicer).create(
                {"selected_line_ids": [Command.set([self.line.id, missing])], "level": 1}
            )
        with self.assert_raises_msg(UserError, "do not exist"):
            self.env["relance.backfill.wizard"].create(
                {"line_ids": [Command.link(missing)], "level": 1, "date": self.ago(1)}
            )
        with self.assert_raises_msg(UserError, "do not exist"):
            self.env["relance.wizard"].with_context(
                active_model="account.move.line", active_ids=[missing]
            ).create({"level": 1})
        self.assertEqual(self.counts(), before)
