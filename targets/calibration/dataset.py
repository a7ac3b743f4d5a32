"""Calibration datasets: image folders converted to LMDB, reused LMDB folders, and npz tensors.

Three sources, the three flags of `nntc-cali`; each yields samples as `{input name: array}` with
exactly the shapes of the net's inputs (`func.func @main`'s arguments):

- `--cali_image_path DIR` (`build_image_lmdb`): the `.jpg`, `.jpeg`, `.png` and `.bmp` files
  directly in DIR (extension in any case), sorted by file name, each preprocessed once
  (`Preprocess.apply`) and written as one record of an LMDB dataset in an output folder, as NNTC
  does. A net with batch N > 1 gets the image repeated N times (TPU-MLIR's convention). Only nets
  with one input can be fed from images.
- `--cali_lmdb DIR` (`LmdbDataset`): such a folder, reused as it is.
- `--cali_npz PATH` (`NpzDataset`): ready tensors. PATH is either one `.npz` whose keys are the
  input names and whose arrays carry a leading sample dimension (`(S, *input_shape)`; an array of
  exactly the input's shape is one sample), or a folder of `.npz` files, one sample each, sorted by
  file name, with the input names as keys.

LMDB layout (format `nntc-calibration-lmdb`, version 1): record `b"%08d" % i` holds sample i as the
bytes of an uncompressed `.npz` with one float32 array per input (name, shape and dtype included)
and `__source__`, the name of the file it came from; record `b"__meta__"` holds JSON with the
format, version, sample count, input shapes and the preprocessing string. Records are written in
sample order in one transaction, so the folder is complete or absent from readers' point of view.

Long loops report progress through a callback `progress(done, total)` (the CLI draws its bars).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import lmdb
import numpy as np
from PIL import Image, UnidentifiedImageError
from xdsl.dialects.builtin import ModuleOp

from nntc.dialects import top
from nntc.targets.calibration.preprocess import Preprocess, PreprocessError

Progress = Callable[[int, int], None]
"""`progress(done, total)`, called after each sample."""

IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp")
LMDB_FORMAT = "nntc-calibration-lmdb"
LMDB_VERSION = 1
_META_KEY = b"__meta__"
_SOURCE_KEY = "__source__"


class DatasetError(Exception):
    """A calibration source that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Sample:
    """One calibration sample: the net's inputs by name, and where they came from."""

    source: str
    tensors: dict[str, np.ndarray]


@dataclass(frozen=True)
class InputSpec:
    """A net input: its graph name, its shape, and the preprocessing its `top.input` records."""

    name: str
    shape: tuple[int, ...]
    preprocess: Preprocess | None = None


def model_inputs(module: ModuleOp, function: str = "main") -> list[InputSpec]:
    """The inputs of `function`, named as the reference interpreter names them."""
    from nntc.targets.reference.interpreter import input_names, main_function

    fn = main_function(module, function)
    specs = []
    for name, arg in zip(input_names(fn), fn.body.block.args, strict=True):
        shape = tuple(arg.type.get_shape())  # type: ignore[attr-defined]
        preprocess = None
        users = [use.operation for use in arg.uses if isinstance(use.operation, top.InputOp)]
        if users and len(shape) == 4:
            try:
                preprocess = Preprocess.from_input_op(users[0])
            except PreprocessError:
                preprocess = None  # not an image input: the npz source still works
        specs.append(InputSpec(name, shape, preprocess))
    return specs


# --- images --------------------------------------------------------------------------------------


def image_files(directory: Path) -> list[Path]:
    """The image files directly in `directory`, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"calibration image folder '{directory}' does not exist")
    files = sorted(
        (p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda p: p.name,
    )
    if not files:
        raise DatasetError(
            f"no images ({', '.join(IMAGE_SUFFIXES)}) in calibration folder '{directory}'"
        )
    return files


def load_image(path: Path) -> Image.Image:
    """Open and decode an image completely, so that a truncated file fails here."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise DatasetError(f"cannot read image '{path}': {err}") from None


def _image_samples(
    files: Sequence[Path], spec: InputSpec, preprocess: Preprocess
) -> Iterator[Sample]:
    batch = spec.shape[0]
    for path in files:
        try:
            tensor = preprocess.apply(load_image(path))
        except PreprocessError as err:
            raise DatasetError(f"cannot preprocess image '{path}': {err}") from None
        batched = np.repeat(tensor[None], batch, axis=0)
        yield Sample(path.name, {spec.name: batched})


def build_image_lmdb(
    image_dir: Path,
    lmdb_dir: Path,
    spec: InputSpec,
    preprocess: Preprocess | None = None,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
) -> LmdbDataset:
    """Preprocess the images of `image_dir` for the net input `spec` into an LMDB in `lmdb_dir`.

    `preprocess` defaults to the one `spec` records (its `top.input`); it is completed and
    checked against the input's shape. `limit` keeps the first images (in name order).
    """
    chosen = preprocess or spec.preprocess
    if chosen is None:
        raise DatasetError(
            f"no preprocessing for input '{spec.name}': give a preprocessing string or a "
            f"top.input with image attributes"
        )
    try:
        resolved = chosen.for_input(spec.shape, spec.name)
    except PreprocessError as err:
        raise DatasetError(str(err)) from None
    files = image_files(image_dir)
    if limit is not None:
        files = files[:limit]
    return write_lmdb(
        _image_samples(files, spec, resolved),
        lmdb_dir,
        {spec.name: spec.shape},
        count=len(files),
        preprocess=resolved.to_string(),
        progress=progress,
    )


# --- LMDB ----------------------------------------------------------------------------------------


def _encode(sample: Sample) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **sample.tensors, **{_SOURCE_KEY: np.array(sample.source)})
    return buffer.getvalue()


def write_lmdb(
    samples: Iterable[Sample],
    lmdb_dir: Path,
    shapes: Mapping[str, Sequence[int]],
    *,
    count: int,
    preprocess: str | None = None,
    progress: Progress | None = None,
) -> LmdbDataset:
    """Write `count` samples, each with float32 tensors of `shapes`, as an LMDB in `lmdb_dir`.

    An LMDB already in the folder is replaced.
    """
    lmdb_dir = Path(lmdb_dir)
    lmdb_dir.mkdir(parents=True, exist_ok=True)
    # Start from empty files: dropping the old records inside the write transaction would keep
    # their pages until the commit, and the map sized for the new samples would overflow.
    for name in ("data.mdb", "lock.mdb"):
        (lmdb_dir / name).unlink(missing_ok=True)
    record = sum(4 * math.prod(shape) + 512 for shape in shapes.values()) + 1024
    # LMDB needs its maximum size up front; twice the payload covers pages and B-tree overhead.
    map_size = max(2 * record * max(count, 1), 1 << 22)
    try:
        env = lmdb.open(str(lmdb_dir), map_size=map_size, subdir=True, lock=True)
    except lmdb.Error as err:
        raise DatasetError(f"cannot create LMDB in '{lmdb_dir}': {err}") from None
    written = 0
    try:
        with env.begin(write=True) as txn:
            for sample in samples:
                _check_sample(sample, shapes)
                txn.put(b"%08d" % written, _encode(sample))
                written += 1
                if progress is not None:
                    progress(written, count)
            meta = {
                "format": LMDB_FORMAT,
                "version": LMDB_VERSION,
                "count": written,
                "inputs": {name: list(shape) for name, shape in shapes.items()},
                "preprocess": preprocess,
            }
            txn.put(_META_KEY, json.dumps(meta).encode())
    finally:
        env.close()
    return LmdbDataset(lmdb_dir)


def _check_sample(sample: Sample, shapes: Mapping[str, Sequence[int]]) -> None:
    if set(sample.tensors) != set(shapes):
        raise DatasetError(
            f"sample '{sample.source}' has inputs {sorted(sample.tensors)}, expected "
            f"{sorted(shapes)}"
        )
    for name, tensor in sample.tensors.items():
        if tuple(tensor.shape) != tuple(shapes[name]):
            raise DatasetError(
                f"sample '{sample.source}': input '{name}' has shape {list(tensor.shape)}, "
                f"expected {list(shapes[name])}"
            )


class LmdbDataset:
    """A calibration LMDB folder written by `write_lmdb` (`--cali_lmdb`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not (self.path / "data.mdb").is_file():
            raise DatasetError(f"'{self.path}' is not an LMDB folder (no data.mdb)")
        with self._open() as env, env.begin() as txn:
            raw = txn.get(_META_KEY)
        try:
            meta = json.loads(raw) if raw is not None else None
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != LMDB_FORMAT:
            raise DatasetError(f"'{self.path}' is not an nntc calibration LMDB (no metadata)")
        if meta.get("version") != LMDB_VERSION:
            raise DatasetError(
                f"'{self.path}' has calibration LMDB version {meta.get('version')}, this nntc "
                f"reads version {LMDB_VERSION}"
            )
        self.count: int = int(meta["count"])
        self.shapes: dict[str, tuple[int, ...]] = {
            name: tuple(shape) for name, shape in meta["inputs"].items()
        }
        self.preprocess: str | None = meta.get("preprocess")

    @contextlib.contextmanager
    def _open(self) -> Iterator[lmdb.Environment]:
        # py-lmdb refuses a second handle on one environment in a process, so handles are
        # short-lived: several datasets on one folder, and rewriting it, stay possible
        try:
            env = lmdb.open(str(self.path), readonly=True, lock=False, readahead=False)
        except lmdb.Error as err:
            raise DatasetError(f"cannot open LMDB '{self.path}': {err}") from None
        try:
            yield env
        finally:
            env.close()

    @property
    def input_names(self) -> list[str]:
        return list(self.shapes)

    def __len__(self) -> int:
        return self.count

    def sample(self, index: int) -> Sample:
        if not 0 <= index < self.count:
            raise IndexError(f"sample {index} out of range (the dataset has {self.count})")
        with self._open() as env, env.begin() as txn:
            return self._decode(index, txn.get(b"%08d" % index))

    def _decode(self, index: int, raw: bytes | None) -> Sample:
        if raw is None:
            raise DatasetError(f"LMDB '{self.path}' has no record for sample {index}")
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
                source = str(arrays[_SOURCE_KEY])
                tensors = {name: arrays[name] for name in self.shapes}
        except (ValueError, KeyError, OSError) as err:
            raise DatasetError(f"LMDB '{self.path}': sample {index} is corrupt: {err}") from None
        return Sample(source, tensors)

    def samples(self) -> Iterator[Sample]:
        with self._open() as env, env.begin() as txn:
            for index in range(self.count):
                yield self._decode(index, txn.get(b"%08d" % index))

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        for sample in self.samples():
            yield sample.tensors

    def check_inputs(self, specs: Sequence[InputSpec]) -> None:
        """Check that the dataset feeds exactly these net inputs."""
        _check_shapes(str(self.path), self.shapes, specs)


# --- npz -----------------------------------------------------------------------------------------


class NpzDataset:
    """Ready input tensors (`--cali_npz`): one stacked `.npz`, or a folder of per-sample `.npz`."""

    def __init__(self, path: Path, specs: Sequence[InputSpec]) -> None:
        self.path = Path(path)
        self.shapes = {spec.name: tuple(spec.shape) for spec in specs}
        self._files: list[Path] = []
        self._stacked: dict[str, np.ndarray] = {}
        if self.path.is_dir():
            self._files = sorted(
                (p for p in self.path.iterdir() if p.suffix.lower() == ".npz"),
                key=lambda p: p.name,
            )
            if not self._files:
                raise DatasetError(f"no .npz files in '{self.path}'")
            self.count = len(self._files)
        elif self.path.is_file():
            arrays = _read_npz(self.path)
            _check_keys(self.path, arrays, self.shapes)
            counts = {}
            for name, shape in self.shapes.items():
                array = arrays[name]
                if array.shape == shape:
                    array = array[None]
                if array.shape[1:] != shape:
                    raise DatasetError(
                        f"'{self.path}': '{name}' has shape {list(array.shape)}, expected "
                        f"{list(shape)} or [samples, {', '.join(map(str, shape))}]"
                    )
                self._stacked[name] = array
                counts[name] = array.shape[0]
            if len(set(counts.values())) > 1:
                raise DatasetError(f"'{self.path}': inputs have different sample counts {counts}")
            self.count = next(iter(counts.values()), 0)
        else:
            raise DatasetError(f"calibration npz '{self.path}' does not exist")

    @property
    def input_names(self) -> list[str]:
        return list(self.shapes)

    def __len__(self) -> int:
        return self.count

    def sample(self, index: int) -> Sample:
        if not 0 <= index < self.count:
            raise IndexError(f"sample {index} out of range (the dataset has {self.count})")
        if not self._files:
            tensors = {
                name: np.asarray(array[index], dtype=np.float32)
                for name, array in self._stacked.items()
            }
            return Sample(f"{self.path.name}[{index}]", tensors)
        path = self._files[index]
        arrays = _read_npz(path)
        _check_keys(path, arrays, self.shapes)
        for name, shape in self.shapes.items():
            if arrays[name].shape != shape:
                raise DatasetError(
                    f"'{path}': '{name}' has shape {list(arrays[name].shape)}, expected "
                    f"{list(shape)}"
                )
        tensors = {name: np.asarray(arrays[name], dtype=np.float32) for name in self.shapes}
        return Sample(path.name, tensors)

    def samples(self) -> Iterator[Sample]:
        for index in range(self.count):
            yield self.sample(index)

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        for sample in self.samples():
            yield sample.tensors


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as err:
        raise DatasetError(f"cannot read npz '{path}': {err}") from None


def _check_keys(path: Path, arrays: Mapping[str, np.ndarray], shapes: Mapping[str, object]):
    missing = [name for name in shapes if name not in arrays]
    if missing:
        raise DatasetError(
            f"'{path}' lacks input(s) {missing}; it has {sorted(arrays)}, the net takes "
            f"{list(shapes)}"
        )


def _check_shapes(
    where: str, shapes: Mapping[str, tuple[int, ...]], specs: Sequence[InputSpec]
) -> None:
    expected = {spec.name: tuple(spec.shape) for spec in specs}
    if shapes != expected:
        raise DatasetError(
            f"dataset '{where}' has inputs {_describe(shapes)}, the net takes {_describe(expected)}"
        )


def _describe(shapes: Mapping[str, tuple[int, ...]]) -> str:
    return ", ".join(f"{name}{list(shape)}" for name, shape in shapes.items())


# --- the CLI's entry point -----------------------------------------------------------------------


def calibration_dataset(
    module: ModuleOp,
    *,
    image_dir: Path | None = None,
    preprocess: str | Preprocess | None = None,
    lmdb_dir: Path | None = None,
    npz: Path | None = None,
    out_dir: Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> LmdbDataset | NpzDataset:
    """The dataset `nntc-cali` calibrates `module` on, from exactly one of its three sources.

    Images are converted into `out_dir/cali_lmdb` (`preprocess` overrides the `top.input`
    attributes); `lmdb_dir` and `npz` are checked against the net's inputs.
    """
    specs = model_inputs(module)
    given = [name for name, v in (("image", image_dir), ("lmdb", lmdb_dir), ("npz", npz)) if v]
    if len(given) != 1:
        raise DatasetError(
            f"give exactly one calibration source (--cali_image_path, --cali_lmdb or --cali_npz), "
            f"got {len(given)}"
        )
    if npz is not None:
        return NpzDataset(npz, specs)
    if lmdb_dir is not None:
        dataset = LmdbDataset(lmdb_dir)
        dataset.check_inputs(specs)
        return dataset
    assert image_dir is not None
    if len(specs) != 1:
        raise DatasetError(
            f"images can feed a net with one input; this one takes {len(specs)} "
            f"({', '.join(s.name for s in specs)}): use --cali_npz"
        )
    if out_dir is None:
        raise DatasetError("converting images needs an output folder for the LMDB")
    chosen = Preprocess.parse(preprocess) if isinstance(preprocess, str) else preprocess
    return build_image_lmdb(
        image_dir, Path(out_dir) / "cali_lmdb", specs[0], chosen, limit=limit, progress=progress
    )


__all__ = [
    "IMAGE_SUFFIXES",
    "DatasetError",
    "InputSpec",
    "LmdbDataset",
    "NpzDataset",
    "Progress",
    "Sample",
    "build_image_lmdb",
    "calibration_dataset",
    "image_files",
    "load_image",
    "model_inputs",
    "write_lmdb",
]
