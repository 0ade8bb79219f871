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

from odoo.exceptions import UserError, ValidationError
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


def render_letter_docx(letter):
    """``{invoice: docx bytes}`` for a letter: one Word letter per invoice."""
    result = {}
    env = letter.env
    template = letter.level_config_id.docx_template
    for invoice, lines in letter.line_ids.grouped("move_id").items():
        labels = _labels(env(context=dict(env.context, lang=letter.lang)))
        values = _xml_safe(_template_values(letter, invoice, lines))
        if template:
            try:
                result[invoice] = _render_docxtpl(base64.b64decode(template), values)
            except TEMPLATE_ERRORS as exc:
                raise UserError(
                    env._(
                        "The Word template of “%(level)s” could not be filled for %(invoice)s: "
                        "%(error)s",
                        level=letter.level_config_id.display_name,
                        invoice=invoice.name,
                        error=exc,
                    )
                ) from exc
        else:
            result[invoice] = _build_docx(letter, values, labels)
    return result


def _labels(env):
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
    }


def _template_values(letter, invoice, lines):
    """Every value of one Word letter, also the fields offered to a docxtpl template."""
    company = letter.company_id
    payer = letter.payer_id
    rows = letter._line_rows(lines)
    currency = letter.currency_id
    total_residual = currency.round(sum(lines.mapped("amount_residual_currency")))
    total_amount = currency.round(sum(lines.mapped("amount_currency")))
    # The texts speak of this invoice only: its total, its earlier reminders.
    context = letter._render_context(lines)
    intro_html, closing_html = letter._render_texts(lines)
    return {
        "company_name": company.name,
        "company_address": _address_lines(company.partner_id),
        "company_city": company.city or "",
        "company_footer": _company_footer(company),
        "payer_name": payer.name,
        "payer_address": _address_lines(payer),
        "title": letter.title,
        "date": letter._fmt_date(letter.date),
        "deadline": context["deadline_text"],
        "date_level_1": context["date_level_1"],
        "date_level_2": context["date_level_2"],
        "invoice_number": invoice.name,
        "invoice_date": letter._fmt_date(invoice.invoice_date),
        "intro": letter._paragraph_runs(intro_html),
        "closing": letter._paragraph_runs(closing_html),
        "lines": rows,
        "total_amount": letter._fmt_amount(total_amount),
        "total_residual": letter._fmt_amount(total_residual),
        "level": letter.level,
        "logo": company.logo,
    }


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
    }
    return {
        "company_name": "Société Exemple & Cie",
        "company_address": ["1 rue de la Paix", "75002 Paris"],
        "company_city": "Paris",
        "company_footer": "SIRET 000 000 000 00000",
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
        "lines": [{**row, "line": None}],
        "total_amount": row["amount"],
        "total_residual": row["residual"],
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


def _address_lines(partner):
    parts = [partner.street, partner.street2, f"{partner.zip or ''} {partner.city or ''}".strip()]
    if partner.country_id and partner.country_id.code != "FR":
        parts.append(partner.country_id.name)
    return [part for part in parts if part]


def _company_footer(company):
    """The company's legal mentions: its report footer, else its identifiers."""
    if company.report_footer and html2plaintext(company.report_footer).strip():
        return html2plaintext(company.report_footer).strip()
    bits = [company.name, company.company_registry and f"SIRET {company.company_registry}"]
    bits += [company.vat and f"TVA {company.vat}", company.phone, company.email]
    return " – ".join(bit for bit in bits if bit)


def _add_paragraphs(document, paragraphs):
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for text, bold in runs:
            paragraph.add_run(text).bold = bold


def _render_docxtpl(template_raw, values):
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(template_raw))
    # Plain values only, in a sandbox: a template is data, it must not reach
    # the ORM or Python internals. Every value is escaped whatever the
    # template: a contact's name must not add XML to the letter.
    context = {key: value for key, value in values.items() if key != "logo"}
    context["lines"] = [
        {key: value for key, value in row.items() if key != "line"} for row in values["lines"]
    ]
    # Texts as plain strings in a template: one string per paragraph.
    for key in ("intro", "closing"):
        context[key] = ["".join(text for text, _bold in runs) for runs in values[key]]
    document.render(context, jinja_env=SandboxedEnvironment(autoescape=True), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _build_docx(letter, values, labels):
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
    footer_run = footer.add_run(values["company_footer"])
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
    for cell in (total[0], total[4], total[5]):
        cell.paragraphs[0].runs[0].bold = True

    document.add_paragraph()
    _add_paragraphs(document, values["closing"])
    signature = document.add_paragraph(values["company_name"])
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
