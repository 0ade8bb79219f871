from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestNoDemoModel(TransactionCase):
    """The production addon carries no demo data: the generator lives in the
    optim_relance_demo addon, which production databases do not install."""

    def test_no_demo_model_in_the_registry(self):
        self.assertNotIn("optim_relance.demo", self.env)

    def test_no_demo_model_of_the_addon(self):
        model_ids = (
            self.env["ir.model.data"]
            .search([("module", "=", "optim_relance"), ("model", "=", "ir.model")])
            .mapped("res_id")
        )
        self.assertTrue(model_ids, "the addon's own models are listed in ir.model.data")
        demo_models = (
            self.env["ir.model"].browse(model_ids).filtered(lambda model: "demo" in model.model)
        )
        self.assertFalse(demo_models.mapped("model"))

    def test_no_demo_data_files(self):
        self.assertFalse(get_manifest("optim_relance").get("demo"))
