from odoo import api, models


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["relance.level"]._create_company_levels(companies)
        return companies

    @api.model
    def _relance_create_levels(self):
        """At install: the reminder levels of every existing company (a
        database holds a few companies, not enough to page through)."""
        companies = self.sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        self.env["relance.level"]._create_company_levels(companies)
