# optim_relance — the commands a newcomer needs (see README.md)
.PHONY: demo test lint

demo:   ## fresh database with French demo data, then Odoo on http://127.0.0.1:8069
	bash scripts/demo.sh

test:   ## the whole test suite on a fresh database (what CI runs)
	bash scripts/test.sh

lint:   ## ruff + pylint-odoo
	bash scripts/lint.sh
