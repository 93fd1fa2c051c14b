"""The national referential of EPCIs and their member communes, shipped with the product (see data/SOURCES.md)."""

from __future__ import annotations

import csv
import functools
import gzip
import io
from dataclasses import dataclass
from importlib import resources

POPULATION_YEAR = 2026  # DGCL 2026 figures


class UnknownEpci(LookupError):
    """No EPCI of the referential has this SIREN."""


@dataclass(frozen=True)
class ReferentialCommune:
    insee_code: str
    name: str
    siren: str
    departement: str
    postal_codes: tuple[str, ...]
    population: int
    population_total: int


@dataclass(frozen=True)
class ReferentialEpci:
    siren: str
    name: str
    nature: str
    tax_regime: str
    communes: tuple[ReferentialCommune, ...]


@functools.cache
def all_epcis() -> dict[str, ReferentialEpci]:
    """Every EPCI of the referential, by SIREN (read once per process)."""
    raw = resources.files("mutualise").joinpath("data/epci_membres_2026.csv.gz").read_bytes()
    text = io.StringIO(gzip.decompress(raw).decode("utf-8-sig"))
    heads: dict[str, tuple[str, str, str]] = {}
    members: dict[str, list[ReferentialCommune]] = {}
    for row in csv.DictReader(text, delimiter=";"):
        siren = row["epci_siren"]
        heads.setdefault(siren, (row["epci_nom"], row["epci_type"], row["epci_mode_financement"]))
        members.setdefault(siren, []).append(
            ReferentialCommune(
                insee_code=row["code_insee"],
                name=row["commune_nom"],
                siren=row["commune_siren"],
                departement=row["departement"],
                postal_codes=tuple(row["codes_postaux"].split()),
                population=int(row["population_municipale"] or 0),
                population_total=int(row["population_totale"] or 0),
            )
        )
    return {
        siren: ReferentialEpci(siren, name, nature, regime, tuple(sorted(members[siren], key=lambda c: c.insee_code)))
        for siren, (name, nature, regime) in heads.items()
    }


def get_epci(siren: str) -> ReferentialEpci:
    """The EPCI with this SIREN; :class:`UnknownEpci` if the referential has none."""
    try:
        return all_epcis()[siren]
    except KeyError:
        raise UnknownEpci(siren) from None
