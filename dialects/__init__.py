"""The nntc dialects, one module each, registered lazily by name.

`get_all_dialects()` maps a dialect name to a factory that imports its module only when the
dialect is first needed, so tools start fast whatever the number of dialects.
"""

from collections.abc import Callable

from xdsl.ir import Dialect


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Return `{dialect name: factory}` for every nntc dialect."""

    def get_top() -> Dialect:
        from nntc.dialects.top import Top

        return Top

    def get_quant() -> Dialect:
        from nntc.dialects.quant import Quant

        return Quant

    def get_tpu() -> Dialect:
        from nntc.dialects.tpu import Tpu

        return Tpu

    def get_bm1684x() -> Dialect:
        from nntc.dialects.bm1684x import BM1684X

        return BM1684X

    return {
        "top": get_top,
        "quant": get_quant,
        "tpu": get_tpu,
        "bm1684x": get_bm1684x,
    }
