"""Translations out of and into nntc IR (ONNX import, BM1684X assembly and bmodel emission).

`get_all_targets()` maps an `-t` name of `nntc-opt` to a lazy factory of an xDSL `Target` class.
"""

import importlib
from collections.abc import Callable

from xdsl.utils.target import Target

# target name -> (module under nntc.targets, class name)
_TARGET_CLASSES: dict[str, tuple[str, str]] = {
    "bm1684x-asm": ("bm1684x.asm", "Bm1684xAsmTarget"),
    "bmodel": ("bm1684x.bmodel_ir", "BModelTarget"),
}


def get_all_targets() -> dict[str, Callable[[], type[Target]]]:
    """Return `{target name: factory}` for every nntc output target."""

    def factory(module: str, cls: str) -> Callable[[], type[Target]]:
        def load() -> type[Target]:
            return getattr(importlib.import_module(f"nntc.targets.{module}"), cls)

        return load

    return {name: factory(module, cls) for name, (module, cls) in _TARGET_CLASSES.items()}
