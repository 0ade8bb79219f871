def pre_init_hook(env):
    """Create the stored reminder columns by hand, filled in SQL.

    Without this the ORM would recompute ``reminder_payer_id`` and
    ``reminder_level`` for every journal item and invoice of an existing
    database at install time, which takes hours on a real ledger.
    """
    cr = env.cr
    cr.execute(
        """
        ALTER TABLE account_move ADD COLUMN IF NOT EXISTS reminder_payer_id integer;
        ALTER TABLE account_move_line ADD COLUMN IF NOT EXISTS reminder_payer_id integer;
        ALTER TABLE account_move_line
            ADD COLUMN IF NOT EXISTS reminder_level integer NOT NULL DEFAULT 0;
        UPDATE account_move m
           SET reminder_payer_id = p.commercial_partner_id
          FROM res_partner p
         WHERE p.id = m.partner_id
           AND m.move_type IN ('out_invoice', 'out_refund');
        UPDATE account_move_line l
           SET reminder_payer_id = m.reminder_payer_id
          FROM account_move m
         WHERE m.id = l.move_id AND m.reminder_payer_id IS NOT NULL;
        """
    )


def post_init_hook(env):
    """The reminder levels of the companies that exist at install: after the
    translations are loaded, so that the copies are in French too."""
    env["res.company"]._relance_create_levels()
