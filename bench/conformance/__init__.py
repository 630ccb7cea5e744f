"""Conformance testing: the OCTT test cases of OCPP 1.6 and 2.0.1, run by the bench.

``catalogue`` holds every case as data (from OCTT's 1.6 document and 2.0.1 part 6),
``results`` the verdicts and evidence of a run, ``run`` plays cases against a
system under test, ``reports`` writes what a lab hands to a customer.
"""
