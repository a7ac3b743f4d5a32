"""Write examples/resnet_block.npz: deterministic He-initialised weights for resnet_block.mlir."""

from pathlib import Path

import numpy as np

from nntc.targets.weight_store import WeightStore

SHAPES = {
    "conv1.weight": (64, 3, 7, 7),
    "conv1.bias": (64,),
    "layer1.0.conv1.weight": (64, 64, 3, 3),
    "layer1.0.conv1.bias": (64,),
    "layer1.0.conv2.weight": (64, 64, 3, 3),
    "layer1.0.conv2.bias": (64,),
    "fc.weight": (64, 10),
    "fc.bias": (10,),
}


def main() -> None:
    rng = np.random.default_rng(18)
    store = WeightStore()
    for name, shape in SHAPES.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        store[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    store.save(Path(__file__).with_name("resnet_block.npz"))


if __name__ == "__main__":
    main()
