from odoo import api, models

from ..tools import pdf_threads


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _build_wkhtmltopdf_args(self, *args, **kwargs):
        command_args = super()._build_wkhtmltopdf_args(*args, **kwargs)
        # The last database access before wkhtmltopdf runs: the next PDF
        # chunk of a batch may start rendering (see tools/pdf_threads).
        pdf_threads.release_turn()
        return command_args
