"""Identifiers of French administrations: SIREN (Luhn key) and INSEE commune codes; host labels of communes."""

import pytest
from django.core.exceptions import ValidationError

from tenants.models import schema_name_for, slug_for
from tenants.validators import luhn_valid, validate_insee_code, validate_siren


@pytest.mark.parametrize("siren", ["243400694", "213401144", "200057065", "212000046"])
def test_valid_sirens(siren):
    validate_siren(siren)


@pytest.mark.parametrize("siren", ["243400695", "24340069", "2434006944", "24340069A", " 243400694", ""])
def test_invalid_sirens(siren):
    with pytest.raises(ValidationError):
        validate_siren(siren)


def test_luhn():
    assert luhn_valid("732829320") and not luhn_valid("732829321")


@pytest.mark.parametrize("code", ["34114", "2A004", "2B033", "01001"])
def test_valid_insee_codes(code):
    validate_insee_code(code)


@pytest.mark.parametrize("code", ["3411", "341140", "2C004", "2a004", "ABCDE", "34 11", "public"])
def test_invalid_insee_codes(code):
    with pytest.raises(ValidationError):
        validate_insee_code(code)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Saint-André-de-Sangonis", "saint-andre-de-sangonis"),
        ("La Boissière", "la-boissiere"),
        ("L'Haÿ-les-Roses", "l-hay-les-roses"),
        ("Bélarga", "belarga"),
        ("Œuilly", "oeuilly"),
    ],
)
def test_slugs_are_ascii_and_hyphenated(name, slug):
    assert slug_for(name) == slug


def test_schema_name_rejects_anything_but_an_insee_code():
    assert schema_name_for("34114") == "commune_34114"
    with pytest.raises(ValidationError):
        schema_name_for("x; DROP")
