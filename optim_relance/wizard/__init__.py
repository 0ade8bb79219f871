from . import relance_level_mixin
from . import relance_backfill_wizard
from . import relance_wizard
from . import relance_promise_wizard
from . import relance_aged_balance_wizard
from . import relance_dashboard
