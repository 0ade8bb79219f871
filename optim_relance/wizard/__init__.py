from . import relance_level_mixin
from . import relance_backfill_wizard
