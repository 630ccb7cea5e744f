"""What both OCPP versions use: time stamps, certificates, transfer jobs, queued delivery.

Nothing here knows which version it serves; each version package (``v16``, ``v201``)
imports from here and never from the other (issue 12: one package shape for both).
"""
