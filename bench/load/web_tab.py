"""A "Stations" tab in Locust's web UI: the run's own figures beside the request table.

Locust's web UI takes extra tabs and tables through its template arguments
(``extended_tabs``, ``extended_tables``, ``extended_csv_files``) and fills them
from an ``extended_stats`` list added to its ``/stats/requests`` answer, which it
polls every couple of seconds. This module adds exactly that, fed by the run's
``RunTotals`` (``bench.load.worker_stats``), plus a CSV download of the summary.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, request

from bench.load.worker_stats import SUMMARY_FIELDS, RunTotals

TAB_KEY = "ocpp-bench"
CSV_PATH = "/ocpp-bench/stations.csv"
# The web UI turns keys into camelCase; plain lower-case names survive unchanged.
_COLUMNS = (
    ("entry", "Entry"),
    ("count", "Count"),
    ("p50", "50%ile (ms)"),
    ("p99", "99%ile (ms)"),
    ("max", "Max (ms)"),
    ("unit", "Unit"),
)


def web_rows(totals: RunTotals) -> list[dict[str, Any]]:
    keys = dict(zip(SUMMARY_FIELDS, (key for key, _title in _COLUMNS), strict=True))
    return [{keys[name]: value for name, value in row.items()} for row in totals.summary()]


def summary_csv(totals: RunTotals) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS)
    writer.writeheader()
    writer.writerows(totals.summary())
    return out.getvalue()


def add_stations_tab(web_ui: Any, totals: RunTotals) -> None:
    """Register the tab, its table, its data and its CSV on Locust's ``WebUI``."""
    web_ui.template_args["extended_tabs"] = [{"title": "Stations", "key": TAB_KEY}]
    web_ui.template_args["extended_tables"] = [
        {"key": TAB_KEY, "structure": [{"key": key, "title": title} for key, title in _COLUMNS]}
    ]
    web_ui.template_args["extended_csv_files"] = [
        {"href": CSV_PATH, "title": "Download station and worker statistics CSV"}
    ]
    app = web_ui.app

    @app.after_request
    def _with_station_stats(response: Response) -> Response:
        if request.path != "/stats/requests" or response.json is None:
            return response
        extended = [{"key": TAB_KEY, "data": web_rows(totals)}]
        response.set_data(json.dumps({**response.json, "extended_stats": extended}))
        return response

    def _stations_csv() -> Response:
        return Response(
            summary_csv(totals),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment;filename=ocpp_bench_stations.csv"},
        )

    # Behind the web UI's login when it has one, like Locust's own downloads.
    app.add_url_rule(
        CSV_PATH, "ocpp_bench_stations_csv", web_ui.auth_required_if_enabled(_stations_csv)
    )
