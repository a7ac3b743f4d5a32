"""The side-car weight store: named arrays that IR refers to by name (`top.weight "conv1.w"`).

Printing a 25M-parameter model inline would make IR of hundreds of megabytes, so, as TPU-MLIR does,
the arrays live in an `.npz` next to the `.mlir`. The module records the file in its attribute
`nntc.weights` (a path relative to the directory of the `.mlir` file, or to the working directory
when the IR comes from stdin). Passes reach the arrays through `weight_store_of(module)`, which
nntc-opt fills before the pipeline runs; a pass that creates or changes a weight calls `store[name] =
array` and the driver writes the updated store next to `-o` afterwards.

IR printed without a file to put an `.npz` next to (nntc-opt to stdout) carries its changed weights
inline instead: a float `top.weight` as its own `dense<...>` value, and every other one (quantized
weights, whose element type has no numpy dtype, and the byte blobs of `bm1684x` ops) in the module
attribute `nntc.inline_weights`, a dictionary from weight name to a `dense<...>` of the array's own
numpy dtype (the storage integers of a quantized weight). `load_weight_store` moves that dictionary
into the store, where its entries take precedence over the `.npz`, so such IR reads back as it was.
"""

from __future__ import annotations

import weakref
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    TensorType,
)
from xdsl.ir import Attribute, Operation

from nntc.targets.atomic import atomic_path

WEIGHTS_ATTR = "nntc.weights"
"""Module attribute naming the side-car `.npz` file."""

INLINE_WEIGHTS_ATTR = "nntc.inline_weights"
"""Module attribute holding weights printed inline: `{name = dense<...> : tensor<...>, ...}`."""


class WeightStoreError(Exception):
    """A weight store could not be read, or a weight is missing or inconsistent."""


class WeightStore:
    """Named numpy arrays, loaded lazily from an `.npz` file and tracked for changes."""

    def __init__(self, path: Path | None = None, arrays: dict[str, np.ndarray] | None = None):
        self.path = path
        self._npz: np.lib.npyio.NpzFile | None = None
        self._arrays: dict[str, np.ndarray] = dict(arrays or {})
        self._changed: set[str] = set()
        if path is not None:
            try:
                self._npz = np.load(path, allow_pickle=False)
            except FileNotFoundError:
                raise WeightStoreError(f"{path}: weight store not found") from None
            except (OSError, ValueError, zipfile.BadZipFile) as err:
                raise WeightStoreError(
                    f"{path}: not a readable .npz weight store ({err})"
                ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._arrays or (self._npz is not None and name in self._npz.files)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            if self._npz is None or name not in self._npz.files:
                where = f" in {self.path}" if self.path else ""
                raise WeightStoreError(f"weight '{name}' not found{where}")
            try:
                self._arrays[name] = self._npz[name]
            except (OSError, ValueError, zipfile.BadZipFile) as err:
                raise WeightStoreError(
                    f"{self.path}: cannot read weight '{name}' ({err})"
                ) from None
        return self._arrays[name]

    def __setitem__(self, name: str, array: np.ndarray) -> None:
        self._arrays[name] = np.asarray(array, order="C")  # keeps 0-d (ascontiguousarray: 1-d)
        self._changed.add(name)

    def names(self) -> list[str]:
        files = list(self._npz.files) if self._npz is not None else []
        return sorted(set(files) | set(self._arrays))

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    @property
    def changed(self) -> frozenset[str]:
        """Names created or overwritten since the store was loaded."""
        return frozenset(self._changed)

    @property
    def dirty(self) -> bool:
        return bool(self._changed)

    def unique_name(self, base: str) -> str:
        """A name not used yet: `base`, else `base_1`, `base_2`, ..."""
        if base not in self:
            return base
        i = 1
        while f"{base}_{i}" in self:
            i += 1
        return f"{base}_{i}"

    def save(self, path: Path, names: Iterable[str] | None = None) -> None:
        """Write `names` (default: all) to `path` atomically, in sorted order for identical bytes."""
        selected = sorted(set(self.names() if names is None else names))
        arrays = {name: self[name] for name in selected}
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as stream:
            _write_npz_deterministic(stream, arrays)
        self.path = path
        self._npz = None
        self._arrays.update(arrays)
        self._changed.clear()


def _write_npz_deterministic(stream: object, arrays: dict[str, np.ndarray]) -> None:
    """Like `np.savez`, but with fixed zip timestamps so equal inputs give equal bytes."""
    with zipfile.ZipFile(stream, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


_STORES: weakref.WeakKeyDictionary[ModuleOp, WeightStore] = weakref.WeakKeyDictionary()


def weight_store_of(module: ModuleOp) -> WeightStore:
    """The store attached to `module` (an empty one is attached if there is none)."""
    store = _STORES.get(module)
    if store is None:
        store = _STORES[module] = WeightStore()
    return store


def attach_weight_store(module: ModuleOp, store: WeightStore) -> None:
    _STORES[module] = store


def load_weight_store(module: ModuleOp, ir_path: Path | None) -> WeightStore:
    """Attach the store the module's `nntc.weights` attribute names (relative to the IR file)."""
    attr = module.attributes.get(WEIGHTS_ATTR)
    if attr is None:
        store = WeightStore()
    else:
        if not isinstance(attr, StringAttr):
            raise WeightStoreError(f"module attribute '{WEIGHTS_ATTR}' must be a string path")
        base = ir_path.parent if ir_path is not None else Path.cwd()
        store = WeightStore(base / attr.data)
    inline = module.attributes.pop(INLINE_WEIGHTS_ATTR, None)
    if inline is not None:
        if not isinstance(inline, DictionaryAttr):
            raise WeightStoreError(
                f"module attribute '{INLINE_WEIGHTS_ATTR}' must be a dictionary of dense arrays"
            )
        for name, value in inline.data.items():
            if not isinstance(value, DenseIntOrFPElementsAttr):
                raise WeightStoreError(
                    f"weight '{name}' in module attribute '{INLINE_WEIGHTS_ATTR}' must be a "
                    f"dense<...> array, got {value}"
                )
            # Marked as changed: the next output (file or stdout) must carry them on.
            store[name] = dense_to_numpy(value)
    attach_weight_store(module, store)
    return store


def inline_weights_attr(store: WeightStore, names: Iterable[str]) -> DictionaryAttr:
    """The `nntc.inline_weights` dictionary of `names`, sorted so that equal stores print equally."""
    return DictionaryAttr({name: array_to_dense(store[name], name) for name in sorted(set(names))})


def weight_ops(module: Operation) -> list[Operation]:
    """Every op that names a weight (anything with a `weight_name` string property)."""
    return [op for op in module.walk() if isinstance(op.properties.get("weight_name"), StringAttr)]


def weight_value(op: Operation, store: WeightStore) -> np.ndarray:
    """The array of a weight op: its inline `value` if it has one, else the store's entry."""
    inline = op.properties.get("value")
    result_type = op.results[0].type
    if isinstance(inline, DenseIntOrFPElementsAttr):
        return dense_to_numpy(inline)
    name = op.properties["weight_name"]
    assert isinstance(name, StringAttr)
    array = store[name.data]
    if isinstance(result_type, TensorType) and tuple(array.shape) != tuple(result_type.get_shape()):
        raise WeightStoreError(
            f"weight '{name.data}' has shape {list(array.shape)} in the store but the IR declares "
            f"{list(result_type.get_shape())}"
        )
    return array


_NUMPY_OF_MLIR = {
    "f16": np.float16,
    "f32": np.float32,
    "f64": np.float64,
    "i1": np.bool_,
}


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The numpy dtype that holds a builtin element type (bf16 is held as its f32 value)."""
    text = str(element_type)
    if text in _NUMPY_OF_MLIR:
        return np.dtype(_NUMPY_OF_MLIR[text])
    if text == "bf16":
        return np.dtype(np.float32)
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        unsigned = element_type.signedness.data == Signedness.UNSIGNED
        return np.dtype(f"{'u' if unsigned else 'i'}{max(1, width // 8)}")
    raise WeightStoreError(f"no numpy dtype for element type {text}")


def dense_to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    shape = tuple(attr.get_shape() or ())
    element_type = attr.get_element_type()
    dtype = numpy_dtype(element_type)
    if str(element_type) == "bf16":
        return np.array(attr.get_values(), dtype=np.float32).reshape(shape)
    if dtype == np.bool_:  # the parser stores `true` as 0xff, which is no valid numpy bool
        return (np.frombuffer(attr.data.data, dtype=np.uint8) != 0).reshape(shape)
    return np.frombuffer(attr.data.data, dtype=dtype).reshape(shape).copy()


def numpy_to_dense(array: np.ndarray, tensor_type: TensorType) -> DenseIntOrFPElementsAttr:
    dtype = numpy_dtype(tensor_type.get_element_type())
    data = np.ascontiguousarray(array, dtype=dtype)
    return DenseIntOrFPElementsAttr(tensor_type, BytesAttr(data.tobytes()))


def array_to_dense(array: np.ndarray, name: str = "") -> DenseIntOrFPElementsAttr:
    """`array` as a dense attribute of its own dtype: `i8`, `ui8`, `i32`, `f32`, `i1`, ..."""
    kind, bits = array.dtype.kind, array.dtype.itemsize * 8
    element_type: Attribute | None = None
    if kind == "f":
        element_type = {16: Float16Type(), 32: Float32Type(), 64: Float64Type()}.get(bits)
    elif kind == "i":
        element_type = IntegerType(bits)
    elif kind == "u":
        element_type = IntegerType(bits, Signedness.UNSIGNED)
    elif kind == "b":
        element_type = IntegerType(1)
    if element_type is None:
        raise WeightStoreError(f"weight '{name}' has dtype {array.dtype}, which IR cannot hold")
    data = np.asarray(array, dtype=array.dtype.newbyteorder("="), order="C")  # dense is native
    if kind == "b":
        data = data.astype(np.uint8)
    return DenseIntOrFPElementsAttr(
        TensorType(element_type, array.shape),  # type: ignore[arg-type]
        BytesAttr(data.tobytes()),
    )
