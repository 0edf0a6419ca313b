"""Validation of identifiers that must be right: NHS numbers and phone numbers."""

import phonenumbers


def nhs_number_is_valid(value: str) -> bool:
    """The NHS number modulus 11 check (NHS Data Dictionary)."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def normalise_phone(value: str, default_region: str = "GB") -> str:
    """Return the number in E.164 form, or raise ValueError if it is not a possible number."""
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
