"""Register maps of the supported Modbus RTU energy meters (pure data and word codecs).

A map says which registers hold voltage, current and power per phase, total
power and the imported-energy register, how each is encoded, and which
contiguous *blocks* a poller reads (one request per block, so a poll of an
SDM630 is two requests, not fifteen).

Sources (the manufacturers' Modbus protocol documents):

* Eastron SDM630 / SDM120: *input registers* (function 04), every value a
  32-bit IEEE 754 float over two registers, high word first. 0x0000/2/4 L1-L3
  line-to-neutral volts, 0x0006/8/A current, 0x000C/E/10 active power,
  0x0034 total system power (SDM630), 0x0046 frequency, 0x0048 total *import*
  kWh. (0x0156 is "total kWh", import plus export; a charger's meter of record
  wants import only, so 0x0048 is used.) The SDM120 is single-phase: only the
  L1 registers exist.
* ABB B23 (3-phase): *holding registers* (function 03), integers with fixed
  scaling: 0x5000 active import energy, unsigned 64 bit, 0.01 kWh;
  0x5B00/2/4 L1-L3 voltage, unsigned 32 bit, 0.1 V; 0x5B0C/E/10 current,
  unsigned 32 bit, 0.01 A; 0x5B14 total active power, signed 32 bit, 0.01 W,
  0x5B16/8/A per phase; 0x5B2C frequency, unsigned 16 bit, 0.01 Hz.

Multi-register values are big-endian in both byte and word order on all three.
``encode`` is the inverse of ``decode`` so the emulator serves the same map.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

INPUT = 4  # Modbus function "read input registers"
HOLDING = 3  # Modbus function "read holding registers"

# kind -> (registers, struct format of the big-endian value)
KINDS: dict[str, tuple[int, str]] = {
    "float32": (2, ">f"),
    "uint16": (1, ">H"),
    "int16": (1, ">h"),
    "uint32": (2, ">I"),
    "int32": (2, ">i"),
    "uint64": (4, ">Q"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One quantity: where it is, how it is encoded, and the factor to SI units (V, A, W, Wh)."""

    address: int
    kind: str
    scale: float = 1.0  # value in SI units = raw * scale

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown register kind {self.kind!r}")

    @property
    def words(self) -> int:
        return KINDS[self.kind][0]


@dataclass(frozen=True, slots=True)
class Block:
    """A contiguous run of registers read with one request."""

    address: int
    count: int

    def covers(self, f: Field) -> bool:
        return self.address <= f.address and f.address + f.words <= self.address + self.count


@dataclass(frozen=True, slots=True)
class RegisterMap:
    name: str
    title: str
    function: int  # INPUT or HOLDING
    phases: int
    voltage: tuple[Field, ...]
    current: tuple[Field, ...]
    power: tuple[Field, ...]  # per phase
    total_power: Field | None  # None: the sum of the phases
    energy_import: Field
    frequency: Field | None
    blocks: tuple[Block, ...]
    default_baudrate: int
    default_parity: str

    def __post_init__(self) -> None:
        for f in self.fields():
            if not any(b.covers(f) for b in self.blocks):
                raise ValueError(f"{self.name}: register 0x{f.address:04X} is in no read block")

    def fields(self) -> list[Field]:
        out = [*self.voltage, *self.current, *self.power, self.energy_import]
        if self.total_power is not None:
            out.append(self.total_power)
        if self.frequency is not None:
            out.append(self.frequency)
        return out


@dataclass(frozen=True, slots=True)
class Values:
    """Decoded meter values in SI units."""

    voltage_v: list[float]
    current_a: list[float]
    power_w: list[float]
    total_power_w: float
    energy_wh: float
    frequency_hz: float | None


# ------------------------------------------------------------------ word codecs
def decode_field(f: Field, words: list[int]) -> float:
    """The SI value of ``f`` from its registers (``words``: exactly ``f.words`` 16-bit values)."""
    count, fmt = KINDS[f.kind]
    if len(words) != count:
        raise ValueError(f"{f.kind} needs {count} registers, got {len(words)}")
    raw = struct.unpack(fmt, struct.pack(f">{count}H", *words))[0]
    return float(raw) * f.scale


def encode_field(f: Field, value: float) -> list[int]:
    """The registers that hold ``value`` (SI units) for ``f``: the emulator's side."""
    count, fmt = KINDS[f.kind]
    raw: float | int = value / f.scale
    if f.kind != "float32":
        raw = round(raw)
    return list(struct.unpack(f">{count}H", struct.pack(fmt, raw)))


def decode(rmap: RegisterMap, blocks: dict[int, list[int]]) -> Values:
    """Values from the registers of every block (keyed by block start address).

    ValueError when a value is not a finite number (a meter answering garbage).
    """

    def get(f: Field) -> float:
        for start, words in blocks.items():
            if start <= f.address and f.address + f.words <= start + len(words):
                off = f.address - start
                value = decode_field(f, words[off : off + f.words])
                if not math.isfinite(value):
                    raise ValueError(f"register 0x{f.address:04X} holds no number")
                return value
        raise ValueError(f"register 0x{f.address:04X} was not read")

    power = [get(f) for f in rmap.power]
    total = get(rmap.total_power) if rmap.total_power is not None else sum(power)
    return Values(
        voltage_v=[get(f) for f in rmap.voltage],
        current_a=[get(f) for f in rmap.current],
        power_w=power,
        total_power_w=total,
        energy_wh=get(rmap.energy_import),
        frequency_hz=get(rmap.frequency) if rmap.frequency is not None else None,
    )


def encode(rmap: RegisterMap, values: Values) -> dict[int, int]:
    """Register address -> word for ``values``: the register image an emulator serves."""
    image: dict[int, int] = {}

    def put(f: Field, value: float) -> None:
        for i, word in enumerate(encode_field(f, value)):
            image[f.address + i] = word

    for group, vals in (
        (rmap.voltage, values.voltage_v),
        (rmap.current, values.current_a),
        (rmap.power, values.power_w),
    ):
        for f, v in zip(group, vals, strict=False):
            put(f, v)
    if rmap.total_power is not None:
        put(rmap.total_power, values.total_power_w)
    put(rmap.energy_import, values.energy_wh)
    if rmap.frequency is not None and values.frequency_hz is not None:
        put(rmap.frequency, values.frequency_hz)
    return image


# ------------------------------------------------------------------ the maps
def _floats(*addresses: int) -> tuple[Field, ...]:
    return tuple(Field(a, "float32") for a in addresses)


SDM630 = RegisterMap(
    name="sdm630",
    title="Eastron SDM630 (3-phase)",
    function=INPUT,
    phases=3,
    voltage=_floats(0x0000, 0x0002, 0x0004),
    current=_floats(0x0006, 0x0008, 0x000A),
    power=_floats(0x000C, 0x000E, 0x0010),
    total_power=Field(0x0034, "float32"),
    energy_import=Field(0x0048, "float32", 1000.0),  # kWh -> Wh
    frequency=Field(0x0046, "float32"),
    # 0x0000..0x0035 (54 registers) and 0x0046..0x0049: two requests per poll.
    blocks=(Block(0x0000, 0x36), Block(0x0046, 4)),
    default_baudrate=9600,
    default_parity="N",
)

SDM120 = RegisterMap(
    name="sdm120",
    title="Eastron SDM120 (1-phase)",
    function=INPUT,
    phases=1,
    voltage=_floats(0x0000),
    current=_floats(0x0006),
    power=_floats(0x000C),
    total_power=None,
    energy_import=Field(0x0048, "float32", 1000.0),
    frequency=Field(0x0046, "float32"),
    blocks=(Block(0x0000, 0x0E), Block(0x0046, 4)),
    default_baudrate=2400,  # the SDM120's factory setting; SDM630 ships at 9600
    default_parity="N",
)

ABB_B23 = RegisterMap(
    name="abb-b23",
    title="ABB B23 (3-phase)",
    function=HOLDING,
    phases=3,
    voltage=tuple(Field(a, "uint32", 0.1) for a in (0x5B00, 0x5B02, 0x5B04)),
    current=tuple(Field(a, "uint32", 0.01) for a in (0x5B0C, 0x5B0E, 0x5B10)),
    power=tuple(Field(a, "int32", 0.01) for a in (0x5B16, 0x5B18, 0x5B1A)),
    total_power=Field(0x5B14, "int32", 0.01),
    energy_import=Field(0x5000, "uint64", 10.0),  # 0.01 kWh = 10 Wh
    frequency=Field(0x5B2C, "uint16", 0.01),
    blocks=(Block(0x5000, 4), Block(0x5B00, 0x2D)),
    default_baudrate=19200,
    default_parity="E",
)

MAPS: dict[str, RegisterMap] = {m.name: m for m in (SDM630, SDM120, ABB_B23)}
