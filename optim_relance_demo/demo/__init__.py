from . import accounting
from . import generator
