"""Decode the command buffers of real vendor bmodels and compare with the vendor's own decoding.

Ground truth: `tests/data/vendor/tiny_cnn/` holds, for each of f32, f16, bf16 and int8, the
vendor-compiled `tiny_cnn_<q>.bmodel` (gzipped, byte-identical once unpacked), its FlatBuffer as
the vendor's text dump `tiny_cnn_<q>.print.txt`, and `tiny_cnn_<q>.regs.json`, every TIU and GDMA
command of each command group as decoded by the vendor debugger (op name and every field).

This test does not use the project's bmodel reader on purpose: it finds the command buffers with
the 64-byte header and the `binary_bdc` / `binary_gdma` ranges of the text dump, so that codec
and container are checked independently.
"""

import gzip
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from nntc.targets.bm1684x.codec import Command, Engine, decode_queue, encode_queue

QUANTS = ["f32", "f16", "bf16", "int8"]
BUNDLED = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"
SHARED = Path(__file__).parents[2] / "shared" / "vendor" / "tiny_cnn"
BMODEL_MAGIC = 0xFF55AAEE
HEADER_BYTES = 64

# The vendor debugger's op-name prefix -> (long class, short class) in codec names. It is an
# independent statement of which class each op belongs to (MM vs MM2 and SG vs SGL by eu type).
OP_PREFIX_CLASSES: dict[str, tuple[str, str]] = {
    "conv": ("CONV", "sCONV"),
    "pord": ("PorD", "sPorD"),
    "mm": ("MM", "sMM"),
    "mm2": ("MM2", "sMM2"),
    "arith": ("AR", "sAR"),
    "quant": ("RQ_DQ", "sRQ_sDQ"),
    "tsbc": ("TRANS_BC", "sTRANS_sBC"),
    "sg": ("SG", "sSG"),
    "sgl": ("SGL", "sSGL"),
    "sfu": ("SFU", "sSFU"),
    "lin": ("LIN", "sLIN"),
    "cmp": ("CMP", "sCMP"),
    "vc": ("VC", "sVC"),
    "sys": ("SYSID", "SYSID"),
    "dma.tensor": ("DMA_tensor", "DMA_tensor"),
    "dma.matrix": ("DMA_matrix", "sDMA_matrix"),
    "dma.general": ("DMA_general", "sDMA_general"),
    "dma.sys": ("sDMA_sys", "sDMA_sys"),
}


def _vendor_dir() -> Path:
    for folder in (BUNDLED, SHARED):
        if (folder / "tiny_cnn_f32.regs.json").is_file():
            return folder
    pytest.skip(f"vendor tiny_cnn data found neither in {BUNDLED} nor in {SHARED}")


def _read_bmodel(folder: Path, quant: str) -> bytes:
    plain = folder / f"tiny_cnn_{quant}.bmodel"
    if plain.is_file():
        return plain.read_bytes()
    return gzip.decompress((folder / f"tiny_cnn_{quant}.bmodel.gz").read_bytes())


def _read_print_dump(path: Path) -> dict[str, Any]:
    """The vendor's text dump is JSON with bare keys: quote the keys and parse it."""
    text = re.sub(r"^(\s*)(\w+):", r'\1"\2":', path.read_text(), flags=re.MULTILINE)
    return json.loads(text)


def _command_queues(folder: Path, quant: str) -> dict[str, dict[str, Any]]:
    """`core(0).subnet(s).group(g)` -> the group's record and its TIU and GDMA byte strings."""
    blob = _read_bmodel(folder, quant)
    magic, header_size, fb_size, binary_size = struct.unpack_from("<IIIQ", blob)
    assert (magic, header_size) == (BMODEL_MAGIC, HEADER_BYTES)
    base = HEADER_BYTES + fb_size
    assert base + binary_size <= len(blob)
    dump = _read_print_dump(folder / f"tiny_cnn_{quant}.print.txt")
    [net] = dump["net"]
    [stage] = net["parameter"]
    queues: dict[str, dict[str, Any]] = {}
    for s, subnet in enumerate(stage["sub_net"]):
        for g, group in enumerate(subnet["cmd_group"]):
            record: dict[str, Any] = {"group": group}
            for engine, key in (("tiu", "binary_bdc"), ("dma", "binary_gdma")):
                start, size = group[key]["start"], group[key]["size"]
                assert start + size <= binary_size
                record[engine] = blob[base + start : base + start + size]
            queues[f"core(0).subnet({s}).group({g})"] = record
    return queues


def _expected_class(op_name: str, short: bool) -> str:
    """The class of a vendor op name, by its longest prefix in OP_PREFIX_CLASSES."""
    prefix = op_name
    while prefix not in OP_PREFIX_CLASSES:
        assert "." in prefix, f"no class known for the vendor op {op_name!r}"
        prefix = prefix.rsplit(".", 1)[0]
    return OP_PREFIX_CLASSES[prefix][short]


def _source_view(cmd: Command) -> dict[str, int]:
    """Field values under the vendor's names, as regs.json shows them.

    regs.json was written from the vendor's ctypes structs, where a repeated name (`reserved`)
    reads the last field of that name; the codec keeps each occurrence (`reserved#2`, ...).
    """
    view: dict[str, int] = {}
    for field in cmd.command_class.fields:
        view[field.source_name] = cmd.fields[field.name]
    return view


@pytest.mark.parametrize("quant", QUANTS)
def test_vendor_queues_decode_as_the_vendor_does(quant: str) -> None:
    folder = _vendor_dir()
    expected = json.loads((folder / f"tiny_cnn_{quant}.regs.json").read_text())
    queues = _command_queues(folder, quant)
    assert sorted(queues) == sorted(expected)
    for group_name, record in queues.items():
        group = record["group"]
        for engine, engine_key, count_key, bytes_key in (
            (Engine.TIU, "tiu", "bdc_num", "bdc_cmd_byte"),
            (Engine.GDMA, "dma", "gdma_num", "gdma_cmd_byte"),
        ):
            stream: bytes = record[engine_key]
            assert len(stream) == group[bytes_key]
            cmds = decode_queue(stream, engine)
            vendor = expected[group_name][engine_key]
            assert len(cmds) == group[count_key] == len(vendor)
            for i, (cmd, want) in enumerate(zip(cmds, vendor, strict=True)):
                where = f"{quant} {group_name} {engine.value} #{i}"
                assert cmd.op_name == want["name"], where
                short = want["cmd"].get("cmd_short", 0) == 1
                assert cmd.name == _expected_class(want["name"], short), where
                assert _source_view(cmd) == want["cmd"], where
            assert cmds[-1].op_name == ("sys.end" if engine is Engine.TIU else "dma.sys")
            assert encode_queue(cmds) == stream, f"{quant} {group_name} {engine.value}"


def test_bundled_copies_match_shared_originals() -> None:
    if not (SHARED / "tiny_cnn_f32.regs.json").is_file():
        pytest.skip(f"no shared originals at {SHARED} to compare the bundled copies with")
    for quant in QUANTS:
        assert _read_bmodel(BUNDLED, quant) == _read_bmodel(SHARED, quant), quant
        for suffix in ("regs.json", "print.txt"):
            name = f"tiny_cnn_{quant}.{suffix}"
            assert (BUNDLED / name).read_bytes() == (SHARED / name).read_bytes(), name
