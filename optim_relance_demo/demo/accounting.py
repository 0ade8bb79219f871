"""Accounting pieces shared by the demo data (``generator.py``) and the
benchmark (``bench/bench_relance.py``): the company's own journals, income
account and sale tax; payment terms in N equal installments; customer
invoices created and posted by batches.

Plain functions of an environment or a company, no model: the benchmark
imports this module (``odoo.addons.optim_relance_demo.demo.accounting``)
from the addons path in a database where this addon is not installed.
"""

import time
from itertools import islice

from odoo import Command

FIRST_DUE_DAYS = 30  # the first installment of a term, in days from the invoice date


def company_accounts(company):
    """The company's first sale and bank journals (by sequence), its income
    account (the sale journal's default one, else the first income account)
    and its default sale tax, whatever its chart of accounts.

    :return: ``{"sale_journal", "bank_journal", "income", "tax"}``
    """
    env = company.env
    Journal = env["account.journal"]
    company_domain = Journal._check_company_domain(company)
    sale_journal = Journal.search([*company_domain, ("type", "=", "sale")], limit=1)
    bank_journal = Journal.search([*company_domain, ("type", "=", "bank")], limit=1)
    Account = env["account.account"]
    income = sale_journal.default_account_id or Account.search(
        [*Account._check_company_domain(company), ("account_type", "=", "income")],
        limit=1,
    )
    return {
        "sale_journal": sale_journal,
        "bank_journal": bank_journal,
        "income": income,
        "tax": company.account_sale_tax_id,
    }


# ----------------------------------------------------------------------
# Payment terms in N installments
# ----------------------------------------------------------------------
def installment_days(count):
    """Days from the invoice date to each of ``count`` installments: 30 for
    one; 30 and 60 for two; every 15 days from 30 for more."""
    step = 30 if count <= 2 else 15
    return [FIRST_DUE_DAYS + index * step for index in range(count)]


def term_span(count):
    """Days from the invoice date to the last of ``count`` installments."""
    return installment_days(count)[-1]


def installment_term_vals(count, name, note=False):
    """Values of an ``account.payment.term`` in ``count`` equal parts (rounded
    to the cent of a percent, the last one takes the rest), due on
    ``installment_days(count)``."""
    parts = [round(100.0 / count, 2)] * count
    parts[-1] = round(100.0 - sum(parts[:-1]), 2)
    vals = {
        "name": name,
        "line_ids": [
            Command.create({"value": "percent", "value_amount": part, "nb_days": days})
            for part, days in zip(parts, installment_days(count), strict=True)
        ],
    }
    if note:
        vals["note"] = note
    return vals


# ----------------------------------------------------------------------
# Invoices
# ----------------------------------------------------------------------
def create_invoices(env, vals_list, batch_size=None, keep_draft=None, commit=False, progress=None):
    """Create the customer invoices (or credit notes) of ``vals_list`` (any
    iterable, read one batch at a time) by ``batch_size`` (all at once when
    None), mail tracking off, and post each batch in its order, except the
    moves ``keep_draft(batch)`` returns. ``commit``: commit and empty the
    cache after each batch (large data sets). ``progress(created)`` after
    each batch.

    :return: ``(moves, create_seconds, post_seconds)``; the creation time
        includes building the values of a batch, the posting time the commit
    """
    Move = env["account.move"].with_context(tracking_disable=True)
    moves = Move.browse()
    create_seconds = post_seconds = 0.0
    vals_iter = iter(vals_list)
    while True:
        t0 = time.perf_counter()
        chunk = list(islice(vals_iter, batch_size))
        if not chunk:
            break
        batch = Move.create(chunk)
        t1 = time.perf_counter()
        drafts = keep_draft(batch) if keep_draft else Move.browse()
        (batch - drafts).action_post()
        if commit:  # the caller's own transaction: the benchmark's generation
            env.cr.commit()  # pylint: disable=invalid-commit
            env.invalidate_all()
        create_seconds += t1 - t0
        post_seconds += time.perf_counter() - t1
        moves += batch
        if progress:
            progress(len(moves))
    return moves, create_seconds, post_seconds
