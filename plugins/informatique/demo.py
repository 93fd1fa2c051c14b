"""Demo data of the Informatique service: a commune's fleet sized by its population, its contracts, its schéma
directeur and a few demandes at every stage, all stable from one run to the next (seeded by the INSEE code).

Runs in the commune's schema. Each part is created only when the commune has none yet, so running it twice
changes nothing. Rows are written with ``bulk_create``; demandes go through the platform's functions so that
their public index, history and thread are those of real ones.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from plugins.informatique import rules
from plugins.informatique.models import Asset, Contract, SchemaAction

SERVICE = "informatique"
K = Asset.Kind

# Share of each type in a town hall's fleet, once the essentials (a PC, a printer, a box) are there.
MIX = [
    (K.PC, 40),
    (K.LAPTOP, 16),
    (K.SMALL_PRINTER, 8),
    (K.PHONE, 12),
    (K.NETWORK, 7),
    (K.TABLET, 5),
    (K.PRINTER, 4),
    (K.UPS, 3),
    (K.PROJECTOR, 3),
    (K.SERVER, 1),
    (K.FIREWALL, 1),
]
MODELS = {
    K.PC: [
        ("Dell", "OptiPlex 7010"),
        ("HP", "ProDesk 400 G9"),
        ("Lenovo", "ThinkCentre M70q"),
        ("Dell", "OptiPlex 3000"),
    ],
    K.LAPTOP: [("Lenovo", "ThinkPad E14"), ("HP", "ProBook 450 G10"), ("Dell", "Latitude 5540")],
    K.SERVER: [("Synology", "DS224+"), ("QNAP", "TS-464"), ("Dell", "PowerEdge T150")],
    K.PRINTER: [("Kyocera", "TASKalfa 3554ci"), ("Ricoh", "IM C3000"), ("Canon", "imageRUNNER C3226i")],
    K.SMALL_PRINTER: [("Brother", "HL-L8360CDW"), ("HP", "LaserJet Pro 4002dn")],
    K.NETWORK: [("Orange", "Livebox Pro"), ("Netgear", "GS316"), ("TP-Link", "TL-SG1024")],
    K.FIREWALL: [("Stormshield", "SN210"), ("Fortinet", "FortiGate 40F")],
    K.PHONE: [("Yealink", "T43U"), ("Samsung", "Galaxy A35"), ("Gigaset", "N670 IP")],
    K.TABLET: [("Samsung", "Galaxy Tab A9"), ("Apple", "iPad 10")],
    K.UPS: [("APC", "Back-UPS 1200"), ("Eaton", "5E 1100i")],
    K.PROJECTOR: [("Epson", "EB-W49"), ("BenQ", "MW560")],
}
VALUE = {
    K.PC: 850,
    K.LAPTOP: 1050,
    K.SERVER: 1900,
    K.PRINTER: 4200,
    K.SMALL_PRINTER: 380,
    K.NETWORK: 250,
    K.FIREWALL: 1300,
    K.PHONE: 220,
    K.TABLET: 420,
    K.UPS: 320,
    K.PROJECTOR: 650,
}
SUPPLIERS = ["UGAP", "Inmac Wstore", "LDLC Pro", "Bureau Vallée Gignac", "Manutan Collectivités"]


def fleet_size(population: int) -> int:
    """Devices of a commune: 3 to 6 for the smallest, about 40 for a town of 6 500 inhabitants."""
    return max(3, min(45, int(3 + population / 180)))


def sites_for(population: int) -> list[str]:
    sites = ["Mairie", "École"]
    if population > 900:
        sites.append("Atelier municipal")
    if population > 1500:
        sites.append("Agence postale")
    if population > 4000:
        sites += ["Médiathèque", "Police municipale"]
    return sites


def make_assets(commune, rng: random.Random, today: datetime.date) -> list[Asset]:
    size = fleet_size(commune.population)
    kinds = [K.PC, K.SMALL_PRINTER if size < 8 else K.PRINTER, K.NETWORK]
    kinds += rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=max(0, size - len(kinds)))
    sites = sites_for(commune.population)
    assets, counters = [], {}
    for index, kind in enumerate(kinds, start=1):
        counters[kind] = counters.get(kind, 0) + 1
        manufacturer, model = rng.choice(MODELS[kind])
        # Most devices are a few years old, some much older: a fleet renewed little by little.
        bought = today - datetime.timedelta(days=int(rng.triangular(60, 365 * 10, 365 * 2)))
        os_name = os_version = ""
        if kind in (K.PC, K.LAPTOP):
            if bought.year <= 2021:
                os_name, os_version = rng.choice(
                    [("Windows 10 Professionnel", "22H2"), ("Windows 11 Professionnel", "23H2")]
                )
            else:
                os_name, os_version = "Windows 11 Professionnel", rng.choice(["24H2", "25H2", "25H2", "25H2"])
        elif kind == K.SERVER and manufacturer == "Dell":
            os_name = "Windows Server 2016 Standard" if bought.year < 2020 else "Windows Server 2022 Standard"
        elif kind == K.SERVER:
            os_name, os_version = "DSM", "7.2"
        value = Decimal(VALUE[kind]) * Decimal(rng.randint(85, 120)) / 100
        label = str(kind.label).split(" / ")[0]
        retired = bought.year < today.year - 8 and rng.random() < 0.5
        assets.append(
            Asset(
                name=f"{label} {counters[kind]}",
                kind=kind,
                site=sites[0] if index <= 3 else rng.choice(sites),
                manufacturer=manufacturer,
                model=model,
                serial_number=f"{commune.insee_code}{rng.randint(100000, 999999)}",
                inventory_number=f"{commune.insee_code}-{index:03d}",
                status=Asset.Status.RETIRED if retired else Asset.Status.IN_SERVICE,
                os_name=os_name,
                os_version=os_version,
                supplier=rng.choice(SUPPLIERS),
                purchase_date=bought,
                warranty_end=rules.add_months(bought, 36 if kind in (K.PC, K.LAPTOP, K.SERVER) else 24),
                # A third of the devices were bought before values were recorded.
                purchase_value=value.quantize(Decimal("1")) if rng.random() > 0.3 else None,
            )
        )
    return Asset.objects.bulk_create(assets)


def make_contracts(commune, rng: random.Random, today: datetime.date, assets: list[Asset]) -> None:
    scale = Decimal(max(1, commune.population)) / 1000
    software = rng.choice(
        [
            ("JVS-Mairistem", "Horizon Villages On-Line : finances, paie, état civil, élections"),
            ("Berger-Levrault", "e.magnus Gestion financière et RH"),
            ("Cosoluce", "Coloris : comptabilité, paie, cimetière"),
            ("Segilog", "Suite Berger-Levrault pour petites communes"),
        ]
    )
    specs = [
        (Contract.Kind.SOFTWARE, software[0], software[1], 36, 12, 3, Decimal("900") + scale * 700),
        (
            Contract.Kind.PHONE,
            rng.choice(["Orange Business", "SFR Business", "Bouygues Telecom Entreprises"]),
            "Lignes fixes, accès internet de la mairie et de l'école",
            24,
            12,
            1,
            Decimal("780") + scale * 420,
        ),
        (
            Contract.Kind.LICENCE,
            "UGAP",
            "Licences Microsoft 365 Business Standard",
            12,
            12,
            1,
            Decimal("14.4") * 12 * max(2, fleet_size(commune.population) // 2),
        ),
    ]
    if commune.population > 600:
        specs.append(
            (
                Contract.Kind.COPIER,
                rng.choice(["Burotic Hérault", "Kyocera Leasing", "Ricoh France"]),
                "Location et maintenance du copieur de la mairie (coût copie N&B 0,004 €, couleur 0,04 €)",
                60,
                None,
                6,
                Decimal("1900") + scale * 300,
            )
        )
    if commune.population > 1500:
        specs.append(
            (
                Contract.Kind.MAINTENANCE,
                "Hérault Informatique Services",
                "Maintenance du serveur et des sauvegardes",
                12,
                12,
                2,
                Decimal("1200") + scale * 250,
            )
        )
        specs.append(
            (Contract.Kind.HOSTING, "OVHcloud", "Hébergement du site internet de la commune", 12, 12, 1, Decimal("180"))
        )
    contracts = []
    for kind, supplier, subject, months, renewal, notice, amount in specs:
        # Started over the last few years, so that some deadlines fall in the coming weeks.
        start = rules.add_months(today, -rng.randint(1, months + 30)).replace(day=1)
        contracts.append(
            Contract(
                kind=kind,
                supplier=supplier,
                reference=f"{kind.upper()[:4]}-{start.year}-{rng.randint(10, 99)}",
                subject=subject,
                start_date=start,
                end_date=rules.add_months(start, months) - datetime.timedelta(days=1),
                tacit_renewal=renewal is not None,
                renewal_months=renewal,
                notice_months=notice,
                annual_amount=amount.quantize(Decimal("0.01")),
            )
        )
    contracts = Contract.objects.bulk_create(contracts)
    copier = next((c for c in contracts if c.kind == Contract.Kind.COPIER), None)
    printers = [a for a in assets if a.kind == K.PRINTER]
    if copier and printers:
        Contract.assets.through.objects.bulk_create(
            [Contract.assets.through(contract_id=copier.pk, asset_id=a.pk) for a in printers]
        )


ACTIONS = [
    (
        "Migration des postes vers Windows 11",
        SchemaAction.Category.FLEET,
        "Postes sous Windows 10, plus mis à jour depuis le 14/10/2025 : remplacement ou mise à niveau.",
        550,
    ),
    (
        "Sauvegarde externalisée des données de la mairie",
        SchemaAction.Category.BACKUP,
        "NAS local et copie chiffrée hors site, test de restauration annuel.",
        1400,
    ),
    ("Pare-feu et segmentation du réseau mairie / école", SchemaAction.Category.SECURITY, "", 1800),
    (
        "Sensibilisation des agents à la cybersécurité",
        SchemaAction.Category.TRAINING,
        "Demi-journée avec le service informatique commun.",
        300,
    ),
    ("Registre des traitements RGPD", SchemaAction.Category.RGPD, "", 0),
    ("Renouvellement du copieur", SchemaAction.Category.PRINTING, "Dans le groupement de commandes de la CC.", 4500),
    ("Wi-Fi dans les salles de classe", SchemaAction.Category.NETWORK, "", 2600),
    ("Dématérialisation des actes et du courrier", SchemaAction.Category.DIGITAL, "", 1200),
    ("Téléphonie sur IP", SchemaAction.Category.NETWORK, "Fin du RTC : migration des lignes analogiques.", 2200),
]


def make_actions(commune, rng: random.Random, today: datetime.date) -> None:
    chosen = rng.sample(ACTIONS, k=3 + min(3, commune.population // 1500))
    actions = []
    for index, (title, category, description, cost) in enumerate(chosen):
        year = today.year - 1 + index % 4
        estimated = (Decimal(cost) * (1 + Decimal(commune.population) / 4000)).quantize(Decimal("1"))
        if year < today.year:
            status, actual = (
                SchemaAction.Status.DONE,
                (estimated * Decimal(rng.randint(85, 110)) / 100).quantize(Decimal("1")),
            )
        elif year == today.year:
            status, actual = rng.choice([SchemaAction.Status.COMMITTED, SchemaAction.Status.DONE]), None
        else:
            status, actual = SchemaAction.Status.PLANNED, None
        actions.append(
            SchemaAction(
                title=title,
                description=description,
                category=category,
                year=year,
                estimated_cost=estimated or None,
                actual_cost=actual if status == SchemaAction.Status.DONE and actual else None,
                status=status,
            )
        )
    SchemaAction.objects.bulk_create(actions)


DEMANDES = [
    (
        "incident",
        "impression",
        "Le copieur n'imprime plus depuis les postes",
        "Message « hors ligne » sur tous les postes.",
        4,
        4,
    ),
    (
        "incident",
        "messagerie",
        "Messagerie inaccessible pour le secrétariat",
        "Mot de passe refusé depuis ce matin.",
        4,
        3,
    ),
    ("incident", "reseau", "Pas d'internet à l'école", "La box clignote en rouge.", 3, 4),
    ("demande", "poste", "Installation d'un poste pour l'agence postale", "Nouvel agent le mois prochain.", 2, 2),
    ("incident", "logiciel_metier", "Erreur à l'édition des bulletins de paie", "Message d'erreur du logiciel.", 5, 3),
    (
        "demande",
        "securite",
        "Création d'un compte pour une nouvelle élue",
        "Accès à la messagerie et aux partages.",
        2,
        2,
    ),
    ("incident", "sauvegarde", "La sauvegarde de la nuit a échoué", "Courriel d'alerte du NAS.", 3, 3),
    (
        "demande",
        "telephonie",
        "Renvoi d'appel pendant les congés",
        "Du 22/12 au 02/01 vers le portable d'astreinte.",
        2,
        2,
    ),
]
# Where each demo demande stops: a mix of finished work and work in progress.
PATHS = ["close", "resolue", "en_attente", "close", "attribuee", "resolue", "nouvelle", "planifiee"]


def technician():
    """The person answering the demo demandes: an agent of the service, else a community administrator."""
    from mutualise.accounts.models import ServiceMembership, User

    membership = ServiceMembership.objects.filter(service=SERVICE, user__is_active=True).select_related("user")
    member = membership.order_by("role", "pk").first()
    return member.user if member else User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()


def demande_count(commune) -> int:
    """Demandes of the demo history: the whole range for the showcase commune, one to three elsewhere."""
    if commune.insee_code == "34114":
        return len(PATHS)
    return 1 + (commune.population > 1500) + (commune.population > 4000)


def make_demandes(commune, rng: random.Random, now: datetime.datetime) -> None:
    """A past of demandes at every stage, with their thread, history, time spent and public index rows.

    The rows are written in bulk (a handful of statements per commune, whatever the number of demandes), with the
    platform's own rules for priority and service-level deadlines, and its ``index_values`` for the index; no
    notification goes out for this history.
    """
    from mutualise.accounts.models import CommuneMembership
    from mutualise.demandes import levels, services
    from mutualise.demandes import rules as demande_rules
    from mutualise.demandes.models import Demande, Message, StatusChange, TimeEntry
    from mutualise.demandes.rules import Status
    from mutualise.demandes.sla import add_business_minutes
    from mutualise.models import DemandeIndex

    agent = technician()
    if agent is None:
        return
    people = [m.user for m in CommuneMembership.objects.filter(commune=commune).select_related("user")]
    kinds, calendar = services.request_types(SERVICE), levels.calendar()
    hour = datetime.timedelta(hours=1)
    plans = []
    for index in range(demande_count(commune)):
        kind, category, title, description, urgency, impact = DEMANDES[
            (index + int(commune.insee_code)) % len(DEMANDES)
        ]
        path = PATHS[index] if commune.insee_code == "34114" else PATHS[(index + int(commune.insee_code)) % len(PATHS)]
        finished = path in ("resolue", "close")
        created = now - datetime.timedelta(
            days=rng.randint(3, 330) if finished else rng.randint(0, 4), hours=rng.randint(0, 8)
        )
        level = (
            demande_rules.priority(urgency, impact) if kinds[kind].uses_priority_matrix else demande_rules.Priority.P3
        )
        target = levels.target_for(SERVICE, level, created.date())
        requester = rng.choice(people) if people else agent  # no account here: the technician logs the phone call
        demande = Demande(
            service=SERVICE,
            kind=kind,
            category=category,
            title=title,
            description=description if requester is not agent else f"Appel de la mairie. {description}",
            requester=requester,
            urgency=urgency,
            impact=impact,
            priority=level,
            status=Status.CLOSED if path == "close" else Status.SOLVED if path == "resolue" else path,
            created_at=created,
            take_charge_minutes=target.take_charge,
            resolve_minutes=target.resolve,
            take_charge_due=add_business_minutes(created, target.take_charge, calendar),
            resolve_due=add_business_minutes(created, target.resolve, calendar),
        )
        history = [("", Status.NEW, created, requester)]
        thread = []
        if path != "nouvelle":
            demande.assignee = agent
            demande.taken_at = created + hour * rng.choice([0.5, 1, 2, 3])
            history.append((Status.NEW, Status.ASSIGNED, demande.taken_at, agent))
            thread.append((agent, "Pris en charge, je regarde à distance dans la journée.", demande.taken_at))
        if path == "planifiee":
            history.append((Status.ASSIGNED, Status.PLANNED, demande.taken_at + hour, agent))
            thread.append((agent, "Intervention sur place prévue jeudi matin.", demande.taken_at + hour))
        if path == "en_attente":
            asked = demande.taken_at + hour
            history.append((Status.ASSIGNED, Status.WAITING, asked, agent))
            thread.append((agent, "Pouvez-vous redémarrer l'appareil et nous dire si le voyant reste rouge ?", asked))
        minutes = 0
        if finished:
            # Most are solved within the target, some late: the service levels are not all met.
            demande.solved_at = demande.resolve_due - hour * rng.choice([30, 20, 6, 2, -4])
            demande.solved_at = max(demande.solved_at, demande.taken_at + hour)
            history.append((Status.ASSIGNED, Status.SOLVED, demande.solved_at, agent))
            thread.append((agent, "Corrigé : pilote réinstallé et test effectué.", demande.solved_at))
            minutes = rng.choice([20, 30, 45, 60, 90])
            if path == "close":
                demande.closed_at = demande.solved_at + datetime.timedelta(days=2)
                history.append((Status.SOLVED, Status.CLOSED, demande.closed_at, agent))
        plans.append((demande, history, thread, minutes))

    demandes = Demande.objects.bulk_create([demande for demande, *_ in plans])
    for demande, (_, history, _thread, _) in zip(demandes, plans, strict=True):
        demande.created_at = history[0][2]  # bulk_create stamps "now" on auto_now_add fields: put the past back
    Demande.objects.bulk_update(demandes, ["created_at"])
    changes = StatusChange.objects.bulk_create(
        [
            StatusChange(demande=d, before=b, after=a, by=by)
            for d, (_, h, _, _) in zip(demandes, plans, strict=True)
            for b, a, _, by in h
        ]
    )
    for change, at in zip(changes, [at for _, h, _, _ in plans for _, _, at, _ in h], strict=True):
        change.at = at
    StatusChange.objects.bulk_update(changes, ["at"])
    messages = Message.objects.bulk_create(
        [
            Message(demande=d, author=author, body=body)
            for d, (_, _, t, _) in zip(demandes, plans, strict=True)
            for author, body, _ in t
        ]
    )
    for message, at in zip(messages, [at for _, _, t, _ in plans for _, _, at in t], strict=True):
        message.created_at = at
    Message.objects.bulk_update(messages, ["created_at"])
    TimeEntry.objects.bulk_create(
        [
            TimeEntry(
                demande=d, agent=agent, date=timezone.localdate(d.solved_at), minutes=m, note="Intervention à distance"
            )
            for d, (_, _, _, m) in zip(demandes, plans, strict=True)
            if m
        ]
    )
    DemandeIndex.objects.bulk_create(
        [DemandeIndex(commune=commune, demande_id=d.pk, **services.index_values(d)) for d in demandes]
    )


def create(commune) -> None:
    """The commune's demo fleet, contracts, schéma directeur and demandes; what exists already is left as is."""
    from mutualise.demandes.models import Demande

    rng = random.Random(int(commune.insee_code))
    today = timezone.localdate()
    if not Asset.objects.exists():
        assets = make_assets(commune, rng, today)
        if not Contract.objects.exists():
            make_contracts(commune, rng, today, assets)
    if not SchemaAction.objects.exists():
        make_actions(commune, rng, today)
    if not Demande.objects.filter(service=SERVICE).exists():
        make_demandes(commune, rng, timezone.now())
