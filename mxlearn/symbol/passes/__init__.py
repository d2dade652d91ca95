"""Graph passes over Symbols (placeholders; being implemented)."""


def eliminate_dead_code(sym, keep=None):
    """Placeholder: returns ``sym`` unchanged."""
    return sym


def eliminate_common_subexpressions(sym):
    """Placeholder: returns ``sym`` unchanged."""
    return sym


def fuse_elementwise(sym):
    """Placeholder: returns ``sym`` unchanged."""
    return sym


def optimize(sym):
    """Placeholder: returns ``sym`` unchanged."""
    return sym


def plan_memory(sym, shapes, dtypes=None):
    """Placeholder: not implemented yet."""
    raise NotImplementedError('plan_memory is being implemented')


__all__ = ['eliminate_dead_code', 'eliminate_common_subexpressions',
           'fuse_elementwise', 'optimize', 'plan_memory']
