"""Optim'Relance end to end, outside Odoo's test mode.

One fresh database (no demo data), one real Odoo server and one real SMTP
server on loopback for the whole class. Everything goes through Odoo's public
API (XML-RPC, HTTP), as an integration or a browser would:

* level 1 reminders by email, from the wizard to the SMTP server, with the
  PDF letter attached (read back with pdftotext);
* two users confirming the same reminders at the same time;
* the PDF batch downloaded over HTTP, and refused to whoever may not see it;
* a level 2 email listing the penalties, whose portal links open each invoice
  over HTTP with their token and nothing without it;
* the aged balance printed and downloaded over HTTP, the collection dashboard
  over XML-RPC and JSON-RPC, neither shown to another company's user.
"""

import base64
import html
import json
import re
import threading
import unittest
import xmlrpc.client
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import harness

COMPANY_NAME = "Relance E2E Industries"
COMPANY_EMAIL = "credit-control@relance-e2e.example.com"
OTHER_COMPANY_NAME = "Relance E2E Other Company"
ADMIN = ("admin", "admin")
ACCOUNTANT = ("relance_e2e_accountant", "E2e-accountant-pass-1")
ACCOUNTANT_2 = ("relance_e2e_accountant2", "E2e-accountant-pass-2")
OTHER_ACCOUNTANT = ("relance_e2e_other_company", "E2e-other-company-pass-3")

INVOICE_NAME_RE = re.compile(r"\b[A-Z]{2,}/\d{4}/\d{3,}\b")


@dataclass
class Payer:
    id: int
    name: str
    reminder_email: str | None
    lines: list = field(default_factory=list)  # installments, as read over RPC
    invoice_names: set = field(default_factory=set)

    @property
    def line_ids(self):
        return [line["id"] for line in self.lines]

    @property
    def total_residual(self):
        return round(sum(line["amount_residual"] for line in self.lines), 2)


class TestRelanceEndToEnd(harness.ServerCase):
    @classmethod
    def rpc(cls, credentials):
        return harness.Rpc(cls.url, cls.db, *credentials)

    @classmethod
    def _setup_data(cls):
        admin = cls.admin = cls.rpc(ADMIN)
        company_id = harness.configure_mail(admin, cls.smtp, cls.url, COMPANY_NAME, COMPANY_EMAIL)
        cls.company_id = company_id
        company = admin(
            "res.company", "read", [company_id], fields=["currency_id", "account_sale_tax_id"]
        )[0]
        cls.sale_tax_ids = (
            [company["account_sale_tax_id"][0]] if company["account_sale_tax_id"] else []
        )
        cls.currency = admin(
            "res.currency",
            "read",
            [company["currency_id"][0]],
            fields=["name", "symbol", "position", "decimal_places"],
        )[0]
        cls.lang = admin(
            "res.lang",
            "search_read",
            [("code", "=", "en_US")],
            fields=["decimal_point", "thousands_sep", "grouping", "date_format"],
        )[0]

        group_user = admin.ref("base.group_user")
        group_invoice = admin.ref("account.group_account_invoice")
        cls.other_company_id = admin("res.company", "create", {"name": OTHER_COMPANY_NAME})
        for (login, password), company in (
            (ACCOUNTANT, company_id),
            (ACCOUNTANT_2, company_id),
            (OTHER_ACCOUNTANT, cls.other_company_id),
        ):
            admin(
                "res.users",
                "create",
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "password": password,
                    "email": f"{login}@relance-e2e.example.com",
                    "company_id": company,
                    "company_ids": [(6, 0, [company])],
                    # Invoicing only: no "Contact Creation" right.
                    "groups_id": [(6, 0, [group_user, group_invoice])],
                },
            )
        cls.accountant = cls.rpc(ACCOUNTANT)
        cls.all_invoice_names = set()

    # ------------------------------------------------------------------
    # Data helpers
    # ------------------------------------------------------------------
    def create_payers(self, specs):
        """``specs``: ``(name, reminder_email or None, [amounts])``. Each
        amount is a posted customer invoice dated 40 days ago or earlier and
        due on that date (so at least 40 days late). The first invoice of each
        payer carries the company's default sales tax, the others none: the
        expected amounts are the ones read back from the server."""
        admin = self.admin
        today = date.today()
        payers, vals_list = [], []
        for name, reminder_email, amounts in specs:
            slug = re.sub(r"\W+", ".", name.lower())
            partner_id = admin(
                "res.partner",
                "create",
                {
                    "name": name,
                    "lang": "en_US",
                    "email": f"{slug}@contact.example.com",
                    "reminder_email": reminder_email or False,
                    "street": "1 Test Street",
                    "city": "Springfield",
                },
            )
            payers.append(Payer(partner_id, name, reminder_email))
            for index, amount in enumerate(amounts):
                line = {
                    "name": f"E2E service {index + 1}",
                    "quantity": 1,
                    "price_unit": amount,
                    "tax_ids": [(6, 0, [] if index else self.sale_tax_ids)],
                }
                invoice_date = (today - timedelta(days=40 + 15 * index)).isoformat()
                vals_list.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner_id,
                        "invoice_date": invoice_date,
                        "invoice_date_due": invoice_date,
                        "invoice_line_ids": [(0, 0, line)],
                    }
                )
        move_ids = admin("account.move", "create", vals_list)
        admin("account.move", "action_post", move_ids)
        lines = admin(
            "account.move.line",
            "search_read",
            [("move_id", "in", move_ids), ("display_type", "=", "payment_term")],
            fields=["move_id", "amount_residual", "reminder_payer_id", "date_maturity", "date"],
            order="id",
        )
        moves = admin("account.move", "read", move_ids, fields=["name", "state"])
        self.assertEqual({m["state"] for m in moves}, {"posted"})
        name_by_id = {m["id"]: m["name"] for m in moves}
        names = set(name_by_id.values())
        by_id = {payer.id: payer for payer in payers}
        for line in lines:
            payer = by_id[line["reminder_payer_id"][0]]
            line["move_name"] = name_by_id[line["move_id"][0]]
            payer.lines.append(line)
            payer.invoice_names.add(line["move_name"])
        self.assertEqual(names, set().union(*(p.invoice_names for p in payers)))
        for payer in payers:
            self.assertTrue(payer.lines, f"no installment for {payer.name}")
        type(self).all_invoice_names |= names
        return payers

    @staticmethod
    def open_domain(rpc, payers):
        """The domain of the "Installments to collect" menu, as the web client
        gets it from the server, restricted to this test's payers."""
        action = rpc("account.move.line", "action_open_relance_installments")
        return [*action["domain"], ["reminder_payer_id", "in", [p.id for p in payers]]]

    def search_open_installments(self, rpc, payers):
        ids = rpc("account.move.line", "search", self.open_domain(rpc, payers), order="id")
        expected = sorted(i for p in payers for i in p.line_ids)
        self.assertEqual(sorted(ids), expected, "open installments as seen by the accountant")
        return ids

    def new_wizard(self, rpc, line_ids, output):
        context = {"active_model": "account.move.line", "active_ids": line_ids}
        wizard_id = rpc(
            "relance.wizard",
            "create",
            {"level": 1, "output": output, "scope": "selected"},
            context=context,
        )
        return wizard_id, context

    def run_mail_queue(self):
        """What Odoo's mail cron does, now: ``mail.mail.process_email_queue``
        (called directly over XML-RPC it returns None, which XML-RPC cannot
        marshal, although the mails are sent)."""
        cron_id = self.admin.ref("mail.ir_cron_mail_scheduler_action")
        self.assertTrue(self.admin("ir.cron", "method_direct_trigger", [cron_id]))

    def fmt(self, amount):
        return harness.format_amount(amount, self.currency, self.lang)

    def fmt_date(self, value):
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return value.strftime(self.lang["date_format"])

    def histories(self, line_ids):
        return self.admin(
            "relance.history",
            "search_read",
            [("move_line_id", "in", line_ids)],
            fields=[
                "move_line_id",
                "move_id",
                "partner_id",
                "level",
                "date",
                "channel",
                "attachment_id",
                "amount_residual",
                "user_id",
            ],
        )

    def reminder_dates(self, line_ids):
        rows = self.admin(
            "account.move.line",
            "read",
            line_ids,
            fields=["reminder_date_1", "reminder_date_2", "reminder_level"],
        )
        return {row["id"]: row for row in rows}

    def assert_letter_text(self, text, payer, reminder_date, context):
        """The letter of ``payer`` (one page): company header, payer,
        exactly its invoices with their residuals, the total, page footer."""
        flat = harness.squash(text)
        self.assertIn(COMPANY_NAME, flat, f"{context}: company header")
        self.assertIn(payer.name, flat, f"{context}: payer address")
        self.assertIn("Payment reminder", flat, f"{context}: level 1 title")
        self.assertEqual(
            set(INVOICE_NAME_RE.findall(text)),
            payer.invoice_names,
            f"{context}: the letter lists exactly the payer's invoices",
        )
        others = self.all_invoice_names - payer.invoice_names
        self.assertFalse({n for n in others if n in text}, f"{context}: other payers' invoices")
        rows = text.splitlines()
        for line in payer.lines:
            row = next((r for r in rows if line["move_name"] in r), "")
            due = date.fromisoformat(line["date_maturity"])
            days_late = (date.fromisoformat(reminder_date) - due).days
            self.assertGreaterEqual(days_late, 40)
            self.assertEqual(
                harness.squash(row).split(" ")[:4],
                [
                    line["move_name"],
                    self.fmt_date(line["date"]),
                    self.fmt_date(due),
                    str(days_late),
                ],
                f"{context}: invoice, invoice date, due date, days late in {row!r}",
            )
            self.assertTrue(
                harness.squash(row).endswith(self.fmt(line["amount_residual"])),
                f"{context}: residual of {line['move_name']} in {row!r}",
            )
        total_rows = [harness.squash(r) for r in rows if re.match(r"\s*Total\b", r)]
        self.assertEqual(len(total_rows), 1, f"{context}: one Total row in {total_rows}")
        expected_total = self.fmt(payer.total_residual)
        self.assertTrue(
            total_rows[0].endswith(expected_total),
            f"{context}: total residual {expected_total!r} in {total_rows[0]!r}",
        )
        self.assertRegex(flat, r"Page:? 1 / 1\b", f"{context}: page footer")

    # ------------------------------------------------------------------
    # 1. Email: wizard -> mail queue -> SMTP, PDF attached
    # ------------------------------------------------------------------
    def test_01_level1_email_reaches_smtp_with_pdf(self):
        alpha, beta, gamma = self.create_payers(
            [
                ("E2E Mail Alpha Gardening", "alpha.billing@alpha-e2e.example.com", [1234.56, 250]),
                ("E2E Mail Beta Bakery", "beta.accounts@beta-e2e.example.com", [980, 45.5, 3100]),
                ("E2E Mail Gamma Garage", None, [700]),
            ]
        )
        with_email = [alpha, beta]
        accountant = self.accountant
        line_ids = self.search_open_installments(accountant, [alpha, beta, gamma])

        wizard_id, context = self.new_wizard(accountant, line_ids, "email")
        wizard = accountant(
            "relance.wizard",
            "read",
            [wizard_id],
            fields=["date", "letter_count", "included_count", "skipped_count"],
            context=context,
        )[0]
        self.assertEqual(
            (wizard["letter_count"], wizard["included_count"], wizard["skipped_count"]),
            (2, len(alpha.lines) + len(beta.lines), len(gamma.lines)),
            "preview of the batch",
        )
        action = accountant("relance.wizard", "action_confirm", [wizard_id], context=context)
        self.assertEqual(action.get("type"), "ir.actions.client", action)
        self.assertIn("2 reminder emails queued", action["params"]["message"])

        # One stored letter per payer reminded; each email is a message of its letter.
        letters = self.admin(
            "relance.letter",
            "search_read",
            [("partner_id", "in", [alpha.id, beta.id, gamma.id])],
            fields=["partner_id", "output", "level", "attachment_ids", "mail_id"],
        )
        self.assertEqual(
            sorted((lt["partner_id"][0], lt["output"], lt["level"]) for lt in letters),
            sorted((p.id, "email", 1) for p in with_email),
        )
        mail_domain = [
            ("model", "=", "relance.letter"),
            ("res_id", "in", [lt["id"] for lt in letters]),
        ]
        queued = self.admin("mail.mail", "search_read", mail_domain, fields=["state", "email_to"])
        self.assertEqual(
            sorted((m["state"], m["email_to"]) for m in queued),
            sorted(("outgoing", p.reminder_email) for p in with_email),
            "queued emails",
        )

        since = len(self.sink.messages)
        self.run_mail_queue()
        received = self.sink.wait_for(len(with_email), since=since)
        # Anything else arriving shortly after would be a duplicate.
        received = self.sink.wait_for(len(with_email) + 1, since=since, timeout=2)

        sent = self.admin(
            "mail.mail", "search_read", mail_domain, fields=["state", "failure_reason"]
        )
        self.assertEqual({(m["state"], m["failure_reason"] or "") for m in sent}, {("sent", "")})

        by_recipient = {}
        for mail in received:
            for address in mail.to_addresses:
                by_recipient.setdefault(address, []).append(mail)
        self.assertEqual(
            sorted(by_recipient),
            sorted(p.reminder_email for p in with_email),
            "one email per payer with a reminder email, none for the others",
        )
        self.assertEqual(len(received), len(with_email))
        self.assertNotIn("e2e.mail.gamma.garage@contact.example.com", by_recipient)

        def subject(payer):
            return harness.squash(
                f"Reminder no. 1 \N{EN DASH} {self.fmt(payer.total_residual)} outstanding "
                f"\N{EN DASH} {COMPANY_NAME}"
            )

        for payer in with_email:
            (mail,) = by_recipient[payer.reminder_email]
            context_msg = f"email to {payer.name}"
            self.assertEqual(mail.rcpt_tos, [payer.reminder_email], context_msg)
            self.assertEqual(harness.squash(mail.subject), subject(payer), context_msg)
            self.assertNotIn("Powered by", mail.html_body(), context_msg)
            self.assertNotIn("/mail/unfollow", mail.html_body(), context_msg)
            self.assertIn(COMPANY_EMAIL, str(mail.message["From"]), context_msg)
            body = harness.squash(html.unescape(re.sub(r"<[^>]+>", " ", mail.html_body())))
            self.assertIn(self.fmt(payer.total_residual), body, f"{context_msg}: body total")
            pdfs = mail.pdf_attachments()
            self.assertEqual(len(pdfs), 1, f"{context_msg}: one PDF attached")
            filename, raw = pdfs[0]
            self.assertTrue(raw.startswith(b"%PDF"), context_msg)
            self.assertIn(payer.name, filename, context_msg)
            self.assert_letter_text(harness.pdf_to_text(raw), payer, wizard["date"], context_msg)

        # History: one level 1 email record per installment reminded, with
        # the document; nothing at all on the skipped payer's installments.
        all_ids = [i for p in (alpha, beta, gamma) for i in p.line_ids]
        histories = self.histories(all_ids)
        reminded = {i for p in with_email for i in p.line_ids}
        self.assertEqual(
            sorted(h["move_line_id"][0] for h in histories),
            sorted(reminded),
            "one history per installment reminded",
        )
        for history in histories:
            self.assertEqual((history["level"], history["channel"]), (1, "email"))
            self.assertTrue(history["attachment_id"], history)
            self.assertEqual(history["date"], wizard["date"])
            self.assertEqual(history["user_id"][0], accountant.uid)
        attachments = {h["attachment_id"][0] for h in histories}
        self.assertEqual(len(attachments), len(with_email), "one document per payer")
        dates = self.reminder_dates(all_ids)
        for line_id in all_ids:
            expected = wizard["date"] if line_id in reminded else False
            self.assertEqual(dates[line_id]["reminder_date_1"], expected, f"line {line_id}")
        self.assertEqual(
            attachments,
            {aid for lt in letters for aid in lt["attachment_ids"]},
            "the letters' PDFs",
        )

        # Resent to the payer's new address: the same PDF, no new reminder.
        (alpha_letter,) = [lt for lt in letters if lt["partner_id"][0] == alpha.id]
        (stored_pdf,) = self.admin(
            "ir.attachment", "read", alpha_letter["attachment_ids"], fields=["datas"]
        )
        new_address = "new.billing@alpha-e2e.example.com"
        self.admin("res.partner", "write", [alpha.id], {"reminder_email": new_address})
        action = accountant("relance.letter", "action_resend", [alpha_letter["id"]])
        self.assertEqual(action["params"]["type"], "success", action)
        since = len(self.sink.messages)
        self.run_mail_queue()
        (resent,) = self.sink.wait_for(1, since=since)
        self.assertEqual(resent.rcpt_tos, [new_address])
        self.assertEqual(harness.squash(resent.subject), subject(alpha))
        ((_filename, raw),) = resent.pdf_attachments()
        self.assertEqual(
            raw, base64.b64decode(stored_pdf["datas"]), "the stored PDF, not a new one"
        )
        self.assertEqual(len(self.histories(all_ids)), len(histories), "no new history")
        self.assertEqual(self.reminder_dates(all_ids), dates, "no new level")

    # ------------------------------------------------------------------
    # 2. Two users confirm the same reminders at the same time
    # ------------------------------------------------------------------
    def test_02_concurrent_confirmations_record_level_once(self):
        payers = self.create_payers(
            [
                ("E2E Race Delta Logistics", None, [500, 600, 650]),
                ("E2E Race Epsilon Foods", None, [800]),
            ]
        )
        line_ids = self.search_open_installments(self.accountant, payers)
        barrier = threading.Barrier(2, timeout=60)
        outcomes = {}

        def confirm(name, credentials):
            try:
                rpc = self.rpc(credentials)  # its own connection
                wizard_id, context = self.new_wizard(rpc, line_ids, "pdf")
                barrier.wait()
                outcomes[name] = (
                    "ok",
                    rpc("relance.wizard", "action_confirm", [wizard_id], context=context),
                    rpc.uid,
                )
            except xmlrpc.client.Fault as fault:
                outcomes[name] = ("fault", fault.faultString, None)
            except Exception as exc:  # reported below, never swallowed
                outcomes[name] = ("error", repr(exc), None)

        threads = [
            threading.Thread(target=confirm, args=(name, credentials), daemon=True)
            for name, credentials in (("first", ACCOUNTANT), ("second", ACCOUNTANT_2))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=2 * harness.RPC_TIMEOUT)
            self.assertFalse(thread.is_alive(), "a confirmation never returned")

        summary = {name: (kind, str(value)[:300]) for name, (kind, value, _uid) in outcomes.items()}
        self.assertFalse([o for o in outcomes.values() if o[0] == "error"], summary)
        winners = [o for o in outcomes.values() if o[0] == "ok"]
        self.assertEqual(len(winners), 1, f"exactly one confirmation succeeds: {summary}")
        _kind, action, winner_uid = winners[0]
        self.assertEqual(action.get("type"), "ir.actions.act_url", action)
        for kind, value, _uid in outcomes.values():
            if kind == "fault":
                self.assertRegex(
                    value,
                    r"Nothing to send|could not serialize|concurrent update",
                    "the loser fails cleanly",
                )

        histories = self.histories(line_ids)
        self.assertEqual(
            sorted(h["move_line_id"][0] for h in histories),
            sorted(line_ids),
            "exactly one history per installment",
        )
        self.assertEqual({(h["level"], h["channel"]) for h in histories}, {(1, "pdf")})
        self.assertEqual({h["user_id"][0] for h in histories}, {winner_uid})
        dates = self.reminder_dates(line_ids)
        self.assertEqual({d["reminder_level"] for d in dates.values()}, {1})

    # ------------------------------------------------------------------
    # 3. The PDF batch, downloaded over HTTP
    # ------------------------------------------------------------------
    def test_03_pdf_batch_download_over_http(self):
        zeta, eta = self.create_payers(
            [
                ("E2E Print Zeta Studio", "zeta@zeta-e2e.example.com", [1500]),
                ("E2E Print Eta Electric", None, [2750.25, 99.99]),
            ]
        )
        line_ids = self.search_open_installments(self.accountant, [zeta, eta])
        wizard_id, context = self.new_wizard(self.accountant, line_ids, "pdf")
        reminder_date = self.accountant(
            "relance.wizard", "read", [wizard_id], fields=["date"], context=context
        )[0]["date"]
        action = self.accountant("relance.wizard", "action_confirm", [wizard_id], context=context)
        self.assertEqual(action.get("type"), "ir.actions.act_url", action)
        url = action["url"]
        self.assertRegex(url, r"^/web/content/\d+\?download=true$")

        web = harness.WebSession(self.url)
        web.authenticate(self.db, *ACCOUNTANT)
        response = web.request(url)
        self.assertEqual(response.status, 200, response.body[:300])
        self.assertTrue(
            response.headers.get("Content-Type", "").startswith("application/pdf"),
            response.headers,
        )
        self.assertIn("attachment", response.headers.get("Content-Disposition", ""))
        self.assertTrue(response.body.startswith(b"%PDF"))
        text = harness.pdf_to_text(response.body)
        pages = text.split("\f")
        pages = [page for page in pages if page.strip()]
        self.assertEqual(len(pages), 2, "one page per payer, in payer order")
        for page, payer in zip(pages, sorted([zeta, eta], key=lambda p: p.name), strict=True):
            self.assert_letter_text(page, payer, reminder_date, f"batch page of {payer.name}")

        # No PDF for an anonymous visitor...
        anonymous = harness.WebSession(self.url).request(url)
        self.assert_no_pdf(anonymous, "anonymous visitor")
        if anonymous.status in (301, 302, 303, 307, 308):
            self.assertIn("/web/login", anonymous.headers.get("Location", ""))
        # ... nor for an invoicing user of another company.
        other = harness.WebSession(self.url)
        other.authenticate(self.db, *OTHER_ACCOUNTANT)
        self.assert_no_pdf(other.request(url), "invoicing user of another company")

    def test_05_level2_email_penalties_and_portal_links(self):
        """A level 2 email batch: the message lists the penalties (a
        contractual 10 % a year here, computed by hand below) and links each
        invoice to its page on the customer portal, which opens over HTTP
        with the link's token and not without."""
        self.admin(
            "res.company",
            "write",
            [self.company_id],
            {"reminder_penalty_mode": "fixed", "reminder_penalty_rate": 10.0},
        )
        self.addCleanup(
            self.admin,
            "res.company",
            "write",
            [self.company_id],
            {"reminder_penalty_mode": "ecb_plus"},
        )
        (theta,) = self.create_payers(
            [("E2E Law Theta Builders", "theta@theta-e2e.example.com", [1000, 480])]
        )
        line_ids = self.search_open_installments(self.accountant, [theta])
        today = date.today()
        first_id, context = self.new_wizard(self.accountant, line_ids, "pdf")
        self.accountant(
            "relance.wizard",
            "write",
            [first_id],
            {"date": (today - timedelta(days=10)).isoformat()},
            context=context,
        )
        self.accountant("relance.wizard", "action_confirm", [first_id], context=context)
        wizard_id, context = self.new_wizard(self.accountant, line_ids, "email")
        self.accountant("relance.wizard", "write", [wizard_id], {"level": 2}, context=context)
        self.accountant("relance.wizard", "action_confirm", [wizard_id], context=context)

        since = len(self.sink.messages)
        self.run_mail_queue()
        (mail,) = self.sink.wait_for(1, since=since)
        self.assertEqual(mail.rcpt_tos, [theta.reminder_email])
        self.assertEqual(
            harness.squash(mail.subject),
            harness.squash(
                f"Reminder no. 2 \N{EN DASH} {self.fmt(theta.total_residual)} outstanding "
                f"\N{EN DASH} {COMPANY_NAME}"
            ),
        )
        body_html = mail.html_body()
        body = harness.squash(html.unescape(re.sub(r"<[^>]+>", " ", body_html)))
        penalties = []
        for line in theta.lines:
            days = (today - date.fromisoformat(line["date_maturity"])).days
            penalty = round(line["amount_residual"] * 10 / 100 * days / 365, 2)
            penalties.append(penalty)
            self.assertIn(
                f"{line['move_name']} {self.fmt_date(line['date_maturity'])} {days} "
                f"{self.fmt(line['amount_residual'])} {self.fmt(penalty)}",
                body,
            )
        claimed = round(theta.total_residual + sum(penalties) + 2 * 40.0, 2)
        self.assertIn(f"Total claimed {self.fmt(claimed)}", body)
        self.assertIn("2 invoices remain unpaid", body)
        self.assertNotIn("(s)", body)
        self.assertNotIn("Powered by", body_html)

        links = re.findall(r'href="([^"]*/my/invoices/(\d+)\?access_token=[^"]+)"', body_html)
        self.assertEqual(len(links), 2, links)
        for href, invoice_id in links:
            path = html.unescape(href).removeprefix(self.url)
            name = next(
                line["move_name"] for line in theta.lines if str(line["move_id"][0]) == invoice_id
            )
            page = harness.WebSession(self.url).request(path)
            self.assertEqual(page.status, 200, page.body[:300])
            self.assertIn(name, page.body.decode())
            for bare in (f"/my/invoices/{invoice_id}", f"/my/invoices/{invoice_id}?access_token=x"):
                refused = harness.WebSession(self.url).request(bare)
                self.assertNotIn(name, refused.body.decode(errors="replace"), bare)

    def assert_no_pdf(self, response, who):
        self.assertIn(response.status, (301, 302, 303, 307, 308, 403, 404), f"{who}: status")
        self.assertFalse(response.body.startswith(b"%PDF"), f"{who} got the PDF")
        self.assertFalse(
            response.headers.get("Content-Type", "").startswith("application/pdf"), who
        )

    # ------------------------------------------------------------------
    # 6. The analysis, as an integration and a browser use it
    # ------------------------------------------------------------------
    def test_06_aged_balance_and_dashboard(self):
        """The accountant prints the aged balance (the action marshals over
        XML-RPC) and downloads its PDF over HTTP: the payer's row, its two
        installments 40 and 55 days late in the 31–60 days column. The
        dashboard's figures come over XML-RPC and JSON-RPC. Nothing of it for
        an anonymous visitor or another company's accountant."""
        (theta,) = self.create_payers([("E2E Aged Theta Plomberie", None, [1200.0, 300.0])])
        residual = sum(line["amount_residual"] for line in theta.lines)
        self.admin(
            "res.company",
            "write",
            [self.company_id],
            {"external_report_layout_id": self.admin.ref("web.external_layout_standard")},
        )
        wizard_id = self.accountant("relance.aged.balance.wizard", "create", {})
        action = self.accountant("relance.aged.balance.wizard", "action_print", [wizard_id])
        self.assertEqual(action["type"], "ir.actions.report", action)
        self.assertEqual(action["report_name"], "optim_relance.report_aged_balance")
        self.assertNotIn("data", action)
        url = f"/report/pdf/{action['report_name']}/{wizard_id}"

        web = harness.WebSession(self.url)
        web.authenticate(self.db, *ACCOUNTANT)
        response = web.request(url)
        self.assertEqual(response.status, 200, response.body[:300])
        self.assertTrue(response.body.startswith(b"%PDF"))
        text = harness.squash(harness.pdf_to_text(response.body))
        self.assertIn(f"Aged receivables as of {self.fmt_date(date.today())}", text)
        self.assertIn(f"{theta.name} {self.fmt(residual)} {self.fmt(residual)}", text)

        self.assert_no_pdf(harness.WebSession(self.url).request(url), "anonymous visitor")
        other = harness.WebSession(self.url)
        other.authenticate(self.db, *OTHER_ACCOUNTANT)
        response = other.request(url)
        self.assertFalse(response.body.startswith(b"%PDF"), "another company's accountant")
        self.assertNotIn(theta.name.encode(), response.body)

        # The dashboard over XML-RPC: every figure marshals, a card's list too.
        figures = [
            "receivable_amount",
            "late_amount",
            "dso_days",
            "weighted_days_late",
            "payer_level_1_count",
            "dispute_count",
            "effectiveness_html",
        ]
        dashboard_id = self.accountant("relance.dashboard", "create", {})
        (values,) = self.accountant("relance.dashboard", "read", [dashboard_id], fields=figures)
        self.assertGreaterEqual(values["late_amount"], residual)
        self.assertIn("Amount reminded", values["effectiveness_html"])
        late = self.accountant(
            "relance.dashboard", "action_open_figure", [dashboard_id], context={"figure": "late"}
        )
        theta_late = self.accountant(
            "account.move.line",
            "search",
            [*late["domain"], ("reminder_payer_id", "=", theta.id)],
        )
        self.assertEqual(sorted(theta_late), sorted(theta.line_ids))
        # ... and over JSON-RPC, as the web client reads it.
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": "relance.dashboard",
                "method": "read",
                "args": [[dashboard_id], figures],
                "kwargs": {},
            },
        }
        response = web.request(
            "/web/dataset/call_kw",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(json.loads(response.body)["result"][0], {"id": dashboard_id, **values})

        # Another company's accountant: its own figures only.
        other_rpc = self.rpc(OTHER_ACCOUNTANT)
        with self.assertRaises(xmlrpc.client.Fault):
            other_rpc("relance.dashboard", "read", [dashboard_id], fields=["receivable_amount"])
        with self.assertRaises(xmlrpc.client.Fault):
            other_rpc("relance.dashboard", "create", {"company_id": self.company_id})
        own = other_rpc("relance.dashboard", "create", {})
        (own_values,) = other_rpc(
            "relance.dashboard", "read", [own], fields=["company_id", "receivable_amount"]
        )
        self.assertEqual(own_values["company_id"][0], self.other_company_id)
        self.assertEqual(own_values["receivable_amount"], 0.0)

    # ------------------------------------------------------------------
    # 4. The daily automatic reminders, on the real server
    # ------------------------------------------------------------------
    def test_04_automatic_reminders_cron(self):
        """A manager ticks "Send automatically" on level 1; the scheduled
        action, triggered as Odoo's scheduler would run it, emails the due
        installments of payers with a reminder email through the real SMTP
        server; run again the same day, it sends nothing."""
        admin = self.admin
        # The cron dates in the company's timezone, the RPC searches below in
        # the admin's: the same one, so that both see the same "today".
        admin_tz = admin("res.users", "read", [admin.uid], fields=["tz"])[0]["tz"] or "UTC"
        partner_id = admin("res.company", "read", [self.company_id], fields=["partner_id"])[0][
            "partner_id"
        ][0]
        admin("res.partner", "write", [partner_id], {"tz": admin_tz})
        delta, omega = self.create_payers(
            [
                ("E2E Auto Delta Roofing", "delta.ap@delta-e2e.example.com", [1500, 320]),
                ("E2E Auto Omega Plumbing", None, [640]),
            ]
        )
        # Every installment due at level 1 now, in the whole database (earlier
        # tests leave some): the cron sends exactly to these payers.
        due = admin(
            "account.move.line",
            "search_read",
            [
                ("reminder_to_do", "=", True),
                ("reminder_next_level", "=", 1),
                ("company_id", "=", self.company_id),
            ],
            fields=["reminder_payer_id"],
        )
        due_payers = {line["reminder_payer_id"][0] for line in due}
        self.assertTrue({delta.id, omega.id} <= due_payers)
        emails = {
            partner["reminder_email"]
            for partner in admin("res.partner", "read", list(due_payers), fields=["reminder_email"])
            if partner["reminder_email"]
        }
        level_1 = admin(
            "relance.level",
            "search",
            [("level", "=", 1), ("company_id", "=", self.company_id)],
        )
        admin("relance.level", "write", level_1, {"auto_send": True})
        self.addCleanup(admin, "relance.level", "write", level_1, {"auto_send": False})
        cron_id = admin.ref("optim_relance.ir_cron_relance_auto")

        self.assertTrue(admin("ir.cron", "method_direct_trigger", [cron_id]))
        letters = admin(
            "relance.letter",
            "search_read",
            [("partner_id", "in", [delta.id, omega.id])],
            fields=["partner_id", "level", "output", "line_ids", "date"],
        )
        self.assertEqual(
            [
                (lt["partner_id"][0], lt["level"], lt["output"], sorted(lt["line_ids"]))
                for lt in letters
            ],
            [(delta.id, 1, "email", sorted(delta.line_ids))],
        )
        since = len(self.sink.messages)
        self.run_mail_queue()
        received = self.sink.wait_for(len(emails), since=since)
        received = self.sink.wait_for(len(emails) + 1, since=since, timeout=2)
        self.assertEqual(sorted(a for m in received for a in m.to_addresses), sorted(emails))
        (mail,) = [m for m in received if delta.reminder_email in m.to_addresses]
        ((filename, raw),) = mail.pdf_attachments()
        self.assertIn(delta.name, filename)
        text = harness.squash(harness.pdf_to_text(raw))
        self.assertIn(self.fmt(delta.total_residual), text)
        dates = self.reminder_dates(delta.line_ids + omega.line_ids)
        today = letters[0]["date"]
        self.assertEqual(
            {line_id: dates[line_id]["reminder_date_1"] for line_id in dates},
            {**dict.fromkeys(delta.line_ids, today), **dict.fromkeys(omega.line_ids, False)},
        )
        # Omega has no reminder email: still on the worklist, for a person.
        self.assertEqual(
            admin(
                "account.move.line",
                "search",
                [("id", "in", omega.line_ids), ("reminder_to_do", "=", True)],
            ),
            omega.line_ids,
        )

        # The same day again: nothing more.
        letter_count = admin("relance.letter", "search_count", [])
        self.assertTrue(admin("ir.cron", "method_direct_trigger", [cron_id]))
        self.assertEqual(admin("relance.letter", "search_count", []), letter_count)
        since = len(self.sink.messages)
        self.run_mail_queue()
        self.assertEqual(self.sink.wait_for(1, since=since, timeout=3), [])


if __name__ == "__main__":
    unittest.main()
