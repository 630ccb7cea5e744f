"""The graph sample buffer: bounded, and growing on demand (1,000 stations share a process)."""

from __future__ import annotations

from ui.models.samples import FIELDS, SampleBuffer


def row(t: float) -> tuple[float, ...]:
    return (t, *([t] * (len(FIELDS) - 1)))


def test_a_new_buffer_is_small_and_grows_as_samples_arrive():
    buffer = SampleBuffer(capacity=3600)
    small = buffer._data.nbytes
    assert small < 10_000
    for t in range(1000):
        buffer.append(row(float(t)))
    assert len(buffer) == 1000
    assert buffer.column("t")[0] == 0.0 and buffer.column("t")[-1] == 999.0
    assert buffer._data.nbytes > small


def test_a_full_buffer_keeps_the_newest_capacity_samples_in_order():
    buffer = SampleBuffer(capacity=100)
    for t in range(1000):
        buffer.append(row(float(t)))
    times = buffer.column("t")
    assert len(buffer) == 100 and len(times) == 100
    assert list(times) == [float(t) for t in range(900, 1000)]
    assert buffer._data.shape[1] <= 200
