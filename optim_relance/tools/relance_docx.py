"""Word reminder letters: one .docx per invoice, built with python-docx, or
from a manager's own .docx template with docxtpl fields."""

import base64
import io
import re
import zipfile

import jinja2
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Cm, Pt
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tools import html2plaintext

# Characters XML 1.0 cannot hold: a contact name with one would break the file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# What a broken template raises while it is opened, parsed or rendered.
TEMPLATE_ERRORS = (
    zipfile.BadZipFile,
    PackageNotFoundError,
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,
    jinja2.TemplateError,
    etree.LxmlError,
)


def render(values, labels, template_raw=None):
    """A Word letter (docx bytes) from plain ``values`` (see
    ``relance.letter._docx_values``): from a manager's docxtpl template when
    given, else built with python-docx. Raises one of ``TEMPLATE_ERRORS``
    when a template cannot be filled."""
    values = _xml_safe(values)
    if template_raw:
        return _render_docxtpl(template_raw, values)
    return _build_docx(values, _xml_safe(labels))


def labels(env):
    """The built-in letter's labels, in ``env``'s language."""
    return {
        "invoice": env._("Invoice"),
        "invoice_date": env._("Invoice date"),
        "date_maturity": env._("Due date"),
        "days_late": env._("Days late"),
        "amount": env._("Amount"),
        "residual": env._("Residual"),
        "total": env._("Total"),
        "subject": env._("Subject"),
        "invoice_subject": env._("Invoice %(invoice)s"),
        "place_date": env._("%(city)s, %(date)s"),
        "siret": env._("SIRET"),
        "vat": env._("VAT"),
        "penalty": env._("Penalties"),
        "total_claimed": env._("Total claimed"),
    }


def address_lines(partner):
    parts = [partner.street, partner.street2, f"{partner.zip or ''} {partner.city or ''}".strip()]
    if partner.country_id and partner.country_id.code != "FR":
        parts.append(partner.country_id.name)
    return [part for part in parts if part]


def html_text(html):
    """A rendered HTML text (the company's report footer) as plain text."""
    return html2plaintext(html).strip() if html else ""


def _xml_safe(value):
    """``value`` (a dict, list, tuple or text) without the characters XML
    cannot hold. Markup is escaped by python-docx and by docxtpl's autoescape."""
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(item) for item in value)
    return value


def sample_values():
    """Values of the fields offered to a docxtpl template, to try one out."""
    row = {
        "invoice": "FAC/2024/00001",
        "invoice_date": "01/03/2024",
        "date_maturity": "31/03/2024",
        "days_late": 45,
        "amount": "1 200,00 €",
        "residual": "1 200,00 €",
        "penalty": "21,07 €",
        "payment_reference": "FAC/2024/00001",
    }
    return {
        "company_name": "Société Exemple & Cie",
        "company_address": ["1 rue de la Paix", "75002 Paris"],
        "company_city": "Paris",
        "company_registry": "RCS Paris 000 000 000",
        "company_siret": "000 000 000 00000",
        "company_vat": "FR00000000000",
        "company_phone": "01 00 00 00 00",
        "company_email": "compta@exemple.fr",
        "company_footer": "",
        "payer_name": "Client <Exemple> & Fils",
        "payer_address": ["2 avenue des Travaux", "69001 Lyon"],
        "title": "Relance",
        "date": "15/05/2024",
        "deadline": "30/05/2024",
        "date_level_1": "15/04/2024",
        "date_level_2": "30/04/2024",
        "invoice_number": row["invoice"],
        "invoice_date": row["invoice_date"],
        "intro": [[("Madame, Monsieur,", False)]],
        "closing": [[("Veuillez agréer nos salutations.", False)]],
        "lines": [row],
        "total_amount": row["amount"],
        "total_residual": row["residual"],
        "show_penalties": True,
        "penalty_label": "Pénalités de retard au 15/05/2024",
        "penalty_rate_text": "13,65 % l'an (taux BCE de 3,65 % majoré de 10 points)",
        "penalty_total": row["penalty"],
        "indemnity_label": "Indemnité forfaitaire pour frais de recouvrement (40 € × 1 facture)",
        "indemnity_total": "40,00 €",
        "claimed_total": "1 261,07 €",
        "payment_title": "Règlement",
        "bank_accounts": [
            "Par virement à Société Exemple & Cie : IBAN FR76 3000 6000 0112 3456 7890 189, "
            "BIC AGRIFRPP"
        ],
        "payment_reference": row["invoice"],
        "payment_reference_text": "Merci d'indiquer la référence de paiement : FAC/2024/00001",
        "level": 1,
        "logo": False,
    }


def check_template(env, template_raw):
    """Refuse, with a French error, a Word template that cannot be opened,
    parsed or filled: it is tried once on sample values."""
    try:
        _render_docxtpl(template_raw, sample_values())
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError) as exc:  # not a .docx
        raise ValidationError(
            env._("The Word template must be a .docx file (Word 2007 or later).")
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(
            env._("The Word template has a field syntax error: %(error)s", error=exc.message)
        ) from exc
    except TEMPLATE_ERRORS as exc:
        raise ValidationError(
            env._("The Word template cannot be filled: %(error)s", error=exc)
        ) from exc


def _company_footer(values, labels):
    """The company's legal mentions: its report footer, else its name, trade
    register (RCS), SIRET, VAT number and contacts."""
    if values["company_footer"]:
        return values["company_footer"]
    bits = [
        values["company_name"],
        values["company_registry"],
        values["company_siret"] and f"{labels['siret']} {values['company_siret']}",
        values["company_vat"] and f"{labels['vat']} {values['company_vat']}",
        values["company_phone"],
        values["company_email"],
    ]
    return " – ".join(bit for bit in bits if bit)


def _add_paragraphs(document, paragraphs):
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for text, bold in runs:
            paragraph.add_run(text).bold = bold


def _add_claim(document, values, labels):
    """What the letter claims: residual, penalties, indemnity, total."""
    rows = [(labels["residual"], values["total_residual"], False)]
    penalty_label = values["penalty_label"]
    if values["penalty_rate_text"]:
        penalty_label = f"{penalty_label}\n{values['penalty_rate_text']}"
    rows.append((penalty_label, values["penalty_total"], False))
    if values["indemnity_label"]:
        rows.append((values["indemnity_label"], values["indemnity_total"], False))
    rows.append((labels["total_claimed"], values["claimed_total"], True))
    document.add_paragraph()
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.RIGHT
    for label, amount, bold in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, amount
        cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for cell in cells:
            cell.paragraphs[0].runs[0].bold = bold


def _add_payment(document, values):
    """How to pay: the bank accounts and the invoice's payment reference."""
    paragraph = document.add_paragraph()
    paragraph.add_run(values["payment_title"]).bold = True
    for text in [*values["bank_accounts"], values["payment_reference_text"]]:
        if text:
            paragraph.add_run("\n" + text)


def _render_docxtpl(template_raw, values):
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(template_raw))
    # Plain values only, in a sandbox: a template is data, it must not reach
    # the ORM or Python internals. Every value is escaped whatever the
    # template: a contact's name must not add XML to the letter.
    context = {key: value for key, value in values.items() if key != "logo"}
    # Texts as plain strings in a template: one string per paragraph.
    for key in ("intro", "closing"):
        context[key] = ["".join(text for text, _bold in runs) for runs in values[key]]
    document.render(context, jinja_env=SandboxedEnvironment(autoescape=True), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _build_docx(values, labels):
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(1.8)
    style = document.styles["Normal"]
    style.font.name = "Liberation Sans"
    style.font.size = Pt(10.5)

    # Header: logo and company address, as in the company's document layout.
    header = section.header.paragraphs[0]
    if values["logo"]:
        header.add_run().add_picture(io.BytesIO(base64.b64decode(values["logo"])), height=Cm(1.6))
        header.add_run("\n")
    header.add_run(values["company_name"]).bold = True
    for line in values["company_address"]:
        header.add_run("\n" + line)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer_run = footer.add_run(_company_footer(values, labels))
    footer_run.font.size = Pt(8)

    # Recipient block on the right (window envelope).
    recipient = document.add_paragraph()
    recipient.paragraph_format.left_indent = Cm(9.5)
    recipient.add_run(values["payer_name"]).bold = True
    for line in values["payer_address"]:
        recipient.add_run("\n" + line)

    place = document.add_paragraph(
        labels["place_date"] % {"city": values["company_city"], "date": values["date"]}
        if values["company_city"]
        else values["date"]
    )
    place.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    document.add_heading(values["title"] or "", level=1)
    subject = document.add_paragraph()
    subject.add_run(labels["subject"] + " : ").bold = True
    subject.add_run(labels["invoice_subject"] % {"invoice": values["invoice_number"]})

    _add_paragraphs(document, values["intro"])

    columns = ["invoice", "invoice_date", "date_maturity", "days_late", "amount", "residual"]
    if values["show_penalties"]:
        columns.append("penalty")
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, column in zip(table.rows[0].cells, columns, strict=True):
        cell.text = labels[column]
        cell.paragraphs[0].runs[0].bold = True
    for row in values["lines"]:
        cells = table.add_row().cells
        for cell, column in zip(cells, columns, strict=True):
            cell.text = str(row[column])
    total = table.add_row().cells
    total[0].text = labels["total"]
    total[4].text = values["total_amount"]
    total[5].text = values["total_residual"]
    bold = [total[0], total[4], total[5]]
    if values["show_penalties"]:
        total[6].text = values["penalty_total"]
        bold.append(total[6])
    for cell in bold:
        cell.paragraphs[0].runs[0].bold = True
    if values["show_penalties"]:
        _add_claim(document, values, labels)

    document.add_paragraph()
    _add_paragraphs(document, values["closing"])
    _add_payment(document, values)
    signature = document.add_paragraph(values["company_name"])
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
