"""The nntc passes, one module per pass, registered lazily by their kebab-case name.

A pass named `foo-bar` lives in `passes/foo_bar.py`. To add one, write the module and add an entry
to `_PASS_CLASSES` below; `nntc-opt --help` and `-p` pick it up from here.
"""

import importlib
from collections.abc import Callable

from xdsl.passes import ModulePass

# pass name -> (module under nntc.passes, class name)
_PASS_CLASSES: dict[str, tuple[str, str]] = {
    "fold-constants": ("fold_constants", "FoldConstantsPass"),
    "import-calibration": ("import_calibration", "ImportCalibrationPass"),
    "quantize": ("quantize", "QuantizePass"),
    "lower-to-tpu": ("lower_to_tpu", "LowerToTpuPass"),
    "assign-gmem": ("assign_gmem", "AssignGmemPass"),
    "lower-to-bm1684x": ("lower_to_bm1684x", "LowerToBm1684xPass"),
    "layer-group": ("layer_group", "LayerGroupPass"),
    "lower-int8-to-bm1684x": ("lowering.int8", "LowerInt8ToBm1684xPass"),
    "top-infer-shapes": ("top_infer_shapes", "TopInferShapesPass"),
}


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Return `{pass name: factory}` for every nntc pass; the factory imports the pass module."""

    def factory(module: str, cls: str) -> Callable[[], type[ModulePass]]:
        def load() -> type[ModulePass]:
            return getattr(importlib.import_module(f"nntc.passes.{module}"), cls)

        return load

    return {name: factory(module, cls) for name, (module, cls) in _PASS_CLASSES.items()}
