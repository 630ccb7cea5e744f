"""A transparent OCPP-J proxy between a real charger and a real CSMS (issue 17, part 1).

The charger connects to the bench as if it were its CSMS; the bench opens the
matching connection to the real CSMS (same identity, the subprotocols the charger
offered, its Basic credentials) and passes every frame through as received,
logging it on each leg with its schema verdict and shaping it by rules.

- ``frames``: reading a frame's head and its schema verdict, pairing replies
- ``rules``: the rule file and what a rule does to a frame
- ``station``: one proxied station, its two legs and the frames between them
- ``faults``: network faults per station and leg, kept across reconnects
- ``server``: the listening side, the upstream handshake, the stations
- ``observed``: a proxied charger's connectors and meter samples, from its frames
- ``tls``: the TLS context of each side
- ``console``: commands on the proxy's standard input (held frames, a CALL to either side)
- ``cli``: ``ocpp-bench proxy``

A layer above bench.ocpp (schemas) and bench.store (message log), like bench.runtime.
"""
