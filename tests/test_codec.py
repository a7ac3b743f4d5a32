"""Tests of the table-driven BM1684X command codec (`nntc.targets.bm1684x.codec`).

Property tests run every one of the 43 classes through encode -> decode and bytes -> decode ->
encode; the fixed vectors are the worked examples of isa.md §10; the rest covers the queue rules
(end command, zero padding) and every error path with its message.
"""

import csv
import io
import random
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nntc.targets.bm1684x import codec
from nntc.targets.bm1684x.chip import CMD_QUEUE_ALIGN_BYTES
from nntc.targets.bm1684x.codec import (
    COMMAND_CLASSES,
    CodecError,
    Command,
    CommandClass,
    Engine,
    Form,
    decode_as,
    decode_command,
    decode_queue,
    encode,
    encode_queue,
    find_op,
    make_command,
)

ALL_CLASSES = sorted(COMMAND_CLASSES)
REGISTERED = [n for n in ALL_CLASSES if COMMAND_CLASSES[n].registered]
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)


def _fields_strategy(cls: CommandClass) -> st.SearchStrategy[dict[str, int]]:
    """Random values for every field, with the head key set to one of the class's keys.

    The free fields are cut from one random integer (one draw instead of up to 86 keeps the
    suite fast); all-ones is always tried, so that every field also meets its maximum.
    """
    key_names = {n for n in cls.key_fields if n is not None}
    free = [f for f in cls.fields if f.name not in key_names]
    total = sum(f.width for f in free)

    def split(bits: int) -> dict[str, int]:
        values: dict[str, int] = {}
        for f in free:
            values[f.name] = bits & f.mask
            bits >>= f.width
        return values

    free_values = st.builds(split, st.just((1 << total) - 1) | st.integers(0, (1 << total) - 1))
    if not cls.registered:
        return free_values
    short_f, opcode_f, sub_f = cls.key_fields

    def with_key(values: dict[str, int], key: tuple[int, int, int]) -> dict[str, int]:
        if short_f is not None:
            values[short_f] = key[0]
        assert opcode_f is not None and sub_f is not None
        values[opcode_f] = key[1]
        values[sub_f] = key[2]
        return values

    return st.builds(with_key, free_values, st.sampled_from(cls.keys))


def _set_key(data: bytes, cls: CommandClass, key: tuple[int, int, int]) -> bytes:
    """Overwrite the head key bits of random bytes so that they identify `cls`."""
    value = int.from_bytes(data, "little")
    bits = codec._KEY_BITS[cls.engine]
    for (offset, width), part, name in zip(bits, key, cls.key_fields, strict=True):
        if name is None:  # LAR/SYSID: bit 0 is data and the decoder ignores it
            continue
        value &= ~(((1 << width) - 1) << offset)
        value |= part << offset
    return value.to_bytes(len(data), "little")


# --- the tables ----------------------------------------------------------------------------


def test_all_43_classes_loaded_from_index() -> None:
    index_text = resources.files("nntc.targets.bm1684x").joinpath("fields/INDEX.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(index_text)))
    assert len(rows) == len(COMMAND_CLASSES) == 43
    for row in rows:
        cls = COMMAND_CLASSES[row["file"].removesuffix(".csv")]
        assert cls.source_name == row["class_name_in_source"]
        assert cls.engine.value == row["engine"]
        assert cls.form.value == row["form"]
        assert cls.length_bits == int(row["length_bits"])
        assert cls.length_bytes == int(row["length_bytes"])
        assert len(cls.fields) == int(row["field_count"])
        assert sum(f.width for f in cls.fields) == cls.length_bits
    engines = [c.engine for c in COMMAND_CLASSES.values()]
    assert engines.count(Engine.TIU) == 30 and engines.count(Engine.GDMA) == 13


def test_duplicate_field_names_are_numbered() -> None:
    cls = COMMAND_CLASSES["DMA_tensor"]
    names = cls.field_names
    assert len(set(names)) == len(names)
    assert [n for n in names if n.lower().startswith("reserved")] == [
        "Reserved",
        "reserved",
        "reserved#2",
        "reserved#3",
        "reserved#4",
        "Reserved#2",
        "Reserved#3",
    ]
    assert cls.field("reserved#3").source_name == "reserved"
    assert cls.field("reserved#3").offset == 552
    # Odd vendor names are kept verbatim.
    assert "dst_nstride（base_i）" in COMMAND_CLASSES["DMA_nonzero"].field_names
    assert "src_cstride(move length)" in COMMAND_CLASSES["DMA_general"].field_names


def test_duplicate_fields_keep_their_own_bits() -> None:
    values = {"reserved": 1, "reserved#2": 0xABC, "reserved#3": 5, "reserved#4": 7}
    cmd = decode_as("DMA_tensor", encode("DMA_tensor", values))
    assert {k: cmd[k] for k in values} == values


def test_key_fields_and_lengths_follow_isa() -> None:
    assert COMMAND_CLASSES["sAR"].keys[0] == (1, 3, 0)
    assert (0, 3, 17) not in COMMAND_CLASSES["AR"].keys  # isa.md §11.3
    assert {k[0] for k in COMMAND_CLASSES["LAR"].keys} == {0, 1}
    assert {k[0] for k in COMMAND_CLASSES["SYSID"].keys} == {0, 1}
    assert COMMAND_CLASSES["sDMA_masked_select"].key_fields[2] == "cmd_special_function(mask_mem)"
    assert not COMMAND_CLASSES["SEG"].registered and COMMAND_CLASSES["sSEG"].keys == ()
    assert COMMAND_CLASSES["SYSID"].form is Form.FIXED
    short_lengths = {n: c.length_bytes for n, c in COMMAND_CLASSES.items() if c.form is Form.SHORT}
    assert short_lengths["sMM"] == 48 and short_lengths["sMM2"] == 32
    assert short_lengths["sDMA_sys"] == 16


def test_loader_rejects_gaps_and_wrong_length() -> None:
    with pytest.raises(CodecError, match=r"fields/X: field 'b' at bit 5 breaks tiling"):
        codec._read_fields("field,bit_offset,bit_width\na,0,4\nb,5,4\n", "X", 9)
    with pytest.raises(CodecError, match=r"fields/X: fields cover 8 bits, INDEX.csv says 16"):
        codec._read_fields("field,bit_offset,bit_width\na,0,8\n", "X", 16)


# --- property tests, every class ----------------------------------------------------------


@pytest.mark.parametrize("name", ALL_CLASSES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_fields_encode_decode_roundtrip(name: str, data: st.DataObject) -> None:
    cls = COMMAND_CLASSES[name]
    values = data.draw(_fields_strategy(cls))
    raw = encode(name, values)
    assert len(raw) == cls.length_bytes
    if cls.registered:
        prefix = bytes(data.draw(st.integers(0, 8)))
        cmd, nxt = decode_command(prefix + raw, len(prefix), cls.engine)
        assert nxt == len(prefix) + cls.length_bytes
    else:
        cmd = decode_as(name, raw)
    assert cmd.name == name
    assert cmd.fields == {f: values.get(f, 0) for f in cls.field_names}
    assert list(cmd.fields) == list(cls.field_names)


@pytest.mark.parametrize("name", ALL_CLASSES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_bytes_decode_encode_roundtrip(name: str, data: st.DataObject) -> None:
    cls = COMMAND_CLASSES[name]
    raw = data.draw(st.binary(min_size=cls.length_bytes, max_size=cls.length_bytes))
    if cls.registered:
        raw = _set_key(raw, cls, data.draw(st.sampled_from(cls.keys)))
        cmd, nxt = decode_command(raw, 0, cls.engine.value.lower())
        assert (cmd.name, nxt) == (name, cls.length_bytes)
    else:
        cmd = decode_as(name, raw)
    assert encode(cmd.name, cmd.fields) == raw
    assert cmd.encode() == raw


# --- worked examples of isa.md §10 --------------------------------------------------------

SAR_ADD = bytes.fromhex(
    "1f0060000046c80092300000010020003600a00000000000004003000000803f" + "00" * 32
)
SYSID_END = bytes.fromhex("2000600000fe83000000000000000000")
DMA_TENSOR = bytes.fromhex(
    "2002000000020000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000001002000030024000100200003002400"
    "000000000100000080ca0308000000000000000000000000ffffffffffffffff"
)
DMA_SYS_END = bytes.fromhex("28040000060000000f00000000000000")


def test_isa_example_tiu_queue() -> None:
    stream = SAR_ADD + SYSID_END + bytes(48)
    cmds = decode_queue(stream, Engine.TIU)
    assert [c.name for c in cmds] == ["sAR", "SYSID"]
    assert [c.op_name for c in cmds] == ["arith.add", "sys.end"]
    sar = cmds[0]
    assert (sar["cmd_id"], sar["cmd_id_dep"], sar["cmd_id_en"]) == (15, 3, 1)
    assert (sar["res0_n"], sar["res0_c"], sar["res0_h"], sar["res0_w"]) == (1, 32, 54, 160)
    assert sar["opd0_addr"] == 212992
    assert (sar["opd1_const"], sar["opd1_addr"]) == (1, 0x3F800000)
    assert (cmds[1]["cmd_id"], cmds[1]["cmd_id_dep"]) == (16, 3)
    assert encode_queue(cmds) == stream


def test_isa_example_gdma_queue() -> None:
    stream = DMA_TENSOR + DMA_SYS_END + bytes(16)
    cmds = decode_queue(stream, "GDMA")
    assert [c.op_name for c in cmds] == ["dma.tensor", "dma.sys"]
    dma = cmds[0]
    assert (dma["src_nsize"], dma["src_csize"], dma["src_hsize"], dma["src_wsize"]) == (
        1,
        32,
        3,
        36,
    )
    assert (dma["src_start_addr_h8"], dma["src_start_addr_l32"]) == (1, 0)
    assert dma["dst_start_addr_l32"] == 0x0800_0000 + 15 * 16384 + 2688
    assert cmds[1]["cmd_id_dep"] == 15
    assert encode_queue(cmds) == stream


# --- queues --------------------------------------------------------------------------------


def test_encode_queue_pads_after_end_command_only() -> None:
    sar = decode_as("sAR", SAR_ADD)
    end = decode_as("SYSID", SYSID_END)
    assert len(encode_queue([sar, end])) == CMD_QUEUE_ALIGN_BYTES
    assert encode_queue([sar, sar]) == SAR_ADD * 2  # no end command: no padding
    assert encode_queue([sar, end, sar, end]) == SAR_ADD + SYSID_END + SAR_ADD + SYSID_END + bytes(
        96
    )
    assert encode_queue([]) == b""


def test_decode_queue_stops_only_at_end_command_with_zero_tail() -> None:
    # An end command followed by more than the tail allows is not the end: decoding goes on.
    stream = SAR_ADD + SYSID_END + SAR_ADD + SYSID_END + bytes(96)
    assert [c.name for c in decode_queue(stream, "TIU")] == ["sAR", "SYSID", "sAR", "SYSID"]
    # Within the tail window, a non-zero byte also means more commands.
    nop = encode("SYSID", {"tsk_eu_typ": 30})
    stream = SAR_ADD + SYSID_END + nop + bytes(32)
    assert [c.op_name for c in decode_queue(stream, "TIU")] == ["arith.add", "sys.end", "sys.nop"]
    # More than 128 zero bytes after the end: the vendor decoder reads on (zeros = long CONV).
    cmds = decode_queue(SAR_ADD + SYSID_END + bytes(256), "TIU")
    assert [c.name for c in cmds] == ["sAR", "SYSID", "CONV", "CONV"]
    # A non-zero tail is decoded as commands, here a truncated one.
    with pytest.raises(CodecError, match=r"truncated TIU command at byte 80: its head needs 7"):
        decode_queue(SAR_ADD + SYSID_END + b"\x01", "TIU")
    # The buffer may end right after the end command (the vendor f32 TIU queue does).
    assert len(decode_queue(bytearray(SAR_ADD + SYSID_END), "TIU")) == 2


def test_ten_thousand_commands_round_trip() -> None:
    rng = random.Random(7)
    tiu = [n for n in REGISTERED if COMMAND_CLASSES[n].engine is Engine.TIU and n != "SYSID"]
    cmds: list[Command] = []
    for _ in range(10_000):
        cls = COMMAND_CLASSES[rng.choice(tiu)]
        values = {f.name: rng.getrandbits(f.width) for f in cls.fields}
        short_f, opcode_f, sub_f = cls.key_fields
        key = rng.choice(cls.keys)
        for name, part in zip((short_f, opcode_f, sub_f), key, strict=True):
            if name is not None:
                values[name] = part
        cmds.append(make_command(cls.name, values))
    cmds.append(make_command("SYSID", {"tsk_eu_typ": codec.SYS_END}))
    stream = encode_queue(cmds)
    assert decode_queue(stream, "TIU") == cmds


# --- op names ------------------------------------------------------------------------------


def test_op_names_and_find_op_agree() -> None:
    for cls in COMMAND_CLASSES.values():
        if not cls.registered:
            continue
        sub_field = cls.key_fields[2]
        assert sub_field is not None
        for sub in cls.subtypes:
            cmd = make_command(cls.name, {sub_field: sub})
            found = find_op(cmd.op_name, short=cls.form is Form.SHORT)
            assert found == (cls.name, sub)
    assert find_op("arith.add", short=True) == ("sAR", 2)
    assert find_op("mm2.nn", short=False) == ("MM2", 4)
    assert find_op("dma.sys", short=True) == ("sDMA_sys", codec.DMA_SYS_END)
    assert find_op("sys.end", short=False) == ("SYSID", codec.SYS_END)
    assert codec.AR_OPS[14] == "arith.cast" and 17 not in codec.AR_OPS
    assert codec.DType(5) is codec.DType.BF16 and codec.Layout.FREE_STRIDE == 3


def test_find_op_unknown_name() -> None:
    with pytest.raises(CodecError, match=r"no long BM1684X command has the op name 'dma.sys'"):
        find_op("dma.sys", short=False)


# --- error paths ---------------------------------------------------------------------------


def test_value_too_wide_names_class_field_width_and_value() -> None:
    with pytest.raises(CodecError, match=r"sAR\.res0_c: value 65536 does not fit in 16 bits"):
        encode("sAR", {"tsk_eu_typ": 2, "res0_c": 1 << 16})
    with pytest.raises(ValueError, match=r"DMA_tensor\.cmd_id: value -1 does not fit in 20 bits"):
        encode("DMA_tensor", {"cmd_id": -1})
    with pytest.raises(CodecError, match=r"sAR\.res0_c: expected an int, got float"):
        encode("sAR", {"res0_c": 1.0})  # type: ignore[dict-item]


def test_encode_unknown_class_or_field() -> None:
    with pytest.raises(CodecError, match=r"unknown BM1684X command class 'sXYZ'"):
        encode("sXYZ", {})
    with pytest.raises(CodecError, match=r"command class sAR has no field 'res0_d'"):
        encode("sAR", {"res0_d": 1})


def test_encode_rejects_a_key_of_another_class() -> None:
    # MM with eu 5 would decode as MM2; an all-default MM has eu 0, which no class has.
    with pytest.raises(
        CodecError, match=r"MM\.tsk_eu_typ: 5 is not one of its sub-types \(1, 2, 3\)"
    ):
        encode("MM", {"tsk_eu_typ": 5})
    with pytest.raises(CodecError, match=r"MM\.tsk_eu_typ: 0 is not one of its sub-types"):
        encode("MM", {})
    with pytest.raises(CodecError, match=r"sAR\.tsk_typ: must be 3, got 4"):
        encode("sAR", {"tsk_typ": 4})
    with pytest.raises(CodecError, match=r"DMA_tensor\.cmd_short: must be 0, got 1"):
        encode("DMA_tensor", {"cmd_short": 1})
    # Defaults: cmd_short and the opcode come from the class.
    assert decode_command(encode("sDMA_sys", {}), 0, "GDMA")[0].name == "sDMA_sys"


def test_decode_unknown_key() -> None:
    tsk_typ_8 = (8 << 41).to_bytes(16, "little")
    with pytest.raises(
        CodecError, match=r"unknown TIU command at byte 0: cmd_short=0, tsk_typ=8, tsk_eu_typ=0"
    ):
        decode_command(tsk_typ_8, 0, "TIU")
    ar_17 = (1 | 3 << 41 | 17 << 45).to_bytes(64, "little")
    with pytest.raises(CodecError, match=r"tsk_typ=3, tsk_eu_typ=17"):
        decode_queue(ar_17, "TIU")
    short_tensor = bytes(16) + (1 << 3).to_bytes(96, "little")
    with pytest.raises(
        CodecError,
        match=r"unknown GDMA command at byte 16: cmd_short=1, cmd_type=0, cmd_special_function=0",
    ):
        decode_command(short_tensor, 16, Engine.GDMA)


def test_decode_truncated() -> None:
    with pytest.raises(
        CodecError, match=r"truncated sAR command at byte 0: it needs 64 bytes, 40 are left"
    ):
        decode_command(SAR_ADD[:40], 0, "TIU")
    with pytest.raises(CodecError, match=r"truncated GDMA command at byte 3: its head needs 5"):
        decode_command(DMA_TENSOR[:7], 3, "GDMA")
    with pytest.raises(CodecError, match=r"truncated DMA_tensor command at byte 0"):
        decode_queue(DMA_TENSOR[:95], "GDMA")
    with pytest.raises(CodecError, match=r"truncated sSEG command at byte 0: it needs 16 bytes"):
        decode_as("sSEG", bytes(15))


def test_bad_engine_and_mixed_queue() -> None:
    with pytest.raises(CodecError, match=r"unknown engine 'NPU' \(expected TIU or GDMA\)"):
        decode_command(SAR_ADD, 0, "NPU")
    assert decode_command(SAR_ADD, 0, "bdc")[0].name == "sAR"
    sar = decode_as("sAR", SAR_ADD)
    dma = decode_as("DMA_tensor", DMA_TENSOR)
    with pytest.raises(CodecError, match=r"command 1 \(DMA_tensor\) is a GDMA command in a TIU"):
        encode_queue([sar, dma])
