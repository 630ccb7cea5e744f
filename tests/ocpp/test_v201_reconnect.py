"""A 2.0.1 station reconnects as part 4 §5.3 says, with the OCPPCommCtrlr RetryBackOff*
variables (TC_B_57_CS, TC_B_49_CS)."""

from __future__ import annotations

from bench.ocpp.v201.reconnect import RetryBackOff


class Variables:
    def __init__(self, **values: float) -> None:
        self.values = values

    def number(self, component: str, variable: str, instance: str | None = None) -> float:
        assert component == "OCPPCommCtrlr"
        return self.values[variable]


class Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def waits(backoff: RetryBackOff, n: int) -> list[float]:
    return [backoff.next() for _ in range(n)]


def test_the_wait_doubles_up_to_repeat_times_and_then_stays() -> None:
    """Part 4 §5.3: WaitMinimum first, doubled after every failed attempt at most
    RetryBackOffRepeatTimes times, then the last wait again."""
    cp = Variables(RetryBackOffWaitMinimum=3, RetryBackOffRandomRange=0, RetryBackOffRepeatTimes=2)
    assert waits(RetryBackOff(cp, Fixed(0.9)), 5) == [3, 6, 12, 12, 12]


def test_every_wait_gets_a_random_part_of_at_most_the_random_range() -> None:
    """Part 4 §5.3: a new random value of at most RetryBackOffRandomRange every attempt."""
    cp = Variables(RetryBackOffWaitMinimum=2, RetryBackOffRandomRange=10, RetryBackOffRepeatTimes=1)
    assert waits(RetryBackOff(cp, Fixed(0.5)), 3) == [7, 9, 9]


def test_a_connection_starts_the_next_loss_from_the_minimum_with_the_current_values() -> None:
    """The variables are read per attempt: a SetVariables applies to the next connection loss."""
    cp = Variables(RetryBackOffWaitMinimum=1, RetryBackOffRandomRange=0, RetryBackOffRepeatTimes=3)
    backoff = RetryBackOff(cp, Fixed(0.0))
    assert waits(backoff, 3) == [1, 2, 4]
    backoff.reset()
    cp.values["RetryBackOffWaitMinimum"] = 5
    assert waits(backoff, 2) == [5, 10]
