"""Calibration datasets: image folder -> LMDB, LMDB reuse, npz tensors, and their errors."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nntc.ir_io import read_ir
from nntc.targets.calibration.dataset import (
    DatasetError,
    InputSpec,
    LmdbDataset,
    NpzDataset,
    build_image_lmdb,
    calibration_dataset,
    image_files,
    load_image,
    model_inputs,
)
from nntc.targets.calibration.preprocess import Preprocess, parse_preprocess
from nntc.targets.calibration.statistics import collect_statistics

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resnet_block.mlir"
SPEC = InputSpec("data", (1, 3, 24, 32))
PRE = parse_preprocess("mean_value=127.5;scale=0.0078125;bgr2rgb=True")


def write_images(folder: Path) -> list[str]:
    """Lossless images of several formats, sizes and modes, plus files to be ignored."""
    rng = np.random.default_rng(5)
    folder.mkdir(parents=True, exist_ok=True)
    names = ["b.png", "a.BMP", "c.png", "d.PNG"]
    Image.fromarray(rng.integers(0, 256, (40, 50, 3), np.uint8)).save(folder / "b.png")
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), np.uint8)).save(folder / "a.BMP")
    Image.fromarray(rng.integers(0, 256, (30, 30), np.uint8)).save(folder / "c.png")  # gray
    Image.fromarray(rng.integers(0, 256, (20, 20, 4), np.uint8)).save(folder / "d.PNG")  # RGBA
    (folder / "notes.txt").write_text("not an image")
    (folder / "sub.png").mkdir()
    return sorted(names)


def test_image_files_sorted_by_name(tmp_path: Path) -> None:
    names = write_images(tmp_path / "imgs")
    Image.new("RGB", (4, 4)).save(tmp_path / "imgs" / "e.jpeg")
    found = [p.name for p in image_files(tmp_path / "imgs")]
    assert found == sorted([*names, "e.jpeg"])
    with pytest.raises(DatasetError, match="no images .* in calibration folder"):
        image_files(tmp_path / "imgs" / "sub.png")
    with pytest.raises(DatasetError, match="does not exist"):
        image_files(tmp_path / "missing")


def test_images_to_lmdb_and_back(tmp_path: Path) -> None:
    names = write_images(tmp_path / "imgs")
    calls: list[tuple[int, int]] = []
    dataset = build_image_lmdb(
        tmp_path / "imgs",
        tmp_path / "out",
        SPEC,
        PRE,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(i, 4) for i in range(1, 5)]
    assert len(dataset) == 4 and dataset.input_names == ["data"]
    assert dataset.preprocess is not None
    assert parse_preprocess(dataset.preprocess) == PRE.for_input(SPEC.shape)
    resolved = PRE.for_input(SPEC.shape)
    reused = LmdbDataset(tmp_path / "out")  # --cali_lmdb
    for sample, name in zip(reused.samples(), names, strict=True):
        assert sample.source == name
        expected = resolved.apply(load_image(tmp_path / "imgs" / name))[None]
        assert sample.tensors["data"].dtype == np.float32
        np.testing.assert_array_equal(sample.tensors["data"], expected)
    assert [list(s) for s in reused] == [["data"]] * 4
    with pytest.raises(IndexError):
        reused.sample(4)


def test_lmdb_is_deterministic_and_replaced(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs")
    first = build_image_lmdb(tmp_path / "imgs", tmp_path / "one", SPEC, PRE)
    second = build_image_lmdb(tmp_path / "imgs", tmp_path / "two", SPEC, PRE)
    for a, b in zip(first.samples(), second.samples(), strict=True):
        assert a.source == b.source
        np.testing.assert_array_equal(a.tensors["data"], b.tensors["data"])
    again = build_image_lmdb(tmp_path / "imgs", tmp_path / "one", SPEC, PRE, limit=2)
    assert len(again) == 2 and [s.source for s in again.samples()] == ["a.BMP", "b.png"]
    # replacing with as many samples again must not overflow the map (nntc-cali reruns)
    for _ in range(2):
        full = build_image_lmdb(tmp_path / "imgs", tmp_path / "one", SPEC, PRE)
        assert len(full) == len(first)


def test_batch_repeats_the_image(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs")
    spec = InputSpec("data", (2, 3, 24, 32))
    sample = build_image_lmdb(tmp_path / "imgs", tmp_path / "out", spec, PRE).sample(0)
    assert sample.tensors["data"].shape == (2, 3, 24, 32)
    np.testing.assert_array_equal(sample.tensors["data"][0], sample.tensors["data"][1])


def test_corrupt_image_names_the_file(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs")
    (tmp_path / "imgs" / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    with pytest.raises(DatasetError, match=r"cannot read image '.*bad\.jpg'"):
        build_image_lmdb(tmp_path / "imgs", tmp_path / "out", SPEC, PRE)
    with pytest.raises(DatasetError, match="not an nntc calibration LMDB"):
        LmdbDataset(tmp_path / "out")  # the failed conversion left no dataset behind


def test_truncated_png_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(folder / "x.png")
    data = (folder / "x.png").read_bytes()
    (folder / "x.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"cannot read image '.*x\.png'"):
        build_image_lmdb(folder, tmp_path / "out", SPEC, PRE)


def test_preprocess_must_fit_the_input(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs")
    with pytest.raises(DatasetError, match=r"gray gives 1 channel\(s\), input 'data'"):
        build_image_lmdb(tmp_path / "imgs", tmp_path / "o", SPEC, parse_preprocess("gray=True"))
    with pytest.raises(DatasetError, match="no preprocessing for input 'data'"):
        build_image_lmdb(tmp_path / "imgs", tmp_path / "o", SPEC)


def test_not_an_lmdb_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="is not an LMDB folder"):
        LmdbDataset(tmp_path)


def test_npz_stacked_single_and_per_sample(tmp_path: Path) -> None:
    specs = [InputSpec("a", (1, 4)), InputSpec("b", (2, 2))]
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 1, 4)), rng.standard_normal((3, 2, 2))
    np.savez(tmp_path / "stacked.npz", a=a, b=b, extra=np.zeros(1))
    stacked = NpzDataset(tmp_path / "stacked.npz", specs)
    assert len(stacked) == 3
    got = list(stacked)
    np.testing.assert_allclose(got[2]["a"], a[2])
    np.testing.assert_allclose(got[1]["b"], b[1])
    assert got[0]["a"].dtype == np.float32

    np.savez(tmp_path / "single.npz", a=a[0], b=b[0])
    assert len(NpzDataset(tmp_path / "single.npz", specs)) == 1

    folder = tmp_path / "per_sample"
    folder.mkdir()
    for i in (2, 0, 1):
        np.savez(folder / f"s{i}.npz", a=a[i], b=b[i])
    samples = list(NpzDataset(folder, specs).samples())
    assert [s.source for s in samples] == ["s0.npz", "s1.npz", "s2.npz"]
    np.testing.assert_allclose(samples[1].tensors["b"], b[1])


def test_npz_errors(tmp_path: Path) -> None:
    specs = [InputSpec("a", (1, 4))]
    np.savez(tmp_path / "wrong_key.npz", x=np.zeros((1, 4)))
    with pytest.raises(DatasetError, match=r"lacks input\(s\) \['a'\]; it has \['x'\]"):
        NpzDataset(tmp_path / "wrong_key.npz", specs)
    np.savez(tmp_path / "wrong_shape.npz", a=np.zeros((2, 1, 5)))
    with pytest.raises(DatasetError, match=r"'a' has shape \[2, 1, 5\], expected \[1, 4\]"):
        NpzDataset(tmp_path / "wrong_shape.npz", specs)
    (tmp_path / "broken.npz").write_bytes(b"nope")
    with pytest.raises(DatasetError, match=r"cannot read npz '.*broken\.npz'"):
        NpzDataset(tmp_path / "broken.npz", specs)
    folder = tmp_path / "dir"
    folder.mkdir()
    np.savez(folder / "0.npz", a=np.zeros((1, 3)))
    with pytest.raises(DatasetError, match=r"0\.npz': 'a' has shape \[1, 3\]"):
        list(NpzDataset(folder, specs))
    with pytest.raises(DatasetError, match="does not exist"):
        NpzDataset(tmp_path / "missing.npz", specs)


def test_model_inputs_of_the_example() -> None:
    (spec,) = model_inputs(read_ir(EXAMPLE))
    assert spec.name == "input" and spec.shape == (1, 3, 224, 224)
    assert spec.preprocess is not None and spec.preprocess.pixel_format == "rgb"


def test_calibration_dataset_sources(tmp_path: Path) -> None:
    module = read_ir(EXAMPLE)
    write_images(tmp_path / "imgs")
    with pytest.raises(DatasetError, match="exactly one calibration source .* got 0"):
        calibration_dataset(module)
    with pytest.raises(DatasetError, match="got 2"):
        calibration_dataset(module, image_dir=tmp_path / "imgs", npz=tmp_path / "x.npz")
    # the top.input attributes preprocess the images unless a string overrides them
    from_ir = calibration_dataset(module, image_dir=tmp_path / "imgs", out_dir=tmp_path / "o1")
    assert from_ir.path == tmp_path / "o1" / "cali_lmdb"
    string = "resize_h=224,resize_w=224;mean_value=0;scale=1;bgr2rgb=True"
    raw = calibration_dataset(
        module, image_dir=tmp_path / "imgs", preprocess=string, out_dir=tmp_path / "o2"
    )
    example = Preprocess.from_input_op(
        next(op for op in module.walk() if op.name == "top.input")  # type: ignore[arg-type]
    )
    x_ir, x_raw = from_ir.sample(0).tensors["input"], raw.sample(0).tensors["input"]
    np.testing.assert_allclose(
        x_ir[0],
        (x_raw[0] - np.reshape(example.mean, (3, 1, 1))) * np.reshape(example.scale, (3, 1, 1)),
        rtol=1e-5,
        atol=1e-5,
    )
    reused = calibration_dataset(module, lmdb_dir=tmp_path / "o1" / "cali_lmdb")
    assert len(reused) == 4
    with pytest.raises(DatasetError, match=r"has inputs data\[1, 3, 24, 32\], the net takes"):
        calibration_dataset(
            module, lmdb_dir=build_image_lmdb(tmp_path / "imgs", tmp_path / "o3", SPEC, PRE).path
        )


def test_bundled_photos_through_the_example_block(tmp_path: Path) -> None:
    """Real photographs (scikit-image's bundled samples) -> LMDB -> statistics."""
    data = pytest.importorskip("skimage.data")
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut", "chelsea", "coffee"):
        Image.fromarray(getattr(data, name)()).save(folder / f"{name}.jpg", quality=90)
    module = read_ir(EXAMPLE)
    dataset = calibration_dataset(module, image_dir=folder, out_dir=tmp_path / "out")
    assert [s.source for s in dataset.samples()] == ["astronaut.jpg", "chelsea.jpg", "coffee.jpg"]
    x = dataset.sample(0).tensors["input"]
    assert x.shape == (1, 3, 224, 224)
    # ImageNet normalisation of natural images: roughly zero-centred, within a few units
    assert -2.5 < x.min() < 0 < x.max() < 3.0
    stats = collect_statistics(module, dataset)
    assert stats["input"].abs_max == pytest.approx(
        max(float(np.abs(s.tensors["input"]).max()) for s in dataset.samples())
    )
    assert stats["softmax"].samples == 3
