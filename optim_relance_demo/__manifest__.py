{
    "name": "Optim'Relance – Données de démonstration",
    "summary": "French demo data for Optim'Relance: a Lyon building company, its customers "
    "and third-party payers, 18 months of invoices, payments and reminders",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "optim_relance",
    "website": "https://github.com/optim-relance/optim_relance",
    "license": "LGPL-3",
    "depends": ["optim_relance", "l10n_fr_account"],
    "post_init_hook": "post_init_hook",
}
