"""The bmodel container: reading the vendor's files, writing them back, and rejecting bad ones.

Ground truth is `tests/data/vendor/tiny_cnn/`: four bmodels compiled by the vendor toolchain
(gzipped), the vendor's dump of each FlatBuffer (`*.print.txt`) and its `model_tool --info`.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nntc.targets.bm1684x import bmodel as bmodel_module
from nntc.targets.bm1684x.bmodel import (
    FILE_ALIGNMENT,
    HEADER_SIZE,
    MAGIC,
    Binary,
    BlobBuilder,
    BModel,
    BModelError,
    CmdGroup,
    CoeffMem,
    CpuopModule,
    KernelModule,
    Location,
    Model,
    Net,
    NetParameter,
    Shape,
    StageIR,
    SubNet,
    Tensor,
    _generated,
    _specs,
    bmodel_bytes,
    read_bmodel,
    write_bmodel,
)

DATA = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"
QUANTS = ("f32", "f16", "bf16", "int8")


def vendor_bytes(quant: str) -> bytes:
    return gzip.decompress((DATA / f"tiny_cnn_{quant}.bmodel.gz").read_bytes())


def vendor_print(quant: str) -> dict[str, Any]:
    """The vendor's FlatBuffer dump (JSON with bare keys) as a dict."""
    text = (DATA / f"tiny_cnn_{quant}.print.txt").read_text()
    return json.loads(re.sub(r"^(\s*)(\w+):", r'\1"\2":', text, flags=re.M))


@pytest.fixture(scope="module", params=QUANTS)
def vendor(request: pytest.FixtureRequest) -> tuple[str, bytes, BModel]:
    data = vendor_bytes(request.param)
    return request.param, data, read_bmodel(data)


def as_plain(obj: Any) -> Any:
    """Dataclasses as dicts without absent (None) fields, bytes as lists: the dump's shape."""
    if dataclasses.is_dataclass(obj):
        return {
            f.name: as_plain(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if getattr(obj, f.name) is not None
        }
    if isinstance(obj, list):
        return [as_plain(x) for x in obj]
    if isinstance(obj, bytes):
        return list(obj)
    return obj


# --- reading -----------------------------------------------------------------------------------


def test_reader_matches_the_vendor_dump_field_for_field(vendor: tuple[str, bytes, BModel]) -> None:
    quant, _, bm = vendor
    assert as_plain(bm.model) == vendor_print(quant)


def test_reader_values_of_the_f32_model() -> None:
    bm = read_bmodel(vendor_bytes("f32"))
    m = bm.model
    assert (m.type, m.version, m.chip) == ("B", "2.2+v1.30.2-20260831", "BM1684X")
    assert m.time == "Tue Nov 24 03:20:13 2026\n"
    assert m.neuron_size == 20480
    assert m.kernel_module == KernelModule(
        "libbm1684x_kernel_module.so", Binary(0, 5598792), mode=0
    )
    [net] = m.net
    assert net.name == "tiny_cnn" and net.addr_mode == 0
    [stage] = net.parameter or []
    [inp], [out] = stage.input_tensor, stage.output_tensor
    assert (inp.name, inp.data_type, inp.device_addr, inp.size) == ("input", 0, 4295008256, 12288)
    assert inp.shape == [Shape([1, 3, 32, 32])] and inp.hidden == 1
    assert (out.name, out.device_addr, out.size, out.hidden) == ("output_Gemm", 4295024640, 40, 2)
    assert out.shape == [Shape([1, 10])] and (out.scale, out.zero_point) == (1.0, 0)
    assert (stage.ctx_addr, stage.ctx_size, stage.ctx_sizes) == (4295008256, 20480, [20480])
    coeff = stage.coeff_mem
    assert coeff is not None and coeff.address == 0x1_0000_0000
    assert coeff.binary_coeff == Binary(5599232, 40960)
    assert [(loc.name, loc.offset, loc.size) for loc in coeff.location or []][:2] == [
        ("tpu.Conv2D.bias", 0, 4096),
        ("tpu.Conv2D.weight", 4096, 4096),
    ]
    [group] = stage.cmd_group or []
    assert (group.bdc_num, group.gdma_num, group.bdc_cmd_byte, group.gdma_cmd_byte) == (
        9,
        11,
        512,
        1024,
    )
    [subnet] = stage.sub_net or []
    assert subnet.cmd_group == [group] and subnet.id == 0 and subnet.next_subnet_ids == [-1]
    assert subnet.run_core == 1 and stage.core_num == 1


def test_blob_pieces(vendor: tuple[str, bytes, BModel]) -> None:
    _, data, bm = vendor
    assert bm.header is not None
    blob_at = HEADER_SIZE + bm.header.flatbuffers_size
    stage = (bm.model.net[0].parameter or [])[0]
    coeff = stage.coeff_mem
    assert coeff is not None and coeff.binary_coeff is not None and coeff.check_code is not None
    weights = bm.binary(coeff.binary_coeff)
    assert len(weights) == coeff.binary_coeff.size
    assert hashlib.sha256(weights).digest() == coeff.check_code
    for group in stage.cmd_group or []:
        for b in (group.binary_bdc, group.binary_gdma):
            assert b is not None
            assert bm.binary(b) == data[blob_at + b.start : blob_at + b.start + b.size]
        assert group.binary_bdc is not None and group.binary_gdma is not None
        assert group.binary_bdc.size == group.bdc_cmd_byte
        assert group.binary_gdma.size == group.gdma_cmd_byte
    with pytest.raises(BModelError, match="lies outside"):
        bm.binary(Binary(len(bm.blob) - 4, 8))


# --- writing -----------------------------------------------------------------------------------


def test_vendor_files_round_trip_byte_for_byte(vendor: tuple[str, bytes, BModel]) -> None:
    _, data, bm = vendor
    written = bmodel_bytes(bm)
    assert read_bmodel(written) == bm
    assert written == data


def test_write_bmodel_writes_atomically(tmp_path: Path) -> None:
    bm = read_bmodel(vendor_bytes("int8"))
    path = tmp_path / "out.bmodel"
    path.write_bytes(b"old contents")
    write_bmodel(bm, path)
    assert read_bmodel(path) == bm
    assert [p.name for p in tmp_path.iterdir()] == ["out.bmodel"]
    with pytest.raises(BModelError, match="cannot write"):
        write_bmodel(bm, tmp_path / "missing-dir" / "x.bmodel")
    assert [p.name for p in tmp_path.iterdir()] == ["out.bmodel"]


def small_bmodel() -> BModel:
    """A one-stage static net built from scratch, as the emitter will build one."""
    blob = BlobBuilder()
    kernel = blob.add(b"\x7fELF kernel")
    weights = bytes(range(256)) * 20
    coeff = blob.add(weights)
    group = CmdGroup(2, 3, blob.add(b"t" * 256), blob.add(b"g" * 288), 256, 288)
    tensor = Tensor("x", 2, device_addr=0x1_0000_2000, size=48, shape=[Shape([1, 3, 4, 4])])
    tensor.scale, tensor.zero_point, tensor.hidden = 0.0625, -3, 1
    out = Tensor("y", 0, device_addr=0x1_0000_3000, size=4, shape=[Shape([1, 1])], hidden=2)
    stage = NetParameter(
        input_tensor=[tensor],
        output_tensor=[out],
        ctx_addr=0x1_0000_2000,
        ctx_size=8192,
        coeff_mem=CoeffMem(
            0x1_0000_0000,
            hashlib.sha256(weights).digest(),
            coeff,
            [Location("tpu.Conv2D.weight", 0, len(weights))],
        ),
        cmd_group=[group],
        stage_ir=[StageIR()],
        binary_ir=blob.add(b""),
        sub_net=[SubNet(0, [group], None, [tensor], [out], id=0, next_subnet_ids=[-1])],
        ctx_sizes=[8192],
        core_num=1,
    )
    model = Model(
        version="2.2+nntc-0.1.0",
        net=[Net("small", parameter=[stage])],
        neuron_size=8192,
        kernel_module=KernelModule("libbm1684x_kernel_module.so", kernel),
        device_num=1,
        cpuop_module=CpuopModule("libbm1684x_kernel_module.so", Binary()),
        lib_backend=Binary(),
    )
    return BModel(model, blob.getvalue())


def test_built_model_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    bm = small_bmodel()
    data = bmodel_bytes(bm)
    back = read_bmodel(data)
    assert back.model.time == "Tue Nov 14 22:13:20 2023\n"
    assert bm.model.time is None  # the writer stamps a copy, the caller's model is untouched
    assert dataclasses.replace(back.model, time=None) == bm.model
    assert back.blob == bm.blob
    assert (HEADER_SIZE + back.header.flatbuffers_size) % FILE_ALIGNMENT == 0  # type: ignore[union-attr]
    assert bmodel_bytes(back) == data


def test_writes_are_deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    write_bmodel(small_bmodel(), tmp_path / "a.bmodel")
    write_bmodel(small_bmodel(), tmp_path / "b.bmodel")
    assert (tmp_path / "a.bmodel").read_bytes() == (tmp_path / "b.bmodel").read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567891")
    write_bmodel(small_bmodel(), tmp_path / "c.bmodel")
    assert (tmp_path / "a.bmodel").read_bytes() != (tmp_path / "c.bmodel").read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BModelError, match="SOURCE_DATE_EPOCH"):
        bmodel_bytes(small_bmodel())


def test_blob_builder_aligns_and_deduplicates() -> None:
    blob = BlobBuilder()
    a = blob.add(b"a" * 5000)
    b = blob.add(b"b" * 10)
    assert (a, b) == (Binary(0, 5000), Binary(8192, 10))
    assert blob.add(b"a" * 5000) == a
    assert blob.add(b"") == Binary(12288, 0)
    assert len(blob.getvalue()) == 12288


def test_writer_rejects_a_bad_blob_layout() -> None:
    bm = small_bmodel()
    stage = (bm.model.net[0].parameter or [])[0]
    assert stage.coeff_mem is not None
    stage.coeff_mem.binary_coeff = Binary(100, 10)
    with pytest.raises(BModelError, match=r"coeff_mem\.binary_coeff: .* not a 4096-byte aligned"):
        bmodel_bytes(bm)
    stage.coeff_mem.binary_coeff = Binary(len(bm.blob), 10)
    with pytest.raises(BModelError, match="aligned range of the"):
        bmodel_bytes(bm)
    with pytest.raises(BModelError, match="not a multiple of 4096"):
        bmodel_bytes(BModel(bm.model, bm.blob + b"x"))


# --- the schema --------------------------------------------------------------------------------


class _SlotRecorder:
    """Stands in for a flatbuffers.Builder and records what the generated Add* functions do."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, Any]] = []
        self.fields = -1

    def StartObject(self, n: int) -> None:  # noqa: N802 (the flatbuffers API)
        self.fields = n

    def __getattr__(self, name: str) -> Any:
        assert name.startswith("Prepend") and name.endswith("Slot"), name
        return lambda slot, value, default: self.calls.append((slot, default))


TABLE_NAMES = (
    "Shape CmdGroup CoreCommands StageIR Location CoeffMem Tensor CpuConst CpuParam OutputFrom "
    "MergeParam SwitchParam SubNet NetStatic NetDynamic NetParameter Cascade Net KernelModule "
    "CpuopModule Model"
).split()


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_dataclasses_follow_the_generated_schema(name: str) -> None:
    """Field i of each dataclass is field id i of bmodel.fbs, with the schema's default."""
    cls = getattr(bmodel_module, name)
    mod = _generated(cls)
    rec = _SlotRecorder()
    mod.Start(rec)
    specs = _specs(cls)
    assert rec.fields == len(specs)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for spec in specs:
        rec.calls.clear()
        getattr(mod, "Add" + "".join(p.capitalize() for p in spec.name.split("_")))(rec, 1)
        [(slot, default)] = rec.calls
        assert slot == spec.slot, spec.name
        if isinstance(defaults[spec.name], int | float):  # scalars: the schema's default
            assert default == defaults[spec.name], spec.name


# --- bad files ---------------------------------------------------------------------------------


def expect_error(data: bytes, pattern: str) -> str:
    with pytest.raises(BModelError) as info:
        read_bmodel(data)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(pattern, message), message
    return message


@pytest.mark.parametrize(
    ("cut", "pattern"),
    [
        (0, r"file is 0 bytes, too short for the 64-byte header \(at byte 0\)"),
        (30, r"too short for the 64-byte header \(at byte 30\)"),
        (64 + 100, r"truncated inside the FlatBuffer: .* the file has 164 \(at byte 164\)"),
        (4096 + 5_000_000, r"truncated inside the blob: .* = 5652480 bytes"),
        (5652480 - 1, r"truncated inside the blob"),
    ],
)
def test_truncated_files(cut: int, pattern: str) -> None:
    expect_error(vendor_bytes("f32")[:cut], pattern)


def test_header_errors() -> None:
    data = bytearray(vendor_bytes("f32"))
    bad = bytearray(data)
    bad[0:4] = b"PK\x03\x04"
    expect_error(
        bytes(bad), r"not a bmodel: magic is 0x04034B50, expected 0xFF55AAEE \(at byte 0\)"
    )
    bad = bytearray(data)
    struct.pack_into("<I", bad, 4, 128)
    expect_error(bytes(bad), r"header size is 128, expected 64 \(at byte 4\)")
    expect_error(bytes(data) + b"\0", r"1 unexpected bytes after the 5652480 bytes")
    assert struct.unpack_from("<I", data, 0)[0] == MAGIC


def corrupt(quant: str, fb_pos: int, fmt: str, value: int) -> bytes:
    """The vendor file with one value of its FlatBuffer (at `fb_pos`) overwritten."""
    data = bytearray(vendor_bytes(quant))
    struct.pack_into("<" + fmt, data, HEADER_SIZE + fb_pos, value)
    return bytes(data)


def test_corrupted_offsets() -> None:
    # Positions in the f32 vendor FlatBuffer: the root offset at 0, the Model table at 36 with
    # its vtable at 10, the string "input" at 1564, the dims of the input shape at 1524.
    expect_error(corrupt("f32", 0, "I", 0x7FFF_0000), r"root table: offset .* points past the end")
    expect_error(corrupt("f32", 0, "I", 0), r"root table: invalid offset 0 \(at byte 64\)")
    expect_error(corrupt("f32", 36, "i", -5000), r"model: vtable .* runs past the end")
    expect_error(corrupt("f32", 36, "i", 5000), r"model: vtable would start 4964 bytes before")
    expect_error(corrupt("f32", 10, "H", 3), r"model: bad vtable size 3 \(at byte 74\)")
    expect_error(corrupt("f32", 12, "H", 2), r"model: bad table size 2")
    expect_error(corrupt("f32", 14 + 2 * 4, "H", 0), r"model\.net: required field is missing")
    expect_error(corrupt("f32", 14, "H", 500), r"model\.type: field lies outside its table")
    expect_error(
        corrupt("f32", 1564, "I", 1 << 20), r"input_tensor\[0\]\.name: string .* runs past"
    )
    expect_error(corrupt("f32", 1564, "I", 3), r"\.name: string is not NUL-terminated")
    expect_error(corrupt("f32", 1524, "I", 1 << 28), r"shape\[0\]\.dim .* runs past the end")


def test_binary_outside_the_blob() -> None:
    # binary_coeff of the f32 model is the struct at byte 912 + 8 of the FlatBuffer
    data = corrupt("f32", 912 + 8 + 8, "Q", 1 << 40)
    expect_error(
        data,
        r"coeff_mem\.binary_coeff: Binary \{start: 5599232, size: 1099511627776\} lies outside the 5648384-byte blob \(at byte 984\)",
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 1575), st.integers(0, 255)), min_size=1, max_size=8))
def test_random_corruption_never_crashes(edits: list[tuple[int, int]]) -> None:
    data = bytearray(_F32)
    for pos, byte in edits:
        data[HEADER_SIZE + pos] = byte
    try:
        read_bmodel(bytes(data))
    except BModelError as e:
        assert "\n" not in str(e) and "(at byte " in str(e)


_F32 = vendor_bytes("f32")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BModelError, match=r"nope\.bmodel: cannot read: No such file"):
        read_bmodel(tmp_path / "nope.bmodel")
