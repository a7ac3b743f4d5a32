"""Decoding and encoding speed of the BM1684X command codec (pytest-benchmark)."""

import random

from nntc.targets.bm1684x import codec
from nntc.targets.bm1684x.codec import (
    COMMAND_CLASSES,
    Engine,
    decode_queue,
    encode_queue,
    make_command,
)


def random_tiu_queue(count: int) -> bytes:
    rng = random.Random(7)
    tiu = sorted(
        name
        for name, cls in COMMAND_CLASSES.items()
        if cls.engine is Engine.TIU and cls.keys and name != "SYSID"
    )
    commands = []
    for _ in range(count):
        cls = COMMAND_CLASSES[rng.choice(tiu)]
        values = {field.name: rng.getrandbits(field.width) for field in cls.fields}
        for name, part in zip(cls.key_fields, rng.choice(cls.keys), strict=True):  # fix the class
            if name is not None:
                values[name] = part
        commands.append(make_command(cls.name, values))
    commands.append(make_command("SYSID", {"tsk_eu_typ": codec.SYS_END}))
    return encode_queue(commands)


def test_decode_10k_tiu_commands(benchmark) -> None:
    stream = random_tiu_queue(10_000)
    decoded = benchmark(decode_queue, stream, "TIU")
    assert len(decoded) == 10_001


def test_encode_10k_tiu_commands(benchmark) -> None:
    commands = decode_queue(random_tiu_queue(10_000), "TIU")
    stream = benchmark(encode_queue, commands)
    assert decode_queue(stream, "TIU") == commands
