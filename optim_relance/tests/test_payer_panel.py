from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import FROZEN_NOW, RelanceCase


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_NOW)
class TestPayerPanel(RelanceCase):
    """The payer's email and comment, edited from the installment: one field
    each, shared by all the payer's installments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.payer = Partner.create(
            {
                "name": "Panel Payer",
                "is_company": True,
                "reminder_email": "compta@payer.example.com",
                "reminder_comment": "Pays late but pays.",
            }
        )
        cls.other = Partner.create({"name": "Panel Other Payer", "is_company": True})
        # Two installments of the same payer, one of another payer.
        cls.split = cls.create_invoice(
            cls.payer,
            amounts=(1000.0,),
            invoice_date=cls.to_date("2024-03-10"),
            payment_term=cls.pay_terms_b,
        )
        cls.first, cls.second = cls.installments(cls.split)
        cls.other_line = cls.installments(cls.create_late_invoice(cls.other, 12, amount=120.0))

    def test_panel_shows_the_payer_fields(self):
        for line in (self.first, self.second):
            self.assertEqual(line.reminder_payer_id, self.payer)
            self.assertEqual(line.reminder_payer_email, "compta@payer.example.com")
            self.assertEqual(line.reminder_payer_comment, "Pays late but pays.")
            self.assertEqual(line.reminder_payer_total_due, 1000.0)
            self.assertEqual(line.reminder_payer_days_late_total, 97 + 46)
        self.assertFalse(self.other_line.reminder_payer_email)
        self.assertFalse(self.other_line.reminder_payer_comment)
        self.assertEqual(self.other_line.reminder_payer_total_due, 120.0)

    def test_line_writes_the_partner(self):
        self.first.reminder_payer_email = "recouvrement@payer.example.com"
        self.first.reminder_payer_comment = "Promised for the 30th."
        self.assertEqual(self.payer.reminder_email, "recouvrement@payer.example.com")
        self.assertEqual(self.payer.reminder_comment, "Promised for the 30th.")
        # The other installment of the payer shows it too, the other payer not.
        self.env.invalidate_all()
        self.assertEqual(self.second.reminder_payer_email, "recouvrement@payer.example.com")
        self.assertEqual(self.second.reminder_payer_comment, "Promised for the 30th.")
        self.assertFalse(self.other.reminder_email)
        self.assertFalse(self.other_line.reminder_payer_comment)

    def test_partner_writes_the_line(self):
        self.payer.write({"reminder_email": "new@payer.example.com", "reminder_comment": "Dispute"})
        self.assertEqual(self.first.reminder_payer_email, "new@payer.example.com")
        self.assertEqual(self.second.reminder_payer_comment, "Dispute")
        self.payer.write({"reminder_email": False, "reminder_comment": False})
        self.assertFalse(self.first.reminder_payer_email)
        self.assertFalse(self.second.reminder_payer_comment)

    def test_clearing_from_the_line(self):
        self.second.write({"reminder_payer_email": False, "reminder_payer_comment": False})
        self.payer.invalidate_recordset()
        self.assertFalse(self.payer.reminder_email)
        self.assertFalse(self.payer.reminder_comment)

    def test_invoicing_user_without_contact_rights(self):
        user = self.invoice_user
        self.assertFalse(user.has_group("base.group_partner_manager"))
        # The clerk cannot edit the contact itself...
        with self.assertRaises(AccessError):
            self.payer.with_user(user).write({"name": "Renamed"})
        # ...but maintains its collection details from the installment.
        line = self.first.with_user(user)
        line.write(
            {
                "reminder_payer_email": "clerk@payer.example.com",
                "reminder_payer_comment": "Called on Monday",
            }
        )
        self.payer.invalidate_recordset()
        self.assertEqual(self.payer.reminder_email, "clerk@payer.example.com")
        self.assertEqual(self.payer.reminder_comment, "Called on Monday")
        self.assertEqual(self.payer.name, "Panel Payer")
        self.assertEqual(
            self.second.with_user(user).reminder_payer_email, "clerk@payer.example.com"
        )
        # Through the form's save call too.
        line.web_save({"reminder_payer_comment": "Paid half"}, {})
        self.payer.invalidate_recordset()
        self.assertEqual(self.payer.reminder_comment, "Paid half")

    def test_invoicing_user_edits_from_the_partner(self):
        """A clerk without contact rights cannot write the payer's collection
        details on the contact itself, only from the installment panel."""
        partner = self.payer.with_user(self.invoice_user)
        for vals in (
            {"reminder_email": "from.partner@payer.example.com", "reminder_comment": "Ok"},
            {"reminder_email": "from.partner@payer.example.com"},
            {"reminder_comment": "Ok"},
            {"name": "Renamed"},
        ):
            for method in ("write", "web_save"):
                with self.subTest(vals=vals, method=method), self.assertRaises(AccessError):
                    if method == "write":
                        partner.write(vals)
                    else:
                        partner.web_save(vals, {})
                self.payer.invalidate_recordset()
                self.assertEqual(
                    (self.payer.name, self.payer.reminder_email, self.payer.reminder_comment),
                    ("Panel Payer", "compta@payer.example.com", "Pays late but pays."),
                )

    def test_set_collection_only_the_two_fields(self):
        """_relance_set_collection writes the reminder email and the
        collection comment only, for invoicing users only."""
        for user in (self.env.user, self.invoice_user):
            for vals in (
                {"name": "x"},
                {"reminder_comment": "Ok", "name": "x"},
                {"reminder_default_payer_id": self.other.id},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(UserError):
                    self.payer.with_user(user)._relance_set_collection(vals)
                self.payer.invalidate_recordset()
                self.assertEqual(
                    (
                        self.payer.name,
                        self.payer.reminder_comment,
                        self.payer.reminder_default_payer_id,
                    ),
                    ("Panel Payer", "Pays late but pays.", self.env["res.partner"]),
                )
        with self.assertRaises(AccessError):
            self.payer.with_user(self.basic_user)._relance_set_collection(
                {"reminder_comment": "Hacked"}
            )
        self.payer.invalidate_recordset()
        self.assertEqual(self.payer.reminder_comment, "Pays late but pays.")
        # What it allows, it writes.
        self.payer.with_user(self.invoice_user)._relance_set_collection(
            {"reminder_email": "clerk@payer.example.com", "reminder_comment": "Called"}
        )
        self.payer.invalidate_recordset()
        self.assertEqual(
            (self.payer.reminder_email, self.payer.reminder_comment),
            ("clerk@payer.example.com", "Called"),
        )

    def test_employee_cannot_edit(self):
        with self.assertRaises(AccessError):
            self.first.with_user(self.basic_user).write({"reminder_payer_comment": "Hacked"})
        self.payer.invalidate_recordset()
        self.assertEqual(self.payer.reminder_comment, "Pays late but pays.")

    def test_email_validation_on_partner(self):
        for invalid in ("not an email", "compta@", "compta.payer.example.com"):
            with self.subTest(email=invalid):
                with self.assertRaises(ValidationError):
                    self.payer.write({"reminder_email": invalid})
                self.payer.invalidate_recordset()
                self.assertEqual(self.payer.reminder_email, "compta@payer.example.com")
        with self.assertRaises(ValidationError):
            self.env["res.partner"].create({"name": "Bad", "reminder_email": "bad"})
        # Several addresses are allowed.
        for valid in (
            "a@payer.example.com, b@payer.example.com",
            "a@payer.example.com;b@payer.example.com",
        ):
            self.payer.reminder_email = valid
            self.assertEqual(self.payer.reminder_email, valid)

    def test_email_validation_rejects_partly_invalid_values(self):
        """Every comma/semicolon-separated piece of the reminder email must be an address."""
        for invalid in (
            "@payer.example.com",
            "compta@@payer.example.com",
            "ok@payer.example.com, nope",
            "ok@payer.example.com, compta@",
        ):
            with self.subTest(email=invalid):
                with self.assertRaises(ValidationError):
                    self.payer.write({"reminder_email": invalid})
                self.payer.invalidate_recordset()
                self.assertEqual(self.payer.reminder_email, "compta@payer.example.com")

    def test_email_validation_from_the_line(self):
        for user in (self.env.user, self.invoice_user):
            with self.subTest(user=user.login):
                with self.assertRaises(ValidationError):
                    self.first.with_user(user).write({"reminder_payer_email": "compta.payer"})
                self.payer.invalidate_recordset()
                self.assertEqual(self.payer.reminder_email, "compta@payer.example.com")
                self.first.invalidate_recordset()
                self.assertEqual(self.first.reminder_payer_email, "compta@payer.example.com")
