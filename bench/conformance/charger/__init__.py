"""Testing a charging station: the bench plays the CSMS side of the OCTT CS cases.

``endpoint`` listens as a CSMS for the station under test; ``answers`` gives the
replies a well-behaved CSMS would give, which a case overrides where it needs
another; ``run`` is the context a scenario runs in; ``dut`` is the station under
test (one of the bench's own, or a real one a person operates); ``runner`` runs a
selection of cases and turns each into a verdict.
"""
