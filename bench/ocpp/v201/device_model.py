"""The OCPP 2.0.1 device model (part 1 §4, part 2 functional block B): definitions and values.

A ``DeviceModelDefinition`` holds every component/variable a station layout has, with
its attributes and characteristics. It is immutable and shared by every station with
that layout (10,000 stations per process must stay small); a ``DeviceModel`` keeps only
the attribute values its station has changed, and writes each change through an
optional persistence hook, like the 1.6 ``Configuration``.

Statuses follow B05 (SetVariables) and B06 (GetVariables); reports (B07/B08) are built
by ``bench.ocpp.v201.dm_report``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bench.ocpp.common.timestamps import read_iso


class AttributeType(StrEnum):
    ACTUAL = "Actual"
    TARGET = "Target"
    MIN_SET = "MinSet"
    MAX_SET = "MaxSet"


class Mutability(StrEnum):
    READ_ONLY = "ReadOnly"
    WRITE_ONLY = "WriteOnly"
    READ_WRITE = "ReadWrite"


class DataType(StrEnum):
    STRING = "string"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATE_TIME = "dateTime"
    BOOLEAN = "boolean"
    OPTION_LIST = "OptionList"
    SEQUENCE_LIST = "SequenceList"
    MEMBER_LIST = "MemberList"


class GetStatus(StrEnum):  # GetVariableStatusEnumType
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED_ATTRIBUTE_TYPE = "NotSupportedAttributeType"


class SetStatus(StrEnum):  # SetVariableStatusEnumType
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED_ATTRIBUTE_TYPE = "NotSupportedAttributeType"
    REBOOT_REQUIRED = "RebootRequired"


@dataclass(frozen=True, slots=True, order=True)
class ComponentKey:
    """ComponentType: name, optional instance, optional EVSE (and connector on that EVSE)."""

    name: str
    instance: str | None = None
    evse: int | None = None
    connector: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ComponentKey:
        evse = data.get("evse") or {}
        # An empty instance means "no instance" (B06.FR.15).
        return cls(
            data["name"], data.get("instance") or None, evse.get("id"), evse.get("connectorId")
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            out["instance"] = self.instance
        if self.evse is not None:
            out["evse"] = {"id": self.evse}
            if self.connector is not None:
                out["evse"]["connectorId"] = self.connector
        return out


@dataclass(frozen=True, slots=True, order=True)
class VariableKey:
    name: str
    instance: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VariableKey:
        return cls(data["name"], data.get("instance") or None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            out["instance"] = self.instance
        return out


@dataclass(frozen=True, slots=True)
class Characteristics:
    """VariableCharacteristicsType: fixed, read-only facts about a variable."""

    data_type: DataType
    unit: str | None = None
    min_limit: float | None = None
    # For string and list types maxLimit is the maximum length of the (CSV) string.
    max_limit: float | None = None
    values_list: tuple[str, ...] | None = None
    supports_monitoring: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataType": str(self.data_type),
            "supportsMonitoring": self.supports_monitoring,
        }
        if self.unit is not None:
            out["unit"] = self.unit
        if self.min_limit is not None:
            out["minLimit"] = self.min_limit
        if self.max_limit is not None:
            out["maxLimit"] = self.max_limit
        if self.values_list is not None:
            out["valuesList"] = ",".join(self.values_list)
        return out


@dataclass(frozen=True, slots=True)
class AttributeDef:
    type: AttributeType
    mutability: Mutability = Mutability.READ_WRITE
    default: str = ""  # "" = no value (B06.FR.13 returns an empty string)
    persistent: bool = True
    constant: bool = False


@dataclass(frozen=True, slots=True)
class VariableDef:
    component: ComponentKey
    variable: VariableKey
    characteristics: Characteristics
    attributes: tuple[AttributeDef, ...]
    reboot_required: bool = False  # a set answers RebootRequired (B05, SetVariableStatusEnumType)
    required: bool = False  # "Required?" in the appendix CSV
    description: str = ""

    def attribute(self, attribute_type: AttributeType) -> AttributeDef | None:
        for attr in self.attributes:
            if attr.type == attribute_type:
                return attr
        return None

    @property
    def writable(self) -> bool:
        return any(a.mutability != Mutability.READ_ONLY and not a.constant for a in self.attributes)


# A component-variable as a plain tuple of str/int/None: hashed and compared in C, where
# the dataclass keys hash and compare through Python methods (lookups run on every tick).
_Flat = tuple[str, str | None, int | None, int | None, str, str | None]


def _flat(component: ComponentKey, variable: VariableKey) -> _Flat:
    return (
        component.name,
        component.instance,
        component.evse,
        component.connector,
        variable.name,
        variable.instance,
    )


@dataclass(frozen=True)
class DeviceModelDefinition:
    """Every component-variable of one station layout, in report order. Shared, never mutated."""

    variables: tuple[VariableDef, ...]
    _index: dict[_Flat, VariableDef] = field(init=False, repr=False)
    _components: frozenset[ComponentKey] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = {_flat(v.component, v.variable): v for v in self.variables}
        if len(index) != len(self.variables):
            raise ValueError("duplicate component/variable in device model definition")
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_components", frozenset(v.component for v in self.variables))

    def lookup(self, component: ComponentKey, variable: VariableKey) -> VariableDef | None:
        return self._index.get(_flat(component, variable))

    def lookup_names(
        self, component: str, variable: str, instance: str | None = None
    ) -> VariableDef | None:
        """The variable of a component without instance or EVSE (the controllers), by name."""
        return self._index.get((component, None, None, None, variable, instance))

    def has_component(self, component: ComponentKey) -> bool:
        return component in self._components

    @property
    def components(self) -> frozenset[ComponentKey]:
        return self._components

    def __iter__(self) -> Iterator[VariableDef]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)


class InvalidValue(ValueError):
    """A value that does not fit a variable's data type or characteristics (B05.FR.07/08)."""


def _parse_number(text: str, integer: bool) -> float:
    try:
        return int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a decimal"
        raise InvalidValue(f"{text!r} is not {kind}") from None


def normalize(value: str, ch: Characteristics) -> str:
    """Check ``value`` against the characteristics and return its canonical text.

    Raises InvalidValue on a badly formatted value (B05.FR.07) or one outside the
    limits or values list (B05.FR.08).
    """
    dt = ch.data_type
    if dt in (DataType.INTEGER, DataType.DECIMAL):
        number = _parse_number(value.strip(), dt == DataType.INTEGER)
        if number != number or number in (float("inf"), float("-inf")):
            raise InvalidValue(f"{value!r} is not a finite number")
        if ch.min_limit is not None and number < ch.min_limit:
            raise InvalidValue(f"{value} is below minLimit {ch.min_limit:g}")
        if ch.max_limit is not None and number > ch.max_limit:
            raise InvalidValue(f"{value} is above maxLimit {ch.max_limit:g}")
        return str(number) if dt == DataType.INTEGER else value.strip()
    if dt == DataType.BOOLEAN:
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise InvalidValue(f"{value!r} is not a boolean (true/false)")
        return lowered
    if dt == DataType.DATE_TIME:
        try:
            read_iso(value.strip())
        except ValueError:
            raise InvalidValue(f"{value!r} is not an RFC 3339 date-time") from None
        return value.strip()
    # The remaining types are strings; maxLimit bounds their length.
    if ch.max_limit is not None and len(value) > ch.max_limit:
        raise InvalidValue(f"value longer than maxLimit {ch.max_limit:g}")
    if dt == DataType.OPTION_LIST:
        if ch.values_list is not None and value not in ch.values_list:
            raise InvalidValue(f"{value!r} is not one of {','.join(ch.values_list)}")
        return value
    if dt in (DataType.MEMBER_LIST, DataType.SEQUENCE_LIST):
        items = [item.strip() for item in value.split(",")] if value.strip() else []
        if any(not item for item in items):
            raise InvalidValue(f"{value!r} has an empty list element")
        if ch.values_list is not None:
            unknown = [item for item in items if item not in ch.values_list]
            if unknown:
                raise InvalidValue(f"{','.join(unknown)} not in {','.join(ch.values_list)}")
        if dt == DataType.MEMBER_LIST and len(set(items)) != len(items):
            raise InvalidValue("a MemberList names each member at most once")
        return ",".join(items)
    return value


def storage_key(component: ComponentKey, variable: VariableKey, attr: AttributeType) -> str:
    """A flat, stable key for the persistence hook: ``EVSE@1.2/Power/MaxSet``."""
    comp = component.name
    if component.instance is not None:
        comp += f"[{component.instance}]"
    if component.evse is not None:
        comp += f"@{component.evse}"
        if component.connector is not None:
            comp += f".{component.connector}"
    var = variable.name if variable.instance is None else f"{variable.name}[{variable.instance}]"
    return f"{comp}/{var}/{attr}"


ComponentLike = ComponentKey | str
VariableLike = VariableKey | str
_Slot = tuple[ComponentKey, VariableKey, AttributeType]


def _component(c: ComponentLike) -> ComponentKey:
    return ComponentKey(c) if isinstance(c, str) else c


_UNKNOWN = object()  # not in the cache of values read by name


def _variable(v: VariableLike) -> VariableKey:
    return VariableKey(v) if isinstance(v, str) else v


class DeviceModel:
    """One station's view of a shared definition: only changed values are stored."""

    __slots__ = ("_actual_by_name", "_values", "definition", "persist")

    def __init__(
        self,
        definition: DeviceModelDefinition,
        persist: Callable[[str, str], None] | None = None,
        saved: Mapping[str, str] | None = None,
    ) -> None:
        self.definition = definition
        self.persist = persist
        # None until the first change: an untouched station costs one pointer here.
        self._values: dict[_Slot, str] | None = None
        # Actual values read by plain names, kept until a value changes: the blocks read
        # their controllers' settings on every sample, and a slot's key hashes through
        # three Python-level __hash__ methods (issue 15).
        self._actual_by_name: dict[tuple[str, str, str | None], str | None] | None = None
        if saved:
            self.restore(saved)

    # -- reading -----------------------------------------------------------------
    def _raw(self, vdef: VariableDef, attr: AttributeDef) -> str:
        if self._values is not None:
            found = self._values.get((vdef.component, vdef.variable, attr.type))
            if found is not None:
                return found
        return attr.default

    def value(
        self,
        component: ComponentLike,
        variable: VariableLike,
        attribute_type: AttributeType = AttributeType.ACTUAL,
    ) -> str | None:
        """The stored text regardless of mutability (for the station itself), None if unknown."""
        if component.__class__ is str and variable.__class__ is str:
            vdef = self.definition.lookup_names(component, variable)  # type: ignore[arg-type]
        else:
            vdef = self.definition.lookup(_component(component), _variable(variable))
        attr = vdef.attribute(attribute_type) if vdef else None
        return None if vdef is None or attr is None else self._raw(vdef, attr)

    def value_by_name(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        attribute_type: AttributeType = AttributeType.ACTUAL,
    ) -> str | None:
        """``value`` for a component without instance or EVSE, named by plain strings (fast)."""
        if attribute_type is not AttributeType.ACTUAL:
            return self._by_name(component, variable, instance, attribute_type)
        known = self._actual_by_name
        if known is None:
            known = self._actual_by_name = {}
        key = (component, variable, instance)
        found = known.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = known[key] = self._by_name(component, variable, instance, attribute_type)
        return found  # type: ignore[return-value]

    def _by_name(
        self, component: str, variable: str, instance: str | None, attribute_type: AttributeType
    ) -> str | None:
        vdef = self.definition.lookup_names(component, variable, instance)
        attr = vdef.attribute(attribute_type) if vdef else None
        return None if vdef is None or attr is None else self._raw(vdef, attr)

    def get(
        self,
        component: ComponentLike,
        variable: VariableLike,
        attribute_type: AttributeType | str = AttributeType.ACTUAL,
    ) -> tuple[GetStatus, str | None]:
        """GetVariables for one GetVariableData (B06); the value is None unless Accepted."""
        comp, var = _component(component), _variable(variable)
        vdef = self.definition.lookup(comp, var)
        if vdef is None:
            if not self.definition.has_component(comp):
                return GetStatus.UNKNOWN_COMPONENT, None  # B06.FR.06
            return GetStatus.UNKNOWN_VARIABLE, None  # B06.FR.07
        attr = vdef.attribute(AttributeType(attribute_type))
        if attr is None:
            return GetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE, None  # B06.FR.08
        if attr.mutability == Mutability.WRITE_ONLY:
            return GetStatus.REJECTED, None  # B06.FR.09
        return GetStatus.ACCEPTED, self._raw(vdef, attr)  # B06.FR.10, "" if unset (B06.FR.13)

    # -- writing -----------------------------------------------------------------
    def set_variable(
        self,
        component: ComponentLike,
        variable: VariableLike,
        value: str,
        attribute_type: AttributeType | str = AttributeType.ACTUAL,
    ) -> tuple[SetStatus, str | None]:
        """SetVariables for one SetVariableData (B05): the status and, if not accepted, why.

        The reason is meant for ``statusInfo.additionalInfo``.
        """
        comp, var = _component(component), _variable(variable)
        vdef = self.definition.lookup(comp, var)
        if vdef is None:
            if not self.definition.has_component(comp):
                return SetStatus.UNKNOWN_COMPONENT, "no such component"  # B05.FR.04
            return SetStatus.UNKNOWN_VARIABLE, "no such variable"  # B05.FR.05
        attr = vdef.attribute(AttributeType(attribute_type))
        if attr is None:
            return SetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE, "attribute type not supported"
        size = self.value("DeviceDataCtrlr", "ConfigurationValueSize")
        if size and len(value) > int(size):
            # DeviceDataCtrlr.ConfigurationValueSize bounds every value a CSMS may set.
            return SetStatus.REJECTED, f"value longer than ConfigurationValueSize {size}"
        try:
            text = normalize(value, vdef.characteristics)  # B05.FR.07 / B05.FR.08
        except InvalidValue as exc:
            return SetStatus.REJECTED, str(exc)
        if attr.mutability == Mutability.READ_ONLY or attr.constant:
            return SetStatus.REJECTED, "variable is read-only"  # B05.FR.09
        self._store(vdef, attr, text)
        if vdef.reboot_required:
            return SetStatus.REBOOT_REQUIRED, None
        return SetStatus.ACCEPTED, None  # B05.FR.10

    def set(
        self,
        component: ComponentLike,
        variable: VariableLike,
        value: str,
        attribute_type: AttributeType | str = AttributeType.ACTUAL,
    ) -> SetStatus:
        return self.set_variable(component, variable, value, attribute_type)[0]

    def update(
        self,
        component: ComponentLike,
        variable: VariableLike,
        value: str,
        attribute_type: AttributeType = AttributeType.ACTUAL,
    ) -> None:
        """The station itself writes a value (read-only ones too, e.g. AvailabilityState).

        Raises KeyError for an unknown slot and InvalidValue for a bad value: a
        station writing nonsense into its own model is a bug, not a CSMS error.
        """
        comp, var = _component(component), _variable(variable)
        vdef = self.definition.lookup(comp, var)
        attr = vdef.attribute(attribute_type) if vdef else None
        if vdef is None or attr is None:
            raise KeyError(storage_key(comp, var, attribute_type))
        self._store(vdef, attr, normalize(value, vdef.characteristics))

    def _store(self, vdef: VariableDef, attr: AttributeDef, text: str) -> None:
        slot = (vdef.component, vdef.variable, attr.type)
        if text == self._raw(vdef, attr):
            # Unchanged: memory matches the store already (restore loaded it from there, or
            # it is the default nothing was saved for), so skip the write. At boot a station
            # rewrites several counters and flags with their current value.
            return
        self._actual_by_name = None
        if text == attr.default:
            # Back to the default: forget it, so the station stays small.
            if self._values is not None:
                self._values.pop(slot, None)
        else:
            if self._values is None:
                self._values = {}
            self._values[slot] = text
        if self.persist is not None and attr.persistent:
            self.persist(storage_key(*slot), text)

    def restore(self, saved: Mapping[str, str]) -> list[str]:
        """Load persisted values (without writing them back); returns keys no longer valid."""
        by_key = {
            storage_key(v.component, v.variable, a.type): (v, a)
            for v in self.definition
            for a in v.attributes
        }
        stale = []
        for key, text in saved.items():
            found = by_key.get(key)
            if found is None:
                stale.append(key)
                continue
            vdef, attr = found
            try:
                text = normalize(text, vdef.characteristics)
            except InvalidValue:
                stale.append(key)
                continue
            if text != attr.default:
                if self._values is None:
                    self._values = {}
                self._values[(vdef.component, vdef.variable, attr.type)] = text
        self._actual_by_name = None
        return stale

    def changed(self) -> dict[str, str]:
        """The values this station holds apart from the defaults, by storage key."""
        return {storage_key(*slot): text for slot, text in (self._values or {}).items()}

    # -- reporting helpers (used by dm_report) ------------------------------------
    def attributes_json(self, vdef: VariableDef) -> list[dict[str, Any]]:
        """VariableAttributeType entries; a WriteOnly value is never reported."""
        out = []
        for attr in vdef.attributes:
            entry: dict[str, Any] = {"type": str(attr.type)}
            text = self._raw(vdef, attr)
            if attr.mutability != Mutability.WRITE_ONLY and text != "":
                entry["value"] = text
            entry["mutability"] = str(attr.mutability)
            entry["persistent"] = attr.persistent
            entry["constant"] = attr.constant
            out.append(entry)
        return out

    def components_with(self, variable: str) -> Iterable[ComponentKey]:
        """Components whose ``variable`` (without instance) has the Actual value "true"."""
        for vdef in self.definition:
            if vdef.variable == VariableKey(variable):
                attr = vdef.attribute(AttributeType.ACTUAL)
                if attr is not None and self._raw(vdef, attr) == "true":
                    yield vdef.component
