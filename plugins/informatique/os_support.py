"""End of security support of common operating systems: dated data, read by the renewal plan.

Dates are those of the publishers' lifecycle pages (Microsoft "Lifecycle", Canonical "Ubuntu release cycle", Apple
has no published policy and is left out). Windows 11 feature updates get 24 months for Home/Pro editions and 36
months for Enterprise/Education; Windows 10 ended on 14/10/2025 for every edition but the LTSC ones (paid extended
security updates are not counted: a commune that buys them knows it). Add a line when a publisher announces a date.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

D = datetime.date


@dataclass(frozen=True)
class Lifecycle:
    """An OS release: how to recognise it (family, version, edition) and when its support ends."""

    family: str  # "windows 11", "windows 10", "windows server 2019", "ubuntu 22.04"…
    version: str  # "23H2", "" for every version of the family
    end: datetime.date
    enterprise: bool | None = None  # True: Enterprise/Education editions only; False: the others; None: all


LIFECYCLES: tuple[Lifecycle, ...] = (
    Lifecycle("windows xp", "", D(2014, 4, 8)),
    Lifecycle("windows vista", "", D(2017, 4, 11)),
    Lifecycle("windows 7", "", D(2020, 1, 14)),
    Lifecycle("windows 8.1", "", D(2023, 1, 10)),
    Lifecycle("windows 8", "", D(2016, 1, 12)),
    Lifecycle("windows 10", "ltsc 2019", D(2029, 1, 9)),
    Lifecycle("windows 10", "ltsc 2021", D(2027, 1, 12)),
    Lifecycle("windows 10", "", D(2025, 10, 14)),
    Lifecycle("windows 11", "21H2", D(2023, 10, 10), enterprise=False),
    Lifecycle("windows 11", "21H2", D(2024, 10, 8), enterprise=True),
    Lifecycle("windows 11", "22H2", D(2024, 10, 8), enterprise=False),
    Lifecycle("windows 11", "22H2", D(2025, 10, 14), enterprise=True),
    Lifecycle("windows 11", "23H2", D(2025, 11, 11), enterprise=False),
    Lifecycle("windows 11", "23H2", D(2026, 11, 10), enterprise=True),
    Lifecycle("windows 11", "24H2", D(2026, 10, 13), enterprise=False),
    Lifecycle("windows 11", "24H2", D(2027, 10, 12), enterprise=True),
    Lifecycle("windows 11", "25H2", D(2027, 10, 12), enterprise=False),
    Lifecycle("windows 11", "25H2", D(2028, 10, 10), enterprise=True),
    Lifecycle("windows server 2008", "", D(2020, 1, 14)),
    Lifecycle("windows server 2012", "", D(2023, 10, 10)),
    Lifecycle("windows server 2016", "", D(2027, 1, 12)),
    Lifecycle("windows server 2019", "", D(2029, 1, 9)),
    Lifecycle("windows server 2022", "", D(2031, 10, 14)),
    Lifecycle("windows server 2025", "", D(2034, 10, 10)),
    Lifecycle("ubuntu 18.04", "", D(2023, 5, 31)),
    Lifecycle("ubuntu 20.04", "", D(2025, 5, 31)),
    Lifecycle("ubuntu 22.04", "", D(2027, 6, 1)),
    Lifecycle("ubuntu 24.04", "", D(2029, 5, 31)),
)

# Windows 11 reports a build number (10.0.22631) rather than its feature update in some inventories.
WINDOWS_11_BUILDS = {"22000": "21H2", "22621": "22H2", "22631": "23H2", "26100": "24H2", "26200": "25H2"}
ENTERPRISE_WORDS = ("enterprise", "entreprise", "education", "éducation", "ltsc", "iot")


def _normalise(text: str) -> str:
    text = text.lower().replace("microsoft", " ").replace("®", " ")
    return re.sub(r"\s+", " ", text).strip()


def _feature_update(version: str) -> str:
    version = version.upper()
    match = re.search(r"\b(\d{2}H[12])\b", version)
    if match:
        return match.group(1)
    build = re.search(r"\b10\.0\.(\d{5})\b|\b(2[26]\d{3})\b", version)
    if build:
        return WINDOWS_11_BUILDS.get(build.group(1) or build.group(2), "")
    return ""


def end_of_support(os_name: str, os_version: str = "") -> datetime.date | None:
    """When ``os_name`` (as GLPI reports it: "Microsoft Windows 11 Professionnel") in ``os_version`` stops getting
    security updates; ``None`` when the system is not in the list (no flag rather than a wrong one)."""
    name = _normalise(os_name or "")
    if not name:
        return None
    version = _normalise(os_version or "")
    text = f"{name} {version}"
    enterprise = any(word in text for word in ENTERPRISE_WORDS)
    update = _feature_update(f"{os_version} {os_name}")
    for entry in LIFECYCLES:
        if not re.search(rf"\b{re.escape(entry.family)}\b", text):
            continue
        if entry.family == "windows 10" and "server" in text:
            continue
        if entry.version.startswith("ltsc"):
            if entry.version in text or entry.version.replace("ltsc ", "ltsc") in text:
                return entry.end
            continue
        if entry.version and entry.version != update:
            continue
        if entry.enterprise is not None and entry.enterprise != enterprise:
            continue
        return entry.end
    return None
