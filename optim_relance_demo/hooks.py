from .demo import generator


def post_init_hook(env):
    """The demo data, once, at install (see demo/generator.py)."""
    generator.load(env)
