from . import demo
from .hooks import post_init_hook
