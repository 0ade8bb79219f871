"""Counted nouns with real plurals: “1 facture reste impayée”, “3 factures
restent impayées”, never “facture(s)”."""


def plural(env, count, one, many):
    """``one`` or ``many`` (both already translated, with ``%(count)s``
    formatted in) for ``count`` in ``env``'s language: French takes the
    singular for 0 and 1, English for 1 only."""
    singular = count in (0, 1) if (env.lang or "").startswith("fr") else count == 1
    return one if singular else many
