"""Demo data of the Informatique service: a small town hall's IT equipment."""

import datetime

from plugins.informatique.models import Asset

ASSETS = [
    ("PC accueil", Asset.Kind.PC, "Mairie", "Dell", "OptiPlex 7010", datetime.date(2021, 3, 15)),
    ("PC secrétariat", Asset.Kind.PC, "Mairie", "HP", "ProDesk 400 G9", datetime.date(2023, 9, 4)),
    ("Portable du maire", Asset.Kind.LAPTOP, "Mairie", "Lenovo", "ThinkPad E14", datetime.date(2022, 6, 1)),
    (
        "Copieur mairie",
        Asset.Kind.PRINTER,
        "Mairie",
        "Kyocera",
        "TASKalfa 3554ci",
        datetime.date(2020, 1, 20),
    ),
    ("NAS sauvegarde", Asset.Kind.SERVER, "Mairie", "Synology", "DS224+", datetime.date(2023, 2, 10)),
    ("Box internet école", Asset.Kind.NETWORK, "École", "Orange", "Livebox Pro", datetime.date(2019, 11, 5)),
]


def create(commune) -> None:
    for name, kind, site, manufacturer, model, purchased in ASSETS:
        Asset.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "site": site,
                "manufacturer": manufacturer,
                "model": model,
                "purchase_date": purchased,
                "inventory_number": f"{commune.insee_code}-{name[:3].upper()}",
            },
        )
