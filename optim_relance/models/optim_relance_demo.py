from odoo import api, models


class OptimRelanceDemo(models.AbstractModel):
    _name = "optim_relance.demo"
    _description = "Optim'Relance demo data"

    @api.model
    def _load_demo(self):
        return True
