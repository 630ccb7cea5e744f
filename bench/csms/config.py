"""Settings of the built-in CSMS: where it listens, how it answers, which tags it knows.

Version-neutral: the boot sequence, tag list and intervals mean the same in
1.6 and 2.0.1; the version packages turn them into their own message shapes.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.model.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bench.csms.faults import Fault

REGISTRATION_STATUSES = ("Accepted", "Pending", "Rejected")
TAG_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")

# What the CSMS does with a request from a station it has not (yet) accepted.
#  "strict":  CALLERROR SecurityError, except BootNotification and messages the
#             CSMS itself asked for with TriggerMessage (1.6 §4.2 forbids a Pending
#             or Rejected station to send anything else; 2.0.1 B02.FR.09 / B03.FR.08
#             name SecurityError as the answer, and 1.6 names none, so we borrow it).
#  "lenient": handle it as if the station were accepted (for stations that are known
#             to break §4.2 but should still be exercised).
PRE_ACCEPT_POLICIES = ("strict", "lenient")


class ConfigError(ValueError):
    """A CSMS setting or tags file is unusable; the message says which and why."""


@dataclass(slots=True)
class TagEntry:
    """One id token the CSMS knows (1.6 §7.28 IdTagInfo)."""

    status: str = "Accepted"
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None

    def __post_init__(self) -> None:
        if self.status not in TAG_STATUSES:
            raise ConfigError(f"tag status must be one of {', '.join(TAG_STATUSES)}")
        if self.expiry_date is not None and self.expiry_date.tzinfo is None:
            raise ConfigError("tag expiry dates must carry a time zone")


@dataclass(slots=True)
class CsmsConfig:
    host: str = "127.0.0.1"
    port: int = 0
    db_path: str | Path | None = None  # None: a private in-memory database
    boot_responses: list[str] = field(default_factory=lambda: ["Accepted"])
    heartbeat_interval: int = 300  # s, sent with BootNotification Accepted
    boot_retry_interval: int = 10  # s, sent with Pending / Rejected
    tags: dict[str, TagEntry] = field(default_factory=dict)
    accept_unknown_tags: bool = False
    # 1.6 idTagInfo ConcurrentTx: refuse a StartTransaction for a tag that already
    # has an open transaction. Off by default: a demo may charge two cars on one tag.
    reject_concurrent_tx: bool = False
    pre_accept_policy: str = "strict"
    # DataTransfer from a station: these vendor ids get Accepted with their data
    # echoed back; any other gets UnknownVendorId (1.6 §4.3).
    data_transfer_vendors: tuple[str, ...] = ("bench",)
    # HTTP Basic auth (security whitepaper §2.3): station id -> password. None: no auth.
    basic_auth: dict[str, str] | None = None
    # Station identities: the OCPP 2.0.1 identifierString rule (at most 48 characters of
    # a-z A-Z 0-9 *-_=+|@., no colon) unless relaxed for 1.6 fleets (bench.transport.identity).
    relaxed_station_ids: bool = False
    subprotocols: tuple[str, ...] = ("ocpp1.6", "ocpp2.0.1")
    # TLS (security profiles 2 and 3): a server context; with verify_mode CERT_REQUIRED
    # and a client CA loaded, stations must present a client certificate (profile 3).
    ssl_context: ssl.SSLContext | None = None
    # Signs SignCertificate CSRs (whitepaper A02/A03): a bench.csms.certificates
    # CertificateAuthority. None: the CSMS generates its own root at start;
    # False: no CA at all, SignCertificate is Rejected (A02.FR.12).
    certificate_authority: Any = None
    # A folder served over HTTP on ``host`` for firmware downloads and diagnostics/log
    # uploads (bench.csms.files.FileServer); None: no file server.
    files: str | Path | None = None
    clock: Clock = field(default_factory=SystemClock)
    # 2.0.1 I02/I03: a flat price per kWh; TransactionEvent replies for Updated and Ended
    # then carry totalCost (energy since the start x price). None: no cost is sent.
    price_per_kwh: float | None = None
    # The currency of that price (ISO 4217, e.g. "EUR"), shown with session costs; None: unknown.
    currency: str | None = None
    # Deliberate misbehaviour for testing conformance checks (bench.csms.faults): Fault
    # objects or their spec strings ("reply:BootNotification:status=Rejected"). Empty: none.
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.boot_responses:
            raise ConfigError("boot_responses needs at least one status")
        for status in self.boot_responses:
            if status not in REGISTRATION_STATUSES:
                raise ConfigError(
                    f"boot response {status!r} is not one of {', '.join(REGISTRATION_STATUSES)}"
                )
        if self.heartbeat_interval < 0 or self.boot_retry_interval < 0:
            raise ConfigError("intervals must not be negative")
        if self.pre_accept_policy not in PRE_ACCEPT_POLICIES:
            raise ConfigError(f"pre_accept_policy must be one of {', '.join(PRE_ACCEPT_POLICIES)}")
        if self.price_per_kwh is not None and not self.price_per_kwh >= 0:  # NaN fails too
            raise ConfigError(f"price {self.price_per_kwh} per kWh must be a number >= 0")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is out of range")
        if self.faults:
            from bench.csms.faults import parse_faults  # it reads ConfigError from here

            self.faults = parse_faults(self.faults)


def parse_boot_responses(text: str) -> list[str]:
    """``"Pending,Accepted"`` -> ``["Pending", "Accepted"]`` (case-insensitive)."""
    by_lower = {s.lower(): s for s in REGISTRATION_STATUSES}
    out = []
    for part in text.split(","):
        word = part.strip()
        if not word:
            continue
        if word.lower() not in by_lower:
            raise ConfigError(
                f"boot response {word!r} is not one of {', '.join(REGISTRATION_STATUSES)}"
            )
        out.append(by_lower[word.lower()])
    if not out:
        raise ConfigError("--boot needs at least one status")
    return out


def _parse_datetime(text: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise ConfigError(f"{where}: {text!r} has no time zone (add Z or +00:00)")
    return value


def tags_from_json(data: Any) -> dict[str, TagEntry]:
    """Build the tag list from JSON.

    Accepted shape: an object mapping id tag to either a status string or an
    object ``{"status": ..., "expiryDate": ..., "parentIdTag": ...}``::

        {"TAG-1": "Accepted", "TAG-2": {"status": "Blocked"},
         "TAG-3": {"expiryDate": "2020-01-01T00:00:00Z", "parentIdTag": "FLEET"}}
    """
    if not isinstance(data, dict):
        raise ConfigError("tags must be a JSON object mapping id tag to status or settings")
    tags: dict[str, TagEntry] = {}
    for tag, value in data.items():
        if not isinstance(tag, str) or not 0 < len(tag) <= 20:
            raise ConfigError(f"tag {tag!r}: an idTag is 1 to 20 characters (1.6 IdToken)")
        if isinstance(value, str):
            value = {"status": value}
        if not isinstance(value, dict):
            raise ConfigError(f"tag {tag!r}: expected a status string or an object")
        unknown = set(value) - {"status", "expiryDate", "parentIdTag"}
        if unknown:
            raise ConfigError(f"tag {tag!r}: unknown field(s) {', '.join(sorted(unknown))}")
        expiry = value.get("expiryDate")
        parent = value.get("parentIdTag")
        if parent is not None and (not isinstance(parent, str) or not 0 < len(parent) <= 20):
            raise ConfigError(f"tag {tag!r}: parentIdTag must be 1 to 20 characters")
        try:
            tags[tag] = TagEntry(
                status=value.get("status", "Accepted"),
                expiry_date=_parse_datetime(expiry, f"tag {tag!r}") if expiry else None,
                parent_id_tag=parent,
            )
        except ConfigError as exc:
            raise ConfigError(f"tag {tag!r}: {exc}") from None
    return tags


def load_tags(path: str | Path) -> dict[str, TagEntry]:
    """Read a tags file (see ``tags_from_json``); errors name the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read tags file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"tags file {path} is not valid JSON: {exc}") from None
    try:
        return tags_from_json(data)
    except ConfigError as exc:
        raise ConfigError(f"tags file {path}: {exc}") from None


def tags_to_json(tags: dict[str, TagEntry]) -> dict[str, dict[str, str]]:
    """The inverse of ``tags_from_json`` (for the console's ``tags`` command)."""
    out: dict[str, dict[str, str]] = {}
    for tag, entry in tags.items():
        item = {"status": entry.status}
        if entry.expiry_date is not None:
            item["expiryDate"] = entry.expiry_date.isoformat()
        if entry.parent_id_tag is not None:
            item["parentIdTag"] = entry.parent_id_tag
        out[tag] = item
    return out
