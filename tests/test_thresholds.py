"""Procurement thresholds as dated data: the values in force on a date, and the procedure an estimate calls for."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from mutualise.thresholds import DISPENSE, FORMALISE, ThresholdUnknown, procedure_for, thresholds_on

D = datetime.date


def test_the_supplies_dispense_rises_on_1_april_2026():
    assert thresholds_on(D(2026, 3, 31))[DISPENSE].amount == Decimal("40000")
    assert thresholds_on(D(2026, 4, 1))[DISPENSE].amount == Decimal("60000")
    # 50 000 € HT: a MAPA on 31 March, no competition required from 1 April
    assert procedure_for(Decimal("50000"), D(2026, 3, 31)).code == "mapa"
    assert procedure_for(Decimal("50000"), D(2026, 4, 1)).code == "gre_a_gre"


def test_the_works_dispense_is_100_000_from_2026():
    assert thresholds_on(D(2026, 2, 1), "travaux")[DISPENSE].amount == Decimal("100000")
    assert procedure_for(Decimal("99999.99"), D(2026, 2, 1), "travaux").code == "gre_a_gre"
    assert procedure_for(Decimal("100000"), D(2026, 2, 1), "travaux").code == "mapa_publicite"


def test_the_european_threshold_changes_with_the_year():
    assert thresholds_on(D(2025, 12, 31), "fournitures_services")[FORMALISE].amount == Decimal("221000")
    assert thresholds_on(D(2026, 1, 1), "fournitures_services")[FORMALISE].amount == Decimal("216000")
    assert thresholds_on(D(2026, 6, 1), "travaux")[FORMALISE].amount == Decimal("5404000")
    assert procedure_for(Decimal("218000"), D(2025, 12, 31)).code == "mapa_publicite"
    assert procedure_for(Decimal("218000"), D(2026, 1, 1)).code == "formalisee"


def test_boundaries_follow_the_code_wording():
    on = D(2026, 4, 1)
    assert procedure_for(Decimal("59999.99"), on).code == "gre_a_gre"  # "inférieure à"
    assert procedure_for(Decimal("60000"), on).code == "mapa"
    assert procedure_for(Decimal("89999.99"), on).code == "mapa"
    choice = procedure_for(Decimal("90000"), on)  # "égale ou supérieure"
    assert choice.code == "mapa_publicite" and "BOAMP" in choice.publicity
    formal = procedure_for(Decimal("216000"), on)
    assert formal.code == "formalisee" and formal.decisive.amount == Decimal("216000")


def test_a_date_without_data_is_an_error_not_a_guess():
    with pytest.raises(ThresholdUnknown, match="Aucun seuil"):
        thresholds_on(D(2019, 6, 1))
