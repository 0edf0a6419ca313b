"""Demo caseload: staff, about 60 patients with appointments over the next six weeks, carers.

Fictional by construction: phone numbers from Ofcom's drama range (+447700900000-999), NHS numbers
from the 999 test range that pass the modulus 11 check. Deterministic, so the phone simulator can
list the same people. Run: `python -m backend.app.seed`.
"""

import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.core.db import get_sessionmaker
from backend.app.core.security import hash_password
from backend.app.core.validation import nhs_number_is_valid
from backend.app.models import Appointment, Carer, CarerConsent, Patient, Slot, Staff

SEED = 20261122
PATIENT_COUNT = 60

GIVEN = [
    "Margaret",
    "Arthur",
    "Aisha",
    "Dennis",
    "Priya",
    "Tomasz",
    "Joan",
    "Kwame",
    "Eileen",
    "Rajesh",
    "Siobhan",
    "Harold",
    "Fatima",
    "Graham",
    "Nkechi",
    "Brenda",
    "Mohammed",
    "Olive",
    "Declan",
    "Mei",
    "Stanley",
    "Gurpreet",
    "Winifred",
    "Ahmed",
    "Doreen",
    "Lech",
    "Patricia",
    "Yusuf",
    "Gwen",
    "Ravi",
]
FAMILY = [
    "Okafor",
    "Hughes",
    "Rahman",
    "Whitfield",
    "Sharma",
    "Kowalski",
    "Barker",
    "Mensah",
    "Doyle",
    "Patel",
    "O'Neill",
    "Pritchard",
    "Begum",
    "Lloyd",
    "Adeyemi",
    "Holt",
    "Hussain",
    "Marsh",
    "Kavanagh",
    "Chen",
    "Fletcher",
    "Kaur",
    "Evans",
    "Ali",
    "Shaw",
    "Nowak",
    "Reid",
    "Aziz",
]
LOCATIONS = [
    "Riverside Surgery, 12 Mill Lane",
    "Riverside Surgery, 12 Mill Lane",
    "Northgate Health Centre, Room 4",
    "Your home (home visit)",
    "By telephone (we will call you)",
]
APPOINTMENT_TYPES = [
    "care plan review",
    "medication review",
    "diabetes review",
    "COPD review",
    "blood test",
    "heart failure review",
    "frailty assessment",
]

ADDRESSES = {
    "Riverside Surgery, 12 Mill Lane": "Riverside Surgery, 12 Mill Lane, Leeds LS2 7AB",
    "Northgate Health Centre, Room 4": "Northgate Health Centre, 40 North Street, Leeds LS7 1PQ",
}
DIRECTIONS = {
    "Riverside Surgery, 12 Mill Lane": "Buses 6 and 51 stop outside. Two disabled bays at the "
    "front; the entrance is step-free.",
    "Northgate Health Centre, Room 4": "Bus 2 to North Street. Pay-and-display car park behind "
    "the building. Room 4 is on the ground floor; there is a lift.",
}
WHAT_TO_BRING = {
    "medication review": "All your medicines in their boxes, including anything you buy.",
    "diabetes review": "Your blood glucose meter or diary, and your repeat slip.",
    "COPD review": "Your inhalers and spacer.",
    "blood test": "Nothing special. Drink water beforehand unless told to fast.",
    "heart failure review": "Your weight diary and your medicines.",
}
STAFF = [
    # email, full name, job title, role, phone
    ("coordinator@example.org", "Sam Carter", "Care coordinator", "coordinator", "+447700900901"),
    ("coordinator2@example.org", "Leah Brooks", "Care coordinator", "coordinator", "+447700900902"),
    ("clinician@example.org", "Dr Amira Patel", "GP", "clinician", "+447700900911"),
    ("clinician2@example.org", "Nurse Ben Osei", "Practice nurse", "clinician", "+447700900912"),
    ("clinician3@example.org", "Dr Ruth Mallory", "GP", "clinician", "+447700900913"),
    ("admin@example.org", "Alex Morgan", "Practice manager", "admin", "+447700900921"),
]


@dataclass(frozen=True)
class DemoPatient:
    given_name: str
    family_name: str
    phone: str
    nhs_number: str
    date_of_birth: date
    risk_tier: int


def _nhs_number(rng: random.Random) -> str:
    while True:
        candidate = "999" + "".join(str(rng.randint(0, 9)) for _ in range(6))
        total = sum(int(d) * w for d, w in zip(candidate, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            number = candidate + str(check)
            assert nhs_number_is_valid(number)
            return number


def demo_patients() -> list[DemoPatient]:
    """The demo patients, always the same. Used by the seed and by the phone simulator."""
    rng = random.Random(SEED)
    people: list[DemoPatient] = []
    used: set[tuple[str, str]] = set()
    for index in range(PATIENT_COUNT):
        while True:
            name = (rng.choice(GIVEN), rng.choice(FAMILY))
            if name not in used:
                used.add(name)
                break
        birth_year = rng.randint(1932, 1985)
        people.append(
            DemoPatient(
                given_name=name[0],
                family_name=name[1],
                phone=f"+447700900{index + 1:03d}",
                nhs_number=_nhs_number(rng),
                date_of_birth=date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
                risk_tier=rng.choice([0, 1, 1, 2, 2, 3]),
            )
        )
    return people


@dataclass(frozen=True)
class DemoCarer:
    """A carer the phone simulator can text as: who they care for (indexes into
    `demo_patients()`) and whether that consent is current."""

    given_name: str
    family_name: str
    phone: str
    cares_for: tuple[int, ...]
    relationship: str
    consent_current: bool


DEMO_CARERS = (
    # Cares for two people, with consent to see and change their appointments.
    DemoCarer("Sam", "Okafor", "+447700900690", (0, 1), "daughter", True),
    # Was a carer; the patient's consent has lapsed, so they learn nothing.
    DemoCarer("Jo", "Pritchard", "+447700900689", (2,), "neighbour", False),
)


def demo_carers() -> list[tuple[DemoCarer, list[DemoPatient]]]:
    """The demo carers with the demo patients they care for. Used by the seed and the simulator."""
    patients = demo_patients()
    return [(carer, [patients[i] for i in carer.cares_for]) for carer in DEMO_CARERS]


def _working_slot(rng: random.Random, day: date, tz: ZoneInfo) -> datetime:
    minutes = rng.randrange(8 * 60 + 30, 16 * 60 + 30, 15)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _weekday_within(rng: random.Random, start: date, days: int) -> date:
    while True:
        day = start + timedelta(days=rng.randint(1, days))
        if day.weekday() < 5:
            return day


def _add_details_and_slots(
    session: Session, clinicians: list[Staff], today: date, tz: ZoneInfo
) -> None:
    """What a patient asks about an appointment, the limits on changing it by text, and the
    clinicians' bookable slots: each upcoming appointment holds its own slot, and about four
    more a day per clinician are free. A separate random stream, so the caseload above stays
    the same as before slots existed."""
    rng = random.Random(SEED + 2)
    session.flush()
    upcoming = session.scalars(
        select(Appointment).where(Appointment.status.in_(("booked", "confirmed")))
    ).all()
    for appointment in upcoming:
        appointment.address = ADDRESSES.get(appointment.location)
        appointment.directions = DIRECTIONS.get(appointment.location)
        appointment.what_to_bring = WHAT_TO_BRING.get(appointment.appointment_type)
        appointment.needs_transport = rng.random() < 0.08
        appointment.needs_interpreter = rng.random() < 0.05
        session.add(
            Slot(
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                clinician_id=appointment.clinician_id,
                with_whom=appointment.with_whom,
                location=appointment.location,
                address=appointment.address,
                appointment_type=appointment.appointment_type,
                appointment_id=appointment.id,
            )
        )
    # Each clinician's booked times, so that free slots never overlap them or each other.
    busy: dict[int | None, list[tuple[datetime, datetime]]] = {}
    for a in upcoming:
        busy.setdefault(a.clinician_id, []).append((a.starts_at, a.ends_at))
    for offset in range(1, 43):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for clinician in clinicians:
            for _ in range(4):
                start = _working_slot(rng, day, tz)
                end = start + timedelta(minutes=20)
                mine = busy.setdefault(clinician.id, [])
                if any(start < other_end and other_start < end for other_start, other_end in mine):
                    continue  # a clinician is in one place at a time
                mine.append((start, end))
                location = rng.choice(LOCATIONS[:3])
                session.add(
                    Slot(
                        starts_at=start,
                        ends_at=end,
                        clinician_id=clinician.id,
                        with_whom=f"{clinician.full_name} ({clinician.job_title})",
                        location=location,
                        address=ADDRESSES.get(location),
                        appointment_type=rng.choice(APPOINTMENT_TYPES),
                    )
                )


def seed(session: Session, *, now: datetime | None = None) -> bool:
    """Create the demo caseload. Returns False (and changes nothing) if staff already exist."""
    if session.scalar(select(Staff.id).limit(1)) is not None:
        return False
    settings = get_settings()
    tz = ZoneInfo(settings.timezone)
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    rng = random.Random(SEED + 1)

    password = hash_password(settings.demo_password)
    staff = [
        Staff(email=e, full_name=n, job_title=t, role=r, phone=p, hashed_password=password)
        for e, n, t, r, p in STAFF
    ]
    # One clinician is on duty: they take concerns from unknown senders.
    for member in staff:
        member.is_on_duty = member.email == "clinician3@example.org"
    session.add_all(staff)
    session.flush()
    coordinators = [s for s in staff if s.role == "coordinator"]
    clinicians = [s for s in staff if s.role == "clinician"]

    patients: list[Patient] = []
    for person in demo_patients():
        clinician = rng.choice(clinicians)
        patient = Patient(
            nhs_number=person.nhs_number,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            phone=person.phone,
            named_clinician_id=clinician.id,
            care_coordinator_id=rng.choice(coordinators).id,
            risk_tier=person.risk_tier,
        )
        session.add(patient)
        session.flush()
        patients.append(patient)

        # One past appointment, then one to three upcoming within six weeks.
        past_day = today - timedelta(days=rng.randint(7, 60))
        past_start = _working_slot(rng, past_day, tz)
        session.add(
            Appointment(
                patient_id=patient.id,
                starts_at=past_start,
                ends_at=past_start + timedelta(minutes=20),
                location=rng.choice(LOCATIONS),
                with_whom=f"{clinician.full_name} ({clinician.job_title})",
                clinician_id=clinician.id,
                appointment_type=rng.choice(APPOINTMENT_TYPES),
                status=rng.choice(["completed", "completed", "did_not_attend"]),
            )
        )
        for _ in range(rng.randint(1, 3)):
            who = rng.choice([clinician, clinician, *clinicians])
            start = _working_slot(rng, _weekday_within(rng, today, 42), tz)
            session.add(
                Appointment(
                    patient_id=patient.id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=rng.choice([15, 20, 30])),
                    location=rng.choice(LOCATIONS),
                    with_whom=f"{who.full_name} ({who.job_title})",
                    clinician_id=who.id,
                    appointment_type=rng.choice(APPOINTMENT_TYPES),
                    status=rng.choice(["booked", "booked", "confirmed"]),
                )
            )

    _add_details_and_slots(session, clinicians, today, tz)

    # Carers for about one patient in six, with the consent each patient gave.
    relationships = ["daughter", "son", "husband", "wife", "partner", "neighbour"]
    scopes_options = [
        ["appointments.read", "appointments.change"],
        ["appointments.read"],
        ["appointments.read", "appointments.change", "assessments.answer"],
    ]
    for index, patient in enumerate(patients[::6]):
        carer = Carer(
            given_name=rng.choice(GIVEN),
            family_name=patient.family_name,
            phone=f"+447700900{700 + index:03d}",
            email=f"carer{index + 1}@example.org",
        )
        session.add(carer)
        session.flush()
        session.add(
            CarerConsent(
                carer_id=carer.id,
                patient_id=patient.id,
                relationship_to_patient=rng.choice(relationships),
                scopes=rng.choice(scopes_options),
            )
        )
    lapsed = (now or datetime.now(UTC)) - timedelta(days=30)
    for demo, _ in demo_carers():
        carer = Carer(given_name=demo.given_name, family_name=demo.family_name, phone=demo.phone)
        session.add(carer)
        session.flush()
        for index in demo.cares_for:
            session.add(
                CarerConsent(
                    carer_id=carer.id,
                    patient_id=patients[index].id,
                    relationship_to_patient=demo.relationship,
                    scopes=["appointments.read", "appointments.change"],
                    expires_at=None if demo.consent_current else lapsed,
                )
            )
    session.commit()
    return True


def logins_text() -> str:
    password = get_settings().demo_password
    lines = [f"  {email:<28} {role:<12} password: {password}" for email, _, _, role, _ in STAFF]
    return "Demo staff logins:\n" + "\n".join(lines)


def main(argv: list[str]) -> int:
    if "--logins" in argv:
        print(logins_text())
        return 0
    with get_sessionmaker()() as session:
        created = seed(session)
    print("Demo caseload created." if created else "Demo caseload already present; left as it is.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
