from . import test_installments
from . import test_sequential_rule
from . import test_backfill
from . import test_access
from . import test_payer_panel
from . import test_tour
