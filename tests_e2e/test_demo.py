"""The demo database, built as a newcomer builds it: ``scripts/demo.sh
--no-start`` (French database, l10n_fr_account, then the optim_relance_demo
addon), its printed summary, then the database itself read with psql.

One database for the class, dropped with its filestore at the end.
"""

import os
import re
import shutil
import subprocess
import unittest
from pathlib import Path

from . import harness

DEMO_TIMEOUT = 900  # seconds: database creation, two Odoo runs, the check
DEMO_MODULE = "optim_relance_demo"
COMPANY_LINE = "Bâtiments Durand & Fils SAS (chart fr, fr_FR)"
DEMO_INVOICES = 124  # the generator's NB_INVOICES (account's demo ones are in its other company)
# the generator's targets on open installments: 25 at level 1, 10 at 2, 4 at 3
# (well below the candidates it draws from)
REMINDED = {1: 25, 2: 10, 3: 4}
DEMO_XMLIDS = 45  # bank account, 2 terms, 10 products, 4 payers, 26 customers, 1 address, 1 user
BUCKETS = ("not yet due", "1-30 days", "31-60 days", "61-90 days", "over 90 days")


def psql(db, query):
    result = subprocess.run(
        ["psql", "-d", db, "-XAtc", query],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def remove_filestore(db):
    shutil.rmtree(Path.home() / ".local/share/Odoo/filestore" / db, ignore_errors=True)


class TestDemo(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        harness.check_prerequisites()
        cls.db = f"optim_relance_demo_e2e_{os.getpid()}"
        cls.addClassCleanup(remove_filestore, cls.db)
        cls.addClassCleanup(harness.drop_database, cls.db)
        env = {
            **os.environ,
            "DEMO_DB": cls.db,
            "ODOO_HOME": str(harness.ODOO_HOME),
            "ODOO_VENV": str(harness.ODOO_VENV),
        }
        env.pop("DEMO_NO_START", None)
        cls.proc = subprocess.run(
            ["bash", str(harness.PROJECT_ROOT / "scripts" / "demo.sh"), "--no-start"],
            cwd=harness.PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT,
            check=False,
        )
        log = re.search(r"\(log: (\S+)\)", cls.proc.stderr)
        cls.log_path = log and log.group(1)
        if cls.proc.returncode:
            print(f"\n----- demo.sh stdout -----\n{cls.proc.stdout}")
            print(f"----- demo.sh stderr -----\n{cls.proc.stderr}")
            if cls.log_path:
                harness.print_log_tail(cls.log_path, "demo.sh")
        elif cls.log_path:
            cls.addClassCleanup(Path(cls.log_path).unlink, missing_ok=True)
        cls.summary = {}
        for line in cls.proc.stdout.splitlines():
            match = re.match(r"\s+(company|invoices|to collect|reminded|worklist)\s{2,}(.*)$", line)
            if match:
                cls.summary[match.group(1)] = match.group(2).strip()

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, "scripts/demo.sh --no-start failed")

    # ------------------------------------------------------------------
    # What demo.sh prints
    # ------------------------------------------------------------------
    def test_ready(self):
        self.assertIn(f"demo database {self.db} ready in", self.proc.stderr)
        self.assertIn("installing optim_relance_demo", self.proc.stderr)
        self.assertIn("not starting Odoo (--no-start)", self.proc.stderr)

    def test_summary_company(self):
        self.assertEqual(self.summary.get("company"), COMPANY_LINE)

    def test_summary_invoices(self):
        match = re.fullmatch(r"(\d+) posted", self.summary.get("invoices", ""))
        self.assertTrue(match, self.summary)
        self.assertEqual(int(match.group(1)), DEMO_INVOICES)

    def test_summary_to_collect(self):
        text = self.summary.get("to collect", "")
        match = re.fullmatch(r"(\d+) installments: (.*)", text)
        self.assertTrue(match, self.summary)
        total = int(match.group(1))
        buckets = {
            name: int(count)
            for count, name in re.findall(r"(\d+) ([a-z0-9 -]+?)(?:, |$)", match.group(2))
        }
        self.assertEqual(list(buckets), list(BUCKETS), text)
        self.assertEqual(sum(buckets.values()), total, text)
        self.assertGreaterEqual(total, sum(REMINDED.values()))
        self.assertGreater(buckets["over 90 days"], 0, text)

    def test_summary_reminded(self):
        self.assertEqual(
            self.summary.get("reminded"),
            ", ".join(f"level {level}: {count}" for level, count in REMINDED.items()),
        )

    def test_summary_worklist(self):
        # dated from the day it is built: something is to remind on any day
        text = self.summary.get("worklist", "")
        match = re.fullmatch(
            r"(\d+) to remind today, 2 disputes, 1 promise pending, 1 promise broken, "
            r"1 payer excluded",
            text,
        )
        self.assertTrue(match, self.summary)
        self.assertGreater(int(match.group(1)), 0)

    # ------------------------------------------------------------------
    # The database
    # ------------------------------------------------------------------
    def test_modules_installed(self):
        states = dict(
            line.split("|")
            for line in psql(
                self.db,
                "SELECT name, state FROM ir_module_module "
                "WHERE name IN ('optim_relance', 'optim_relance_demo', 'l10n_fr_account')",
            ).splitlines()
        )
        self.assertEqual(
            states,
            {
                "optim_relance": "installed",
                DEMO_MODULE: "installed",
                "l10n_fr_account": "installed",
            },
        )

    def test_no_demo_model(self):
        self.assertEqual(
            psql(self.db, "SELECT count(*) FROM ir_model WHERE model = 'optim_relance.demo'"), "0"
        )

    def test_demo_records_belong_to_the_demo_addon(self):
        self.assertEqual(
            psql(
                self.db,
                f"SELECT count(*) FROM ir_model_data WHERE module = '{DEMO_MODULE}' "
                "AND name LIKE 'demo\\_%'",
            ),
            str(DEMO_XMLIDS),
        )
        self.assertEqual(
            psql(
                self.db,
                "SELECT count(*) FROM ir_model_data WHERE module = 'optim_relance' "
                "AND name LIKE 'demo\\_%'",
            ),
            "0",
        )
        demo_invoices = psql(
            self.db,
            "SELECT count(*) FROM account_move m "
            "JOIN res_partner p ON p.id = m.partner_id "
            "JOIN ir_model_data d ON d.model = 'res.partner' "
            f"AND d.res_id = p.commercial_partner_id AND d.module = '{DEMO_MODULE}' "
            "WHERE m.move_type = 'out_invoice' AND m.state = 'posted'",
        )
        self.assertEqual(demo_invoices, str(DEMO_INVOICES))

    def test_reminders_recorded(self):
        # open installments reminded (1 + 2 + 3 records per level reached),
        # plus up to a few more on invoices paid after a first reminder
        history = int(psql(self.db, "SELECT count(*) FROM relance_history"))
        self.assertGreaterEqual(history, sum(level * n for level, n in REMINDED.items()))


if __name__ == "__main__":
    unittest.main()
