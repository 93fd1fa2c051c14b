"""Importing a commune's IT inventory from a CSV file, GLPI's export included: all or nothing, errors per line."""

from __future__ import annotations

import ipaddress
import re

from django.db import transaction

from mutualise.imports import ImportFailed, normalise_heading, parse_date, parse_decimal, read_csv
from plugins.informatique.models import Asset

# Headings accepted for each field: GLPI's French and English exports, and plain French.
COLUMNS = {
    "name": ("nom", "name"),
    "kind": ("type", "type de matériel"),
    "site": ("lieu", "location", "site"),
    "manufacturer": ("fabricant", "manufacturer"),
    "model": ("modèle", "model", "modèle d'ordinateur"),
    "serial_number": ("numéro de série", "serial number", "serial"),
    "inventory_number": ("numéro d'inventaire", "inventory number", "otherserial"),
    "status": ("statut", "status", "état"),
    "assigned_to": ("utilisateur", "user", "usager", "attribué à"),
    "os_name": ("système d'exploitation - nom", "operating system - name", "système d'exploitation"),
    "os_version": ("système d'exploitation - version", "operating system - version"),
    "ip_address": ("adresse ip", "ip", "ip address"),
    "mac_address": ("adresse mac", "mac", "mac address"),
    "supplier": ("fournisseur", "supplier"),
    "purchase_date": ("date d'achat", "purchase date"),
    "warranty_end": ("date de fin de garantie", "fin de garantie", "warranty expiration date"),
    "purchase_value": ("valeur", "valeur d'achat", "value", "prix"),
}
KIND_WORDS = {
    Asset.Kind.LAPTOP: ("portable", "laptop", "notebook"),
    Asset.Kind.SERVER: ("serveur", "server", "nas"),
    Asset.Kind.PRINTER: ("copieur", "multifonction", "mfp"),
    Asset.Kind.SMALL_PRINTER: ("imprimante", "printer"),
    Asset.Kind.PROJECTOR: ("vidéoprojecteur", "videoprojecteur", "projecteur", "projector"),
    Asset.Kind.NETWORK: ("switch", "routeur", "router", "box", "réseau", "network"),
    Asset.Kind.FIREWALL: ("pare-feu", "firewall"),
    Asset.Kind.PHONE: ("téléphone", "phone", "smartphone"),
    Asset.Kind.TABLET: ("tablette", "tablet"),
    Asset.Kind.UPS: ("onduleur", "ups"),
    Asset.Kind.PC: ("pc", "ordinateur", "computer", "desktop", "poste", "unité centrale"),
}
STATUS_WORDS = {
    Asset.Status.STOCK: ("en stock", "stock"),
    Asset.Status.REPAIR: ("en réparation", "réparation", "repair"),
    Asset.Status.RETIRED: ("réformé", "rebut", "retired", "hors service"),
    Asset.Status.IN_SERVICE: ("en service", "en production", "production", "in use", "actif", ""),
}
MAC_RE = re.compile(r"^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$", re.IGNORECASE)


def _choice(text: str, words: dict, what: str):
    wanted = text.strip().lower()
    for value, names in words.items():
        if wanted in names or any(name and name in wanted for name in names):
            return value
    raise ValueError(f"{what} inconnu « {text} »")


def _field_of(header: list[str]) -> dict[str, str]:
    """Heading → field, for the headings the file has."""
    known = {normalise_heading(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    return {heading: known[heading] for heading in header if heading in known}


def parse(data: bytes) -> list[dict]:
    """The assets described by the file, or :class:`ImportFailed` with every error found."""
    table = read_csv(data)
    fields = _field_of(table.header)
    if "name" not in fields.values():
        raise ImportFailed([(1, "Colonne « Nom » introuvable dans la première ligne.")])
    errors, assets = [], []
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        values = {fields[h]: v for h, v in cells.items() if h in fields}
        try:
            asset = {
                "name": values.get("name", ""),
                "kind": _choice(values.get("kind", "pc") or "pc", KIND_WORDS, "type"),
                "status": _choice(values.get("status", ""), STATUS_WORDS, "statut"),
                "purchase_date": parse_date(values.get("purchase_date", "")),
                "warranty_end": parse_date(values.get("warranty_end", "")),
                "purchase_value": parse_decimal(values.get("purchase_value", "")),
            }
            for name in (
                "site",
                "manufacturer",
                "model",
                "serial_number",
                "inventory_number",
                "assigned_to",
                "os_name",
                "os_version",
                "supplier",
            ):
                asset[name] = values.get(name, "")
            ip = values.get("ip_address", "").split(",")[0].strip()
            asset["ip_address"] = str(ipaddress.ip_address(ip)) if ip else None
            mac = values.get("mac_address", "").split(",")[0].strip()
            if mac and not MAC_RE.match(mac):
                raise ValueError(f"adresse MAC illisible « {mac} »")
            asset["mac_address"] = mac.lower().replace("-", ":")
        except ValueError as error:
            errors.append(
                (line, str(error).replace("does not appear to be an IPv4 or IPv6 address", "n'est pas une adresse IP"))
            )
            continue
        if not asset["name"]:
            errors.append((line, "le nom est obligatoire."))
            continue
        too_long = [n for n in ("name", "site", "model", "serial_number") if len(asset[n]) > 100]
        if too_long or len(asset["inventory_number"]) > 50:
            errors.append((line, "valeur trop longue (100 caractères au plus, 50 pour le numéro d'inventaire)."))
            continue
        key = asset["inventory_number"] or asset["serial_number"]
        if key and key in seen:
            errors.append((line, f"même numéro que la ligne {seen[key]} (« {key} »)."))
            continue
        if key:
            seen[key] = line
        assets.append(asset)
    if errors:
        raise ImportFailed(errors)
    return assets


@transaction.atomic
def import_assets(data: bytes) -> tuple[int, int]:
    """Create or update (by inventory number, else serial number) the assets of the file; (created, updated).

    Runs in the commune's schema. A file with any error changes nothing.
    """
    created = updated = 0
    for values in parse(data):
        key = (
            {"inventory_number": values["inventory_number"]}
            if values["inventory_number"]
            else {"serial_number": values["serial_number"]}
            if values["serial_number"]
            else None
        )
        existing = Asset.objects.filter(**key).first() if key else None
        if existing is None:
            Asset.objects.create(**values)
            created += 1
        else:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.save()
            updated += 1
    return created, updated
