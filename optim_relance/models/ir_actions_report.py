from odoo import api, models

from ..tools import pdf_threads, report_layout

PRINT_DELAY_PARAM = "optim_relance.print_delay"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _build_wkhtmltopdf_args(self, *args, **kwargs):
        command_args = super()._build_wkhtmltopdf_args(*args, **kwargs)
        if self.env.context.get("optim_relance_letters") and "--javascript-delay" in command_args:
            # Odoo waits report.print_delay (1 s) per run for scripts to
            # render; reminder letters have none (same pages without the
            # wait, about 3 s less per run of 50 letters, see bench/README.md).
            delay = self.env["ir.config_parameter"].sudo().get_param(PRINT_DELAY_PARAM, "0")
            command_args[command_args.index("--javascript-delay") + 1] = delay
        # The last database access before wkhtmltopdf runs: another PDF
        # chunk of the batch may use the database meanwhile (tools/pdf_threads).
        pdf_threads.release_turn()
        return command_args

    def _relance_letters_layout(self):
        """The layout of a run of reminder letters (tools/report_layout)."""
        if not self.env.context.get("optim_relance_letters"):
            return None
        return self.env.ref("optim_relance.minimal_layout_letters", raise_if_not_found=False)

    def _get_layout(self):
        return self._relance_letters_layout() or super()._get_layout()

    def _prepare_html(self, html, report_model=False):
        if self._relance_letters_layout():
            # A run's letters share their company's header and footer: each
            # kept once, not once per letter on every page.
            html = report_layout.share_identical(html)
        return super()._prepare_html(html, report_model=report_model)

    def _run_wkhtmltopdf(self, *args, **kwargs):
        try:
            return super()._run_wkhtmltopdf(*args, **kwargs)
        finally:
            # What follows (the split per record, other modules' overrides)
            # may use the database again.
            pdf_threads.take_turn()
