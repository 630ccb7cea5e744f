"""Tariff and cost shown to the driver (I01-I05) over a loopback CSMS."""

from __future__ import annotations

from bench.csms.server import CentralSystem
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory
from tests.e2e.v201.test_monitoring_support import start_charging


async def test_cost_updated_shows_the_running_cost_on_the_evse_display(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """I02.FR.02: CostUpdated is answered; I02.FR.03: the total is shown, in Currency."""
    cp = await make_cp201(csms.url, "TAR1", variables={"TariffCostCtrlr.Currency": "NOK"})
    start_charging(cp)
    await wait_until(lambda: cp.transactions.active(1) is not None, what="transaction")
    tx_id = cp.transactions.active(1).transaction_id
    reply = await csms.call("TAR1", "CostUpdated", {"totalCost": 12.5, "transactionId": tx_id})
    assert reply == {}
    assert cp.display.own_text(1) == "Cost so far: 12.50 NOK"
    assert cp.display.current(1).content == "Cost so far: 12.50 NOK"


async def test_cost_updated_for_an_unknown_transaction_shows_nothing(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """I02.FR.02: answered even when the transaction is not (or no longer) known."""
    cp = await make_cp201(csms.url, "TAR2")
    reply = await csms.call("TAR2", "CostUpdated", {"totalCost": 1.0, "transactionId": "nope"})
    assert reply == {}
    assert cp.display.current(1) is None


async def test_cost_display_follows_tariff_cost_ctrlr_enabled(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """TariffCostCtrlr.Enabled[Cost]=false: nothing is shown (appendix 2.10.4)."""
    cp = await make_cp201(csms.url, "TAR3", variables={"TariffCostCtrlr.Enabled[Cost]": "false"})
    cp.tariff.show_cost(1, 3.0)
    assert cp.display.own_text(1) is None


async def test_personal_tariff_fallbacks_and_final_cost(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """I01.FR.03 personal message shown; I04.FR.01 TariffFallbackMessage; I03.FR.03 final cost;
    I05.FR.02 TotalCostFallbackMessage when the cost is unknown."""
    cp = await make_cp201(
        csms.url,
        "TAR4",
        variables={
            "TariffCostCtrlr.TariffFallbackMessage": "0.30/kWh",
            "TariffCostCtrlr.TotalCostFallbackMessage": "See your invoice",
        },
    )
    cp.tariff.show_personal_message(1, {"format": "UTF8", "content": "Your price: 0.25/kWh"})
    assert cp.display.current(1).content == "Your price: 0.25/kWh"
    cp.tariff.show_fallback_tariff(1)
    assert cp.display.own_text(1) == "0.30/kWh"
    cp.tariff.show_cost(1, 4.2, final=True)
    assert cp.display.own_text(1) == "Total cost: 4.20 EUR"
    cp.tariff.show_cost(1, None, final=True)
    assert cp.display.own_text(1) == "See your invoice"


async def test_tariff_cost_ctrlr_variables_are_reported(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Appendix 2.10: Currency, fallback messages and Enabled/Available per instance."""
    await make_cp201(csms.url, "TAR5")
    wanted = [
        ("Currency", None),
        ("TariffFallbackMessage", None),
        ("TotalCostFallbackMessage", None),
        ("Enabled", "Tariff"),
        ("Available", "Cost"),
    ]
    data = [
        {
            "component": {"name": "TariffCostCtrlr"},
            "variable": {"name": n, **({"instance": i} if i else {})},
        }
        for n, i in wanted
    ]
    reply = await csms.call("TAR5", "GetVariables", {"getVariableData": data})
    results = reply["getVariableResult"]
    assert [r["attributeStatus"] for r in results] == ["Accepted"] * 5
    assert results[0]["attributeValue"] == "EUR"
    reply = await csms.call(
        "TAR5",
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": "TariffCostCtrlr"},
                    "variable": {"name": "Currency"},
                    "attributeValue": "EURO",
                }
            ]
        },
    )
    assert reply["setVariableResult"][0]["attributeStatus"] == "Rejected"  # maxLimit 3
