"""Load testing with Locust (issue 16): the bench's own stations as Locust users.

Only ``bench.load.locustfile`` imports Locust or gevent, and it runs in a Locust
process that ``ocpp-bench load`` starts; everything else here is plain asyncio and
importable anywhere (``mix`` reads scenarios, ``samples`` turns frames into Locust
statistics, ``fleet`` runs the stations, ``cli`` builds the Locust command line).
"""
