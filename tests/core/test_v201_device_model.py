"""The OCPP 2.0.1 device model: definitions, GetVariables/SetVariables statuses, reports."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from bench.ocpp.schemas import validate
from bench.ocpp.v201.device_model import (
    AttributeType,
    ComponentKey,
    DeviceModel,
    GetStatus,
    SetStatus,
    VariableKey,
)
from bench.ocpp.v201.dm_catalogue import catalogue, parse_csv, to_json
from bench.ocpp.v201.dm_report import (
    ReportBase,
    base_report,
    custom_report,
    split_report,
)
from bench.ocpp.v201.dm_seed import STANDARD_COMPONENTS, standard_definition

# The specification folder sits beside the project checkout (it is never copied in).
SPEC_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared/spec/ocpp201/appendices_csv/dm_components_vars.csv"
)
NOW = "2026-01-01T00:00:00Z"
EVSE1 = ComponentKey("EVSE", evse=1)
CONNECTOR_1_1 = ComponentKey("Connector", evse=1, connector=1)


@pytest.fixture
def model() -> DeviceModel:
    return DeviceModel(standard_definition((2, 1)))


# -- catalogue and seed --------------------------------------------------------------


@pytest.mark.skipif(not SPEC_CSV.exists(), reason="spec folder not present")
def test_shipped_catalogue_is_the_appendix_csv_converted() -> None:
    """Part 2 appendices: dm_catalogue.json is dm_components_vars.csv, generic rows included."""
    shipped = (Path(__file__).parents[2] / "bench/ocpp/v201/dm_catalogue.json").read_text("utf-8")
    assert to_json(parse_csv(SPEC_CSV.read_text("utf-8"))) == shipped


def test_every_required_variable_of_an_implemented_controller_is_defined() -> None:
    """B07.FR.08 note: a FullInventory holds at least the required variables of each controller."""
    definition = standard_definition((1,))
    defined = {(v.component.name, v.variable.name, v.variable.instance) for v in definition}
    implemented = set(STANDARD_COMPONENTS)
    missing = [
        key for key, entry in catalogue().items() if entry.required and key[0] in implemented
    ]
    assert [key for key in missing if key not in defined] == []
    for name in ("EVSE", "Connector"):
        required = {k[1] for k, e in catalogue().items() if e.required and k[0] == name}
        have = {v.variable.name for v in definition if v.component.name == name}
        assert required <= have


def test_data_types_and_units_come_from_the_appendix_catalogue() -> None:
    """Part 2 appendices: HeartbeatInterval is an integer in seconds, TxStartPoint a MemberList."""
    definition = standard_definition((1,))
    heartbeat = definition.lookup(ComponentKey("OCPPCommCtrlr"), VariableKey("HeartbeatInterval"))
    tx_start = definition.lookup(ComponentKey("TxCtrlr"), VariableKey("TxStartPoint"))
    assert heartbeat is not None and tx_start is not None
    assert (heartbeat.characteristics.data_type, heartbeat.characteristics.unit) == (
        "integer",
        "s",
    )
    assert tx_start.characteristics.data_type == "MemberList"


def test_the_layout_creates_evse_and_connector_instances() -> None:
    """Part 1 §4: EVSE and Connector components are addressed by evse.id and connectorId."""
    definition = standard_definition((2, 1))
    components = definition.components
    assert ComponentKey("EVSE", evse=2) in components
    assert ComponentKey("Connector", evse=1, connector=2) in components
    assert ComponentKey("Connector", evse=2, connector=2) not in components


# -- B06 GetVariables -------------------------------------------------------------------


def test_get_returns_the_default_value_accepted(model: DeviceModel) -> None:
    """B06.FR.10: a readable variable is Accepted with its value."""
    assert model.get("OCPPCommCtrlr", "HeartbeatInterval") == (GetStatus.ACCEPTED, "300")


def test_get_of_an_unknown_component_is_unknown_component(model: DeviceModel) -> None:
    """B06.FR.06: UnknownComponent and no value."""
    assert model.get("NoSuchCtrlr", "HeartbeatInterval") == (GetStatus.UNKNOWN_COMPONENT, None)
    assert model.get(ComponentKey("EVSE", evse=9), "Power") == (GetStatus.UNKNOWN_COMPONENT, None)


def test_get_of_an_unknown_variable_is_unknown_variable(model: DeviceModel) -> None:
    """B06.FR.07, B06.FR.15: UnknownVariable, also when the instance is missing."""
    assert model.get("OCPPCommCtrlr", "NoSuchVar") == (GetStatus.UNKNOWN_VARIABLE, None)
    # MessageTimeout exists only with instance "Default".
    assert model.get("OCPPCommCtrlr", "MessageTimeout")[0] == GetStatus.UNKNOWN_VARIABLE
    assert model.get("OCPPCommCtrlr", VariableKey("MessageTimeout", "Default")) == (
        GetStatus.ACCEPTED,
        "30",
    )


def test_get_of_an_unsupported_attribute_type_is_not_supported(model: DeviceModel) -> None:
    """B06.FR.08: NotSupportedAttributeType for an attribute the variable lacks."""
    result = model.get("OCPPCommCtrlr", "HeartbeatInterval", AttributeType.TARGET)
    assert result == (GetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE, None)


def test_get_of_a_write_only_variable_is_rejected(model: DeviceModel) -> None:
    """B06.FR.09: BasicAuthPassword is WriteOnly, so GetVariables answers Rejected."""
    assert model.set("SecurityCtrlr", "BasicAuthPassword", "s3cret-password") == SetStatus.ACCEPTED
    assert model.get("SecurityCtrlr", "BasicAuthPassword") == (GetStatus.REJECTED, None)


def test_get_of_an_unset_attribute_is_an_empty_string(model: DeviceModel) -> None:
    """B06.FR.13: a supported attribute without a value answers an empty string."""
    assert model.get("SecurityCtrlr", "Identity") == (GetStatus.ACCEPTED, "")


def test_get_addresses_evse_and_connector_instances_from_json(model: DeviceModel) -> None:
    """B06.FR.14: the component's evse/connectorId selects the instance."""
    model.update(ComponentKey("Connector", evse=2, connector=1), "AvailabilityState", "Occupied")
    comp = ComponentKey.from_json({"name": "Connector", "evse": {"id": 2, "connectorId": 1}})
    assert model.get(comp, "AvailabilityState") == (GetStatus.ACCEPTED, "Occupied")
    assert model.get(CONNECTOR_1_1, "AvailabilityState") == (GetStatus.ACCEPTED, "Available")
    max_set = model.get(EVSE1, "Power", "MaxSet")
    assert max_set == (GetStatus.ACCEPTED, "22000")


# -- B05 SetVariables -------------------------------------------------------------------


def test_set_of_a_valid_value_is_accepted_and_read_back(model: DeviceModel) -> None:
    """B05.FR.10: Accepted, and the new value is what GetVariables returns."""
    assert model.set("OCPPCommCtrlr", "HeartbeatInterval", "60") == SetStatus.ACCEPTED
    assert model.get("OCPPCommCtrlr", "HeartbeatInterval") == (GetStatus.ACCEPTED, "60")


def test_set_of_an_unknown_component_or_variable(model: DeviceModel) -> None:
    """B05.FR.04, B05.FR.05: UnknownComponent, then UnknownVariable."""
    assert model.set("NoSuchCtrlr", "HeartbeatInterval", "1") == SetStatus.UNKNOWN_COMPONENT
    assert model.set("OCPPCommCtrlr", "NoSuchVar", "1") == SetStatus.UNKNOWN_VARIABLE


def test_set_of_an_unsupported_attribute_type(model: DeviceModel) -> None:
    """B05.FR.06: NotSupportedAttributeType."""
    status = model.set("OCPPCommCtrlr", "HeartbeatInterval", "60", AttributeType.MIN_SET)
    assert status == SetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE


@pytest.mark.parametrize(
    ("component", "variable", "value"),
    [
        ("OCPPCommCtrlr", "HeartbeatInterval", "sixty"),  # not an integer
        ("OCPPCommCtrlr", "HeartbeatInterval", "1.5"),  # decimal for an integer
        ("AuthCtrlr", "LocalPreAuthorize", "yes"),  # not a boolean
        ("AuthCacheCtrlr", "Policy", "Random"),  # not in the OptionList
        ("TxCtrlr", "TxStartPoint", "Authorized,Teleported"),  # unknown member
        ("TxCtrlr", "TxStartPoint", "Authorized,Authorized"),  # duplicate member
        ("TxCtrlr", "TxStartPoint", "Authorized,,EVConnected"),  # empty element
    ],
)
def test_set_of_a_badly_formatted_value_is_rejected(
    model: DeviceModel, component: str, variable: str, value: str
) -> None:
    """B05.FR.07: a value not of the variable's dataType or valuesList is Rejected."""
    before = model.get(component, variable)
    status, reason = model.set_variable(component, variable, value)
    assert status == SetStatus.REJECTED and reason
    assert model.get(component, variable) == before


@pytest.mark.parametrize(
    ("component", "variable", "value"),
    [
        ("OCPPCommCtrlr", "HeartbeatInterval", "0"),  # minLimit 1
        ("SmartChargingCtrlr", "LimitChangeSignificance", "100.5"),  # maxLimit 100
        ("SecurityCtrlr", "Identity", "x" * 49),  # string longer than maxLimit 48
    ],
)
def test_set_of_a_value_out_of_range_is_rejected(
    model: DeviceModel, component: str, variable: str, value: str
) -> None:
    """B05.FR.08: a value outside minLimit/maxLimit is Rejected."""
    assert model.set(component, variable, value) == SetStatus.REJECTED


def test_set_of_a_value_longer_than_configuration_value_size_is_rejected(
    model: DeviceModel,
) -> None:
    """B05.FR.08 with DeviceDataCtrlr.ConfigurationValueSize (1000): longer values are Rejected."""
    status, reason = model.set_variable("SecurityCtrlr", "OrganizationName", "o" * 1001)
    assert status == SetStatus.REJECTED and "ConfigurationValueSize" in (reason or "")
    assert model.set("SecurityCtrlr", "OrganizationName", "o" * 1000) == SetStatus.ACCEPTED


def test_set_of_a_read_only_variable_is_rejected(model: DeviceModel) -> None:
    """B05.FR.09: SecurityProfile and AvailabilityState are ReadOnly."""
    assert model.set("SecurityCtrlr", "SecurityProfile", "2") == SetStatus.REJECTED
    assert model.set(EVSE1, "AvailabilityState", "Unavailable") == SetStatus.REJECTED
    assert model.get("SecurityCtrlr", "SecurityProfile") == (GetStatus.ACCEPTED, "1")


def test_the_default_message_timeout_is_read_only(model: DeviceModel) -> None:
    """Part 2 §2.1.3 DefaultMessageTimeout: OCPPCommCtrlr.MessageTimeout[Default] is
    ReadOnly (set through SetNetworkProfile's messageTimeout); B05.FR.09, TC_B_39_CS."""
    timeout = VariableKey("MessageTimeout", "Default")
    assert model.set("OCPPCommCtrlr", timeout, "45") == SetStatus.REJECTED
    assert model.get("OCPPCommCtrlr", timeout) == (GetStatus.ACCEPTED, "30")


def test_set_of_a_variable_applied_at_reboot_answers_reboot_required(model: DeviceModel) -> None:
    """B05 / SetVariableStatusEnumType: RebootRequired, and the value is kept for the reboot."""
    status = model.set("OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
    assert status == SetStatus.REBOOT_REQUIRED
    assert model.value("OCPPCommCtrlr", "NetworkConfigurationPriority") == "2,1"


def test_values_are_normalized_on_set(model: DeviceModel) -> None:
    """B05.FR.10: booleans are stored lowercase, list members without spaces."""
    assert model.set("AuthCtrlr", "LocalPreAuthorize", "TRUE") == SetStatus.ACCEPTED
    assert model.set("TxCtrlr", "TxStopPoint", "EVConnected, Authorized") == SetStatus.ACCEPTED
    assert model.get("AuthCtrlr", "LocalPreAuthorize")[1] == "true"
    assert model.get("TxCtrlr", "TxStopPoint")[1] == "EVConnected,Authorized"


# -- memory and persistence --------------------------------------------------------------


def test_stations_share_definitions_and_keep_only_changed_values() -> None:
    """10,000 stations per process: one definition object, and only changes per station."""
    first = DeviceModel(standard_definition((2, 1)))
    second = DeviceModel(standard_definition((2, 1)))
    assert first.definition is second.definition
    first.set("OCPPCommCtrlr", "HeartbeatInterval", "60")
    assert first.changed() == {"OCPPCommCtrlr/HeartbeatInterval/Actual": "60"}
    assert second.changed() == {}
    # Setting the default again forgets the entry.
    first.set("OCPPCommCtrlr", "HeartbeatInterval", "300")
    assert first.changed() == {}


def test_ten_thousand_untouched_stations_stay_small() -> None:
    """10,000 stations per process: an untouched model costs well under 200 bytes."""
    definition = standard_definition((2, 1))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        models = [DeviceModel(definition) for _ in range(10_000)]
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(models) == 10_000
    assert used / 10_000 < 200


def test_changes_are_persisted_and_restored() -> None:
    """Persistence hook: each accepted change is written; a new model restores it."""
    saved: dict[str, str] = {}
    model = DeviceModel(standard_definition((1,)), persist=saved.__setitem__)
    model.set("OCPPCommCtrlr", "HeartbeatInterval", "45")
    model.set("OCPPCommCtrlr", "HeartbeatInterval", "nope")  # rejected: not persisted
    model.update(ComponentKey("Connector", evse=1, connector=1), "ConnectorType", "cCCS2")
    assert saved == {
        "OCPPCommCtrlr/HeartbeatInterval/Actual": "45",
        "Connector@1.1/ConnectorType/Actual": "cCCS2",
    }
    restored = DeviceModel(standard_definition((1,)), saved={**saved, "Gone/X/Actual": "1"})
    assert restored.get("OCPPCommCtrlr", "HeartbeatInterval") == (GetStatus.ACCEPTED, "45")
    assert restored.restore({"Gone/X/Actual": "1"}) == ["Gone/X/Actual"]


def test_the_station_itself_can_update_read_only_values_but_not_invalid_ones(
    model: DeviceModel,
) -> None:
    """B07.FR.09 relies on AvailabilityState following the station's state."""
    model.update(EVSE1, "AvailabilityState", "Faulted")
    assert model.get(EVSE1, "AvailabilityState") == (GetStatus.ACCEPTED, "Faulted")
    with pytest.raises(ValueError):
        model.update(EVSE1, "AvailabilityState", "Exploded")
    with pytest.raises(KeyError):
        model.update(EVSE1, "NoSuchVar", "1")


# -- B07 / B08 reports -----------------------------------------------------------------


def _keys(report: list[dict]) -> set[tuple[str, str]]:
    return {(e["component"]["name"], e["variable"]["name"]) for e in report}


def test_full_inventory_reports_every_variable_with_characteristics(model: DeviceModel) -> None:
    """B07.FR.08, B07.FR.11: every component-variable, all supported attributes, characteristics."""
    report = base_report(model, ReportBase.FULL_INVENTORY)
    assert len(report) == len(model.definition)
    assert all("variableCharacteristics" in e for e in report)
    power = next(
        e
        for e in report
        if e["component"] == {"name": "EVSE", "evse": {"id": 1}}
        and e["variable"]["name"] == "Power"
    )
    assert [a["type"] for a in power["variableAttribute"]] == ["Actual", "MaxSet"]
    identity = next(e for e in report if e["variable"]["name"] == "Identity")
    assert "value" not in identity["variableAttribute"][0]  # unset, yet reported


def test_full_inventory_never_reports_a_write_only_value(model: DeviceModel) -> None:
    """B06.FR.09 in report form: a WriteOnly attribute is listed without its value."""
    model.set("SecurityCtrlr", "BasicAuthPassword", "s3cret-password")
    report = base_report(model, ReportBase.FULL_INVENTORY)
    entry = next(e for e in report if e["variable"]["name"] == "BasicAuthPassword")
    assert entry["variableAttribute"] == [
        {"type": "Actual", "mutability": "WriteOnly", "persistent": True, "constant": False}
    ]


def test_configuration_inventory_reports_only_settable_variables(model: DeviceModel) -> None:
    """B07.FR.07: only component-variables the operator can set."""
    keys = _keys(base_report(model, ReportBase.CONFIGURATION_INVENTORY))
    assert ("OCPPCommCtrlr", "HeartbeatInterval") in keys
    assert ("SecurityCtrlr", "BasicAuthPassword") in keys
    assert ("SecurityCtrlr", "SecurityProfile") not in keys
    assert ("EVSE", "AvailabilityState") not in keys


def test_summary_inventory_reports_availability(model: DeviceModel) -> None:
    """B07.FR.09: AvailabilityState of station and EVSEs; connectors only when they differ."""
    report = base_report(model, ReportBase.SUMMARY_INVENTORY)
    assert {e["component"]["name"] for e in report} == {"ChargingStation", "EVSE"}
    model.update(CONNECTOR_1_1, "AvailabilityState", "Occupied")
    report = base_report(model, ReportBase.SUMMARY_INVENTORY)
    connectors = [e["component"] for e in report if e["component"]["name"] == "Connector"]
    assert connectors == [{"name": "Connector", "evse": {"id": 1, "connectorId": 1}}]


def test_custom_report_by_criteria(model: DeviceModel) -> None:
    """B08.FR.08/09/10/13: Enabled true or absent; Problem only when true; criteria are ORed."""
    model.set("AuthCacheCtrlr", "Enabled", "false")
    enabled = {e["component"]["name"] for e in custom_report(model, ["Enabled"])}
    assert "AuthCtrlr" in enabled and "OCPPCommCtrlr" in enabled  # true / no Enabled variable
    assert "AuthCacheCtrlr" not in enabled
    assert custom_report(model, ["Problem"]) == []  # B08.FR.15: EmptyResultSet
    either = {e["component"]["name"] for e in custom_report(model, ["Problem", "Enabled"])}
    assert either == enabled


def test_custom_report_by_component_variables(model: DeviceModel) -> None:
    """B08.FR.11, B08.FR.20-23: filters with wildcards for variable, instance and EVSE."""
    whole = custom_report(model, component_variables=[{"component": {"name": "DeviceDataCtrlr"}}])
    assert {e["component"]["name"] for e in whole} == {"DeviceDataCtrlr"}
    assert len(whole) == 9  # B08.FR.20: every variable
    items = custom_report(
        model,
        component_variables=[
            {"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage"}}
        ],
    )
    assert len(items) == 3  # B08.FR.21: every instance
    every_evse = custom_report(
        model,
        component_variables=[
            {"component": {"name": "Connector"}, "variable": {"name": "ConnectorType"}}
        ],
    )
    assert len(every_evse) == 3  # B08.FR.23: connectors of every EVSE
    one_evse = custom_report(
        model,
        component_variables=[
            {
                "component": {"name": "Connector", "evse": {"id": 1}},
                "variable": {"name": "ConnectorType"},
            }
        ],
    )
    assert len(one_evse) == 2  # B08.FR.22: every connector of EVSE 1


def test_report_is_split_into_notify_report_parts_that_validate(model: DeviceModel) -> None:
    """B07.FR.04, B07.FR.10: seqNo from 0, tbc on all but the last, same requestId; schema-valid."""
    report = base_report(model, ReportBase.FULL_INVENTORY)
    parts = split_report(report, request_id=7, generated_at=NOW, max_items=25)
    assert len(parts) == -(-len(report) // 25)
    assert [p["seqNo"] for p in parts] == list(range(len(parts)))
    assert [p["tbc"] for p in parts] == [True] * (len(parts) - 1) + [False]
    assert {p["requestId"] for p in parts} == {7}
    assert sum(len(p["reportData"]) for p in parts) == len(report)
    for part in parts:
        validate("2.0.1", "NotifyReport", part, response=False)


def test_an_empty_report_is_one_final_part(model: DeviceModel) -> None:
    """B07.FR.10: even an empty report has a part with seqNo 0 and tbc false."""
    parts = split_report([], request_id=1, generated_at=NOW, max_items=10)
    assert parts == [{"requestId": 1, "generatedAt": NOW, "tbc": False, "seqNo": 0}]
    validate("2.0.1", "NotifyReport", parts[0], response=False)
    with pytest.raises(ValueError):
        split_report([], request_id=1, generated_at=NOW, max_items=0)
