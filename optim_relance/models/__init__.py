from . import relance_level
from . import relance_history
from . import relance_letter
from . import account_move_line
from . import account_move
from . import res_partner
from . import res_company
