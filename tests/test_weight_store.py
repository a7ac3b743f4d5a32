"""The side-car weight store: lazy loading, change tracking, deterministic atomic saves, errors."""

from pathlib import Path

import numpy as np
import pytest

from nntc.targets.weight_store import WeightStore, WeightStoreError


def make_store(tmp_path: Path) -> Path:
    path = tmp_path / "w.npz"
    np.savez(path, a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.ones(4, np.int8))
    return path


def test_loads_lazily_and_tracks_changes(tmp_path: Path) -> None:
    store = WeightStore(make_store(tmp_path))
    assert store.names() == ["a", "b"]
    assert not store.dirty
    np.testing.assert_array_equal(store["a"], np.arange(6, dtype=np.float32).reshape(2, 3))
    store["c"] = np.zeros(3, np.float32)
    assert store.dirty and store.changed == {"c"}
    assert "c" in store and "zz" not in store


def test_unique_name_avoids_existing(tmp_path: Path) -> None:
    store = WeightStore(make_store(tmp_path))
    assert store.unique_name("new") == "new"
    assert store.unique_name("a") == "a_1"
    store["a_1"] = np.zeros(1)
    assert store.unique_name("a") == "a_2"


def test_save_is_deterministic_and_selective(tmp_path: Path) -> None:
    store = WeightStore(make_store(tmp_path))
    store["c"] = np.full(3, 2.5, np.float32)
    store.save(tmp_path / "one.npz", ["c", "a"])
    first = (tmp_path / "one.npz").read_bytes()
    again = WeightStore(make_store(tmp_path))
    again["c"] = np.full(3, 2.5, np.float32)
    again.save(tmp_path / "two.npz", ["a", "c"])
    assert first == (tmp_path / "two.npz").read_bytes()
    reread = WeightStore(tmp_path / "one.npz")
    assert reread.names() == ["a", "c"]
    np.testing.assert_array_equal(reread["c"], np.full(3, 2.5, np.float32))
    assert not store.dirty  # saving makes the store clean again
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_missing_weight_names_the_file(tmp_path: Path) -> None:
    store = WeightStore(make_store(tmp_path))
    with pytest.raises(WeightStoreError, match=r"weight 'nope' not found in .*w\.npz"):
        store["nope"]


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(WeightStoreError, match="weight store not found"):
        WeightStore(tmp_path / "absent.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(WeightStoreError, match="not a readable .npz weight store"):
        WeightStore(bad)


def test_numpy_dtypes_of_builtin_element_types() -> None:
    from xdsl.dialects.builtin import IntegerType, Signedness, f16, f32, i8, i32, i64

    from nntc.targets.weight_store import numpy_dtype

    assert numpy_dtype(i8) == np.int8
    assert numpy_dtype(IntegerType(8, Signedness.UNSIGNED)) == np.uint8
    assert numpy_dtype(IntegerType(16, Signedness.SIGNED)) == np.int16
    assert numpy_dtype(i32) == np.int32
    assert numpy_dtype(i64) == np.int64
    assert numpy_dtype(f16) == np.float16
    assert numpy_dtype(f32) == np.float32
