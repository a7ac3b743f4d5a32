"""Every stored tensor of the INT8 acceptance models: simulator == `nntc-run --dump-all`, bit for bit.

For the digits CNN (its architecture, He-initialised here: the bits do not depend on training),
EfficientNet-Lite0 (ImageNet weights, 224 x 224) and ResNet-18 (1 x 3 x 64 x 64), `nntc-cali`
calibrates (`--methods max`, a few inputs) and writes `<net>_quant.mlir` and
`compilation.bmodel`. Then:

- `nntc-run <net>_quant.mlir --dump-all` executes the quant IR with the chip's integer
  arithmetic;
- the bmodel runs in the simulator, and each layer's result is read from DDR at the address the
  INT8 code generator gave it (the planned net is emitted again from the quant IR, and its bytes
  must equal `compilation.bmodel`, so the addresses are those of the simulated bmodel);
- every layer's tensor, dtype and bits, and the net outputs must be equal.

`SOURCE_DATE_EPOCH` fixes the bmodel's creation time so that the bytes compare. The three take
about 25 s on two shared cores (EfficientNet-Lite0 15 s of it).

The PP-OCRv4 detector (96 x 96) has float layers (F16 from a precision table, F32 where INT8 code
generation lacks the op), whose commands round differently from the numpy reference: there the
integer layers are compared bit for bit when fed the simulated float results, and each float
layer against the reference on its simulated inputs (about 30 s).
"""

from __future__ import annotations

import math
from pathlib import Path

import models
import numpy as np
import onnx
import pytest
from test_int8_acceptance import _digits_onnx
from xdsl.dialects.builtin import ModuleOp

from nntc.cali import main as cali_main
from nntc.ir_io import read_ir
from nntc.passes.lowering.int8 import Int8Net, emit_int8_net, plan_int8_net
from nntc.run import layer_entries
from nntc.run import main as run_main
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.bm1684x.simulator.engine import run_groups
from nntc.targets.weight_store import weight_store_of


@pytest.fixture(autouse=True)
def _fixed_bmodel_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")


def calibrate(
    tmp: Path, net: str, onnx_path: Path, input_name: str, samples: list[np.ndarray]
) -> Path:
    """`nntc-cali` on ready tensors (the last one held out); returns the result folder."""
    np.savez(tmp / "cali.npz", **{input_name: np.stack(samples)})
    shape = ",".join(str(d) for d in samples[0].shape)
    code = cali_main(
        [
            "--net_name", net, "--model", str(onnx_path), "--cali_npz", str(tmp / "cali.npz"),
            "--input_names", input_name, "--input_shapes", f"[{shape}]", "--methods", "max",
            "--holdout", "1", "--expected_cos", "0.5", "--outdir", str(tmp / "out"),
        ]
    )  # fmt: skip
    assert code == 0, f"nntc-cali exited with {code}"
    return tmp / "out" / f"{net}_batch1"


def simulate_layers(net: Int8Net, data: bytes, x: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Each layer's result as the simulator leaves it in DDR, in layer order."""
    sim = Simulator(data)
    mem = sim._fresh_memory()  # the per-tensor view needs the memory after the run
    for t in sim.inputs:
        sim._store_input(mem, t, x[t.name])
    run_groups(sim.groups, mem, sim.timing, sim.layers)
    dtypes = {"f32": np.float32, "i8": np.int8, "u8": np.uint8, "i32": np.int32}
    return [
        mem.read_bytes(ly.output.address, ly.output.nbytes).view(dtypes[ly.output.kind])
        for ly in net.layers
    ]


def assert_bit_exact(tmp: Path, folder: Path, net_name: str, x: dict[str, np.ndarray]) -> int:
    """Simulator vs `nntc-run --dump-all` on every layer; returns the number of layers."""
    quant = folder / f"{net_name}_quant.mlir"
    np.savez(tmp / "in.npz", **x)
    run_main(
        [str(quant), "--input", str(tmp / "in.npz"), "--output", str(tmp / "out.npz"),
         "--dump-all", str(tmp / "all.npz")]
    )  # fmt: skip
    module = read_ir(quant)
    net = plan_int8_net(module, net_name)
    store = weight_store_of(module)
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([emit_int8_net(net, store)]), store))
    assert data == (folder / "compilation.bmodel").read_bytes()
    simulated = simulate_layers(net, data, x)
    keys = [key for key, _, _ in layer_entries(module, net)]
    dumped = np.load(tmp / "all.npz")
    assert sorted(dumped.files) == sorted(keys)
    mismatched = []
    for key, sim, layer in zip(keys, simulated, net.layers, strict=True):
        if layer.name in net.lmem_only:
            continue  # never in DDR: checked through the layer that reads it from local memory
        ran = dumped[key]
        if ran.dtype != sim.dtype or not np.array_equal(ran.ravel(), sim):
            mismatched.append(key)
    assert not mismatched, f"{len(mismatched)} of {len(keys)} layers differ: {mismatched}"
    outputs = np.load(tmp / "out.npz")
    for name, buf in net.outputs:
        root = buf.root or buf
        index = next(i for i, ly in enumerate(net.layers) if (ly.output.root or ly.output) is root)
        assert outputs[name].dtype == np.float32 and outputs[name].shape == buf.io_shape
        assert np.array_equal(outputs[name].ravel(), simulated[index]), name
    return len(keys)


def calibrated_digits(tmp: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """The digits CNN (He-initialised) through nntc-cali: (result folder, a held-out input)."""
    rng = np.random.default_rng(7)
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (64, 32, 3, 3), (64,), (10, 64), (10,)]
    weights = [
        rng.standard_normal(s) * (math.sqrt(2.0 / math.prod(s[1:])) if len(s) > 1 else 0.1)
        for s in shapes
    ]
    path = tmp / "digits.onnx"
    onnx.save(_digits_onnx(weights), path)
    samples = [rng.uniform(0, 1, (1, 1, 8, 8)).astype(np.float32) for _ in range(5)]
    return calibrate(tmp, "digits", path, "input", samples[:4]), {"input": samples[4]}


def calibrated_resnet18_64(tmp: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """ResNet-18 at 64 x 64 through nntc-cali: (result folder, a held-out input)."""
    path = models.resnet18_onnx(input_size=64)
    samples = [models.sample_input((1, 3, 64, 64), seed) for seed in range(4)]
    return calibrate(tmp, "resnet18", path, "input", samples[:3]), {"input": samples[3]}


def test_digits_cnn(tmp_path: Path) -> None:
    folder, x = calibrated_digits(tmp_path)
    assert assert_bit_exact(tmp_path, folder, "digits", x) >= 8


def test_resnet18_64(tmp_path: Path) -> None:
    folder, x = calibrated_resnet18_64(tmp_path)
    assert assert_bit_exact(tmp_path, folder, "resnet18", x) >= 20


def test_efficientnet_lite0(tmp_path: Path) -> None:
    spec = models.MODELS["efficientnet-lite0"]
    if spec.missing():
        pytest.skip(f"EfficientNet-Lite0 needs {spec.needs}")
    path = spec.build()
    samples = [models.synthetic_image(224), models.sample_input((1, 3, 224, 224), 1)]
    folder = calibrate(tmp_path, "efficientnet", path, spec.input_name, samples)
    x = {spec.input_name: (0.5 * models.synthetic_image(224)[:, :, ::-1]).copy()}
    assert assert_bit_exact(tmp_path, folder, "efficientnet", x) >= 60


@pytest.mark.slow
def test_ppocrv4_det_96_mixed_precision(tmp_path: Path) -> None:
    """PP-OCRv4 detector on 96 x 96 crops of a text page, with the first blocks in F16 (a
    precision table, as mixed precision makes them) and the layers `quantize` keeps in float
    (SE gates, the head's deconvs): every integer layer and cast bit-exact when fed the
    simulated float layers' results, each float layer against the reference on the simulated
    inputs (`test_int8_f16.check_net`). Every result is stored (`store_all`) to compare it."""
    data = pytest.importorskip("skimage.data")
    ppocr = pytest.importorskip("models.ppocr")
    from test_int8_f16 import check_net
    from test_int8_ppocr import SIZE, _crop

    from nntc.passes.lowering.int8 import Float

    try:
        path = models.ppocrv4_det_onnx()
    except ppocr.MissingPackage as why:
        pytest.skip(str(why))
    page = data.page()
    samples = [_crop(page, y, x) for y, x in ((0, 0), (95, 96), (0, 192), (47, 250))]
    qtable = tmp_path / "qtable"
    # the stem conv, its depthwise conv, hard-swish and affine: a run mixed precision moves
    layers = ["p2o.BatchNormalization.0", "p2o.Add.2", "p2o.Div.0", "p2o.Mul.4", "p2o.Add.6"]
    qtable.write_text("".join(f"{name} F16\n" for name in layers))
    np.savez(tmp_path / "cali.npz", x=np.stack(samples[:3]))
    code = cali_main(
        [
            "--net_name", "ppocr", "--model", str(path), "--cali_npz", str(tmp_path / "cali.npz"),
            "--input_names", "x", "--input_shapes", f"[1,3,{SIZE},{SIZE}]", "--methods", "max",
            "--holdout", "1", "--expected_cos", "0.1", "--no_bias_correction",
            "--qtable", str(qtable), "--outdir", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    assert code == 0
    module = read_ir(tmp_path / "out" / "ppocr_batch1" / "ppocr_quant.mlir")
    net = plan_int8_net(module, "ppocr")
    store = weight_store_of(module)
    data_bytes = bmodel_bytes(ir_to_bmodel(ModuleOp([emit_int8_net(net, store, True)]), store))
    floats = [layer for layer in net.layers if isinstance(layer, Float)]
    assert {f.computes for f in floats} == {"f16", "f32"}
    assert len(net.layers) - len(floats) > 150
    check_net(net, data_bytes, [{"x": samples[3]}])
