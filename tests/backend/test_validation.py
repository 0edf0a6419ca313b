import pytest

from backend.app.core.validation import nhs_number_is_valid, normalise_phone
from backend.app.seed import demo_patients


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "4010232137"])
def test_valid_nhs_numbers_pass(number: str) -> None:
    assert nhs_number_is_valid(number)


@pytest.mark.parametrize("number", ["9434765918", "123", "abcdefghij", "94347659190", ""])
def test_invalid_nhs_numbers_fail(number: str) -> None:
    assert not nhs_number_is_valid(number)


def test_every_demo_patient_has_a_valid_nhs_number_and_drama_range_phone() -> None:
    people = demo_patients()
    assert len(people) == 60
    assert len({p.phone for p in people}) == 60
    for person in people:
        assert nhs_number_is_valid(person.nhs_number)
        assert person.phone.startswith("+447700900")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("07700 900123", "+447700900123"), ("+44 7700 900123", "+447700900123")],
)
def test_phone_normalised_to_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_impossible_phone_rejected() -> None:
    with pytest.raises(ValueError):
        normalise_phone("12")
