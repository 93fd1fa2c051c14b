"""Setting up an instance from the national referential: the intercommunality and all its member communes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from mutualise import audit
from mutualise.referential import POPULATION_YEAR, ReferentialCommune, UnknownEpci, get_epci
from tenants.models import Commune, Domain, Intercommunality, slug_for
from tenants.provisioning import ProvisionResult, provision
from tenants.validators import validate_siren


@dataclass
class InitResult:
    """What ``initialise`` did: the communes it created, updated and left as they were, and how each was provisioned."""

    intercommunality: Intercommunality
    created: list[Commune] = field(default_factory=list)
    updated: list[Commune] = field(default_factory=list)
    unchanged: list[Commune] = field(default_factory=list)
    provisioned: list[ProvisionResult] = field(default_factory=list)


class InitError(ValueError):
    """The instance cannot be initialised as asked; the message, in French, says why. Nothing was written."""


def _base_host() -> str:
    return settings.MUTUALISE_BASE_DOMAIN.split(":")[0]


def _commune_fields(item: ReferentialCommune, slug: str) -> dict:
    return {
        "name": item.name,
        "siren": item.siren,
        "slug": slug,
        "postal_codes": list(item.postal_codes),
        "departement": item.departement,
        "population": item.population,
        "population_year": POPULATION_YEAR,
    }


def _slugs(items: tuple[ReferentialCommune, ...], existing: dict[str, str]) -> dict[str, str]:
    """A unique host label per commune: its name, with the INSEE code added where two names collide."""
    taken: dict[str, int] = {}
    for item in items:
        taken[slug_for(item.name)] = taken.get(slug_for(item.name), 0) + 1
    return {
        item.insee_code: existing.get(item.insee_code)
        or (
            slug_for(item.name)
            if taken[slug_for(item.name)] == 1
            else f"{slug_for(item.name)}-{item.insee_code.lower()}"
        )
        for item in items
    }


def ensure_domain(commune: Commune) -> Domain:
    """Give ``commune`` its primary domain ``<slug>.<base domain>`` (the previous one, if different, is kept)."""
    host = f"{commune.slug}.{_base_host()}"
    domain = Domain.objects.filter(tenant=commune, domain=host).first()
    if domain is None:
        Domain.objects.filter(tenant=commune, is_primary=True).update(is_primary=False)
        domain = Domain.objects.create(tenant=commune, domain=host, is_primary=True)
    return domain


def add_commune(
    *,
    insee_code: str,
    name: str,
    siren: str,
    departement: str,
    postal_codes=(),
    population: int = 0,
    population_year: int | None = None,
    slug: str = "",
    actor=None,
) -> ProvisionResult:
    """Create a commune with its domain and its schema, audited: the one path for the CLI, the admin and the tests.

    Fields are validated first (INSEE code, SIREN, uniqueness): invalid input raises ``ValidationError`` and
    writes nothing.
    """
    commune = Commune(
        insee_code=insee_code,
        name=name,
        siren=siren,
        departement=departement,
        postal_codes=list(postal_codes),
        population=population,
        population_year=population_year,
        slug=slug or slug_for(name),
    )
    commune.schema_name = commune.insee_code and f"commune_{commune.insee_code.lower()}"
    commune.full_clean()
    connection.set_schema_to_public()  # communes are public rows, whatever schema the caller was working in
    with transaction.atomic():
        commune.save()
        ensure_domain(commune)
        audit.record(
            "commune.creee",
            actor=actor,
            commune=commune,
            target=commune.name,
            after={"insee_code": insee_code, "siren": siren, "slug": commune.slug},
        )
        return provision(commune)


def initialise(siren: str, *, actor=None) -> InitResult:
    """Create or bring up to date the intercommunality ``siren`` and its member communes, schemas included.

    Idempotent: a second run finds everything in place and changes nothing. A malformed or unknown SIREN, or an
    instance already set up for another EPCI, raises :class:`InitError` before anything is written.
    """
    siren = (siren or "").strip().replace(" ", "")
    try:
        validate_siren(siren)
    except ValidationError as exc:
        raise InitError(f"SIREN « {siren} » invalide : {' '.join(exc.messages)}") from None
    try:
        epci = get_epci(siren)
    except UnknownEpci:
        raise InitError(
            f"Aucun EPCI de SIREN {siren} dans le référentiel national 2026 "
            "(vérifiez le numéro : c'est celui de la communauté, pas d'une commune)."
        ) from None
    other = Intercommunality.objects.exclude(siren=siren).first()
    if other is not None:
        raise InitError(f"Cette instance est déjà celle de « {other.name} » (SIREN {other.siren}).")

    with transaction.atomic():
        intercommunality, created = Intercommunality.objects.get_or_create(
            siren=siren,
            defaults={
                "name": epci.name,
                "nature": epci.nature,
                "tax_regime": epci.tax_regime,
                "base_domain": settings.MUTUALISE_BASE_DOMAIN,
            },
        )
        if created:
            audit.record("instance.initialisee", actor=actor, target=epci.name, after={"siren": siren})
        elif intercommunality.base_domain != settings.MUTUALISE_BASE_DOMAIN:
            before = intercommunality.base_domain
            intercommunality.base_domain = settings.MUTUALISE_BASE_DOMAIN
            intercommunality.save(update_fields=["base_domain"])
            audit.record(
                "instance.domaine_modifie",
                actor=actor,
                target=epci.name,
                before={"base_domain": before},
                after={"base_domain": intercommunality.base_domain},
            )
        result = InitResult(intercommunality)

        existing = {
            c.insee_code: c for c in Commune.objects.filter(insee_code__in=[i.insee_code for i in epci.communes])
        }
        slugs = _slugs(epci.communes, {code: c.slug for code, c in existing.items()})
        for item in epci.communes:
            wanted = _commune_fields(item, slugs[item.insee_code])
            commune = existing.get(item.insee_code)
            if commune is None:
                commune = Commune.objects.create(insee_code=item.insee_code, **wanted)
                audit.record("commune.creee", actor=actor, commune=commune, target=commune.name, after=wanted)
                result.created.append(commune)
            else:
                before = {k: getattr(commune, k) for k in wanted}
                if before != wanted:
                    for key, value in wanted.items():
                        setattr(commune, key, value)
                    commune.save()
                    audit.record(
                        "commune.modifiee",
                        actor=actor,
                        commune=commune,
                        target=commune.name,
                        before=before,
                        after=wanted,
                    )
                    result.updated.append(commune)
                else:
                    result.unchanged.append(commune)
            ensure_domain(commune)

    for commune in result.created + result.updated + result.unchanged:
        outcome = provision(commune)
        if outcome.method != "existing":
            result.provisioned.append(outcome)
    return result
