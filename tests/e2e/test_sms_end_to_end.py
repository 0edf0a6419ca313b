"""End to end: the real backend, SMS sandbox, action server and Rasa server as processes; a signed
SMS from a demo patient's number; the reply read back through the sandbox's Messages API with the
real twilio client."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from twilio.request_validator import RequestValidator
from twilio.rest import Client

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BOT_VENV = Path(os.environ.get("BOT_VENV", REPO / ".venv" / "bot"))
SID = "ACe2e00000000000000000000000000000"
AUTH = "e2e-twilio-auth-token"
SERVICE_TOKEN = "e2e-service-token-0123456789"
PASSWORD = "e2e-password-0123"
PATIENT_PHONE = "+447700900001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, procs: list[subprocess.Popen], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{p.args!r} exited with {p.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.backend = f"http://127.0.0.1:{free_port()}"
        self.sandbox = f"http://127.0.0.1:{free_port()}"
        self.actions_port = free_port()
        self.rasa = f"http://127.0.0.1:{free_port()}"
        self.webhook = f"{self.rasa}/webhooks/sms/webhook"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "ENVIRONMENT": "test",
            "DATABASE_URL": f"sqlite:///{tmp / 'care.db'}",
            "SECRET_KEY": "e2e-secret-key-0123456789abcdef",
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "DEMO_PASSWORD": PASSWORD,
            "BACKEND_URL": self.backend,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "ACTION_SERVER_TOKEN": "e2e-action-token",
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": AUTH,
            "TWILIO_API_BASE": self.sandbox,
            "SMS_FROM_NUMBER": "+447700900999",
            "SMS_WEBHOOK_PUBLIC_URL": self.webhook,
            "TRACKER_DB_DIALECT": "sqlite",
            "TRACKER_DB": str(tmp / "tracker.db"),
            "EVENTS_DB_DIALECT": "sqlite",
            "EVENTS_DB": str(tmp / "events.db"),
            "RASA_EVENTS_URL": f"sqlite:///{tmp / 'events.db'}",
            "SAFETY_RECONCILE_INTERVAL_SECONDS": "1",
            "SAFETY_RECONCILE_GRACE_SECONDS": "5",
            "PUBLIC_BASE_URL": "https://console.example.org",
            "NOTIFIER_INTERVAL_SECONDS": "1",
            # Reminders would text demo patients in the middle of these conversations; their
            # own tests are in tests/backend/test_reminders.py.
            "REMINDERS_ENABLED": "false",
            # A questionnaire invitation waits for the morning in quiet hours; none here, so the
            # test does not depend on the time of day it runs.
            "QUIET_HOURS_START": "0",
            "QUIET_HOURS_END": "0",
            "ESCALATION_OUTBOX_PATH": str(tmp / "actions-outbox.db"),
            "ESCALATION_RETRY_SECONDS": "1",
            "ESCALATION_MAX_BACKOFF_SECONDS": "2",
        }
        self.procs: list[subprocess.Popen] = []
        self.named: dict[str, subprocess.Popen] = {}
        self.logs = tmp

    def backend_command(self) -> list[str]:
        port = self.backend.rsplit(":", 1)[1]
        return [sys.executable, "-m", "uvicorn", "backend.app.main:app", "--port", port]

    def actions_command(self) -> list[str]:
        python = str(BOT_VENV / "bin" / "python")
        return [python, "-m", "actions.server", "--port", str(self.actions_port)]

    def health(self, name: str) -> str:
        return {
            "backend": f"{self.backend}/health",
            "actions": f"http://127.0.0.1:{self.actions_port}/health",
        }[name]

    def stop(self, name: str) -> None:
        proc = self.named.pop(name)
        self.procs.remove(proc)
        proc.terminate()
        proc.wait(timeout=20)

    def start(self, name: str) -> None:
        command = {"backend": self.backend_command, "actions": self.actions_command}[name]()
        _start(self, name, command, append=True)
        wait_for(self.health(name), self.procs)


def _start(stack: Stack, name: str, args: list[str], append: bool = False) -> None:
    log = open(stack.logs / f"{name}.log", "ab" if append else "wb")  # noqa: SIM115
    proc = subprocess.Popen(args, cwd=REPO, env=stack.env, stdout=log, stderr=subprocess.STDOUT)
    stack.procs.append(proc)
    stack.named[name] = proc


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = REPO / (REPO / "models" / "CURRENT").read_text().strip()
    if not (BOT_VENV / "bin" / "rasa").exists() or not model.exists():
        pytest.fail("run `make train` first: the bot environment or the model is missing")
    tmp = tmp_path_factory.mktemp("e2e")
    s = Stack(tmp)
    py = sys.executable
    subprocess.run(
        [str(Path(py).parent / "alembic"), "-c", "backend/alembic.ini", "upgrade", "head"],
        cwd=REPO,
        env=s.env,
        check=True,
        capture_output=True,
    )
    subprocess.run([py, "-m", "backend.app.seed"], cwd=REPO, env=s.env, check=True)
    port = lambda url: url.rsplit(":", 1)[1]  # noqa: E731
    _start(s, "backend", s.backend_command())
    _start(
        s, "sandbox", [py, "-m", "uvicorn", "backend.sandbox.app:app", "--port", port(s.sandbox)]
    )
    _start(s, "actions", s.actions_command())
    _start(
        s,
        "rasa",
        [
            str(BOT_VENV / "bin" / "rasa"),
            "run",
            "--model",
            str(model),
            "--credentials",
            "bot/credentials.yml",
            "--endpoints",
            "bot/endpoints.yml",
            "--port",
            port(s.rasa),
            "-i",
            "127.0.0.1",
            "--enable-api",
            "--auth-token",
            "e2e-rasa-token",
        ],
    )
    try:
        wait_for(f"{s.backend}/health", s.procs)
        wait_for(f"{s.sandbox}/health", s.procs)
        wait_for(f"http://127.0.0.1:{s.actions_port}/health", s.procs)
        wait_for(f"{s.rasa}/", s.procs, seconds=300)
        yield s
    except Exception:
        for name in ("backend", "sandbox", "actions", "rasa"):
            sys.stderr.write(
                f"--- {name}.log\n{(tmp / f'{name}.log').read_text(errors='replace')[-4000:]}\n"
            )
        raise
    finally:
        for p in s.procs:
            p.terminate()
        for p in s.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if not os.environ.get("E2E_KEEP_LOGS"):
            shutil.rmtree(tmp, ignore_errors=True)


def send_sms(
    stack: Stack, from_number: str, body: str | None, *, sign: bool = True
) -> httpx.Response:
    params = {
        "MessageSid": f"SM{time.time_ns():032x}"[:34],
        "AccountSid": SID,
        "From": from_number,
        "To": "+447700900999",
        "Body": body,
        "NumMedia": "0",
    }
    if body is None:
        del params["Body"]
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(AUTH).compute_signature(
            stack.webhook, params
        )
    else:
        headers["X-Twilio-Signature"] = "Zm9yZ2VkLXNpZ25hdHVyZQ=="
    return httpx.post(stack.webhook, data=params, headers=headers, timeout=60)


def replies_to(stack: Stack, phone: str, after: int = 0, wait: float = 30) -> list[str]:
    twilio = Client(SID, AUTH)
    twilio.api.base_url = stack.sandbox
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        bodies = [m.body for m in reversed(twilio.messages.list(to=phone, limit=200))]
        if len(bodies) > after:
            return bodies[after:]
        time.sleep(0.3)
    return []


def sent_count(stack: Stack, phone: str) -> int:
    twilio = Client(SID, AUTH)
    twilio.api.base_url = stack.sandbox
    return len(twilio.messages.list(to=phone, limit=200))


def test_patient_gets_their_real_next_appointment(stack: Stack) -> None:
    token = httpx.post(
        f"{stack.backend}/api/v1/auth/token",
        data={"username": "coordinator@example.org", "password": PASSWORD},
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    patients = httpx.get(f"{stack.backend}/api/v1/patients?limit=500", headers=headers).json()
    patient = next(p for p in patients["data"] if p["phone"] == PATIENT_PHONE)
    upcoming = httpx.get(
        f"{stack.backend}/api/v1/patients/{patient['id']}/appointments?upcoming=true",
        headers=headers,
    ).json()["data"][0]

    before = sent_count(stack, PATIENT_PHONE)
    response = send_sms(stack, PATIENT_PHONE, "when is my next appointment?")
    assert response.status_code == 200
    ask = reply_containing(stack, PATIENT_PHONE, before, "date of birth")
    assert "date of birth" in ask, "nothing is disclosed before the date-of-birth check"
    assert upcoming["location"] not in ask

    before = sent_count(stack, PATIENT_PHONE)
    born = datetime.fromisoformat(patient["date_of_birth"])
    send_sms(stack, PATIENT_PHONE, f"{born:%d/%m/%Y}")
    reply = reply_containing(stack, PATIENT_PHONE, before, upcoming["with_whom"])

    local = datetime.fromisoformat(upcoming["starts_at"]).astimezone(ZoneInfo("Europe/London"))
    assert f"{local:%A} {local.day} {local:%B}" in reply
    assert upcoming["location"] in reply
    assert upcoming["with_whom"] in reply


def test_forged_webhook_is_refused_and_nothing_is_sent(stack: Stack) -> None:
    before = sent_count(stack, PATIENT_PHONE)
    response = send_sms(stack, PATIENT_PHONE, "when is my next appointment?", sign=False)
    assert response.status_code == 403
    unsigned = httpx.post(stack.webhook, data={"From": PATIENT_PHONE, "Body": "hi"})
    assert unsigned.status_code == 403
    time.sleep(2)
    assert sent_count(stack, PATIENT_PHONE) == before


def test_unknown_number_learns_nothing(stack: Stack) -> None:
    stranger = "+447700900555"
    assert send_sms(stack, stranger, "when is my next appointment?").status_code == 200
    reply = " ".join(replies_to(stack, stranger))
    assert "doesn't recognise your phone number" in reply
    assert "appointment is" not in reply and "Surgery" not in reply


def test_empty_message_gets_a_clear_answer(stack: Stack) -> None:
    phone = "+447700900002"
    before = sent_count(stack, phone)
    assert send_sms(stack, phone, "   ").status_code == 200
    assert any("no words" in r for r in replies_to(stack, phone, before))
    before = sent_count(stack, phone)
    assert send_sms(stack, phone, None).status_code == 200  # no Body field at all (e.g. MMS)
    assert any("no words" in r for r in replies_to(stack, phone, before))


def test_slash_text_cannot_inject_an_intent(stack: Stack) -> None:
    """'/ask_next_appointment{...}' is read as words; Rasa's tracker shows no injected slot."""
    phone = "+447700900003"
    payload = '/ask_next_appointment{"patient_id": 1}'
    assert send_sms(stack, phone, payload).status_code == 200
    replies_to(stack, phone)
    tracker = httpx.get(
        f"{stack.rasa}/conversations/{phone}/tracker", params={"token": "e2e-rasa-token"}
    ).json()
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert texts and not any(t.startswith("/") for t in texts)
    assert tracker["slots"]["patient_id"] != 1


def test_every_parse_carries_the_safety_property(stack: Stack) -> None:
    def parse(text: str) -> dict:
        response = httpx.post(
            f"{stack.rasa}/model/parse", params={"token": "e2e-rasa-token"}, json={"text": text}
        )
        assert response.status_code == 200
        return response.json()["safety"]

    assert parse("I CANT BREATHE")["severity"] == "emergency"
    assert parse("when is my next appointment?") == {"severity": "none", "concerns": []}
    assert httpx.post(f"{stack.rasa}/model/parse", json={"text": "hi"}).status_code == 401


def reply_containing(stack: Stack, phone: str, after: int, text: str, wait: float = 45) -> str:
    """All replies since `after`, once one of them contains `text` (or what came, on timeout)."""
    deadline = time.monotonic() + wait
    joined = ""
    while time.monotonic() < deadline:
        joined = "\n".join(replies_to(stack, phone, after, wait=1))
        if text in joined:
            return joined
        time.sleep(0.3)
    return joined


def test_patient_reschedules_by_sms_and_the_backend_changes(stack: Stack) -> None:
    """Issue 4: ask, date of birth, offer, choose by number, confirm, booked in the backend."""
    headers = staff_headers(stack)
    patients = httpx.get(f"{stack.backend}/api/v1/patients?limit=500", headers=headers).json()
    target = None
    for patient in sorted(patients["data"], key=lambda p: p["phone"], reverse=True):
        upcoming = httpx.get(
            f"{stack.backend}/api/v1/patients/{patient['id']}/appointments?upcoming=true",
            headers=headers,
        ).json()["data"]
        if not upcoming:
            continue
        detail = httpx.get(
            f"{stack.backend}/api/v1/appointments/{upcoming[0]['id']}", headers=headers
        ).json()
        if detail["change_blocked"] is None:
            target = (patient, detail)
            break
    assert target is not None, "the demo caseload has an appointment that text may change"
    patient, appointment = target
    phone = patient["phone"]

    before = sent_count(stack, phone)
    send_sms(stack, phone, "can i change my appointment please")
    assert "date of birth" in reply_containing(stack, phone, before, "date of birth")
    before = sent_count(stack, phone)
    # The date of birth passes the check and the change carries on: times are offered at once.
    send_sms(stack, phone, f"{datetime.fromisoformat(patient['date_of_birth']):%d %B %Y}")
    offer = reply_containing(stack, phone, before, "4 for other times")
    assert "matches our records" in offer, offer
    assert "\n1 " in offer and "Reply 1" in offer, offer

    before = sent_count(stack, phone)
    send_sms(stack, phone, "1")
    confirm = reply_containing(stack, phone, before, "Reply 1 to book it")
    assert "Reply 1 to book it" in confirm, confirm

    before = sent_count(stack, phone)
    send_sms(stack, phone, "1")
    done = reply_containing(stack, phone, before, "Done.")
    assert "Your appointment is now" in done, done

    moved = httpx.get(
        f"{stack.backend}/api/v1/appointments/{appointment['id']}", headers=headers
    ).json()
    assert moved["starts_at"] != appointment["starts_at"]
    assert moved["status"] == "booked"
    local = datetime.fromisoformat(moved["starts_at"]).astimezone(ZoneInfo("Europe/London"))
    assert f"{local:%a} {local.day} {local:%b}" in done


def test_a_carer_names_the_person_by_date_of_birth_and_is_told_their_appointment(
    stack: Stack,
) -> None:
    """Issue 4: demo carer Sam helps two people; the date of birth chooses the second one."""
    carer = "+447700900690"
    person = patient_by_phone(stack, "+447700900002")
    upcoming = httpx.get(
        f"{stack.backend}/api/v1/patients/{person['id']}/appointments?upcoming=true",
        headers=staff_headers(stack),
    ).json()["data"]
    assert upcoming, "the demo patient has an upcoming appointment"

    before = sent_count(stack, carer)
    send_sms(stack, carer, "Hi I'm texting for my dad")
    ask = reply_containing(stack, carer, before, "date of birth of the person")
    assert person["given_name"] not in ask and person["family_name"] not in ask

    before = sent_count(stack, carer)
    send_sms(stack, carer, f"{datetime.fromisoformat(person['date_of_birth']):%d/%m/%Y}")
    ready = reply_containing(stack, carer, before, "You're helping")
    assert f"You're helping {person['given_name']}" in ready, ready

    before = sent_count(stack, carer)
    send_sms(stack, carer, "when is the next appointment?")
    reply = reply_containing(stack, carer, before, upcoming[0]["with_whom"])
    assert f"{person['given_name']}'s next appointment" in reply, reply
    local = datetime.fromisoformat(upcoming[0]["starts_at"]).astimezone(ZoneInfo("Europe/London"))
    assert f"{local:%A} {local.day} {local:%B}" in reply


def test_a_carer_whose_consent_lapsed_learns_nothing(stack: Stack) -> None:
    carer = "+447700900689"  # demo carer Jo: the patient's consent has lapsed
    person = patient_by_phone(stack, "+447700900003")
    before = sent_count(stack, carer)
    send_sms(stack, carer, "when is my neighbours next appointment")
    reply = reply_containing(stack, carer, before, "can't share anyone's details")
    assert "can't share anyone's details" in reply, reply
    before = sent_count(stack, carer)
    send_sms(stack, carer, f"{datetime.fromisoformat(person['date_of_birth']):%d/%m/%Y}")
    again = reply_containing(stack, carer, before, "details")
    assert person["given_name"] not in reply + again and "appointment is" not in reply + again


def staff_headers(stack: Stack, email: str = "coordinator@example.org") -> dict[str, str]:
    # Just after a restart the backend may still be settling: ask a few times, then say why.
    for _ in range(20):
        response = httpx.post(
            f"{stack.backend}/api/v1/auth/token",
            data={"username": email, "password": PASSWORD},
            timeout=30,
        )
        if response.status_code == 200:
            return {"Authorization": f"Bearer {response.json()['access_token']}"}
        time.sleep(1)
    raise AssertionError(f"staff login failed: {response.status_code} {response.text}")


def patient_by_phone(stack: Stack, phone: str) -> dict:
    patients = httpx.get(
        f"{stack.backend}/api/v1/patients?limit=500", headers=staff_headers(stack)
    ).json()["data"]
    return next(p for p in patients if p["phone"] == phone)


def clinician_phone(stack: Stack, staff_id: int) -> str:
    from backend.app.seed import STAFF

    for email, *_rest, phone in STAFF:
        me = httpx.get(f"{stack.backend}/api/v1/auth/me", headers=staff_headers(stack, email))
        if me.json()["id"] == staff_id:
            return phone
    raise AssertionError(f"no seeded staff member {staff_id}")


def open_escalations_for(stack: Stack, patient_id: int, wait: float = 45) -> list[dict]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            rows = httpx.get(
                f"{stack.backend}/api/v1/escalations",
                params={"status": "open", "patient_id": patient_id},
                headers=staff_headers(stack),
                timeout=5,
            ).json()["data"]
        except httpx.HTTPError:
            rows = []
        if rows:
            return rows
        time.sleep(0.5)
    return []


def assert_escalated_and_alerted(stack: Stack, phone: str) -> None:
    patient = patient_by_phone(stack, phone)
    rows = open_escalations_for(stack, patient["id"])
    assert len(rows) == 1, rows
    escalation = rows[0]
    assert escalation["severity"] == "emergency"
    assert escalation["assigned_to_id"] == patient["named_clinician_id"]
    assert escalation["assignment_reason"] == "named_clinician"
    alerts = replies_to(stack, clinician_phone(stack, patient["named_clinician_id"]), wait=30)
    mine = [a for a in alerts if escalation["reference"] in a]
    assert len(mine) == 1, alerts
    assert f"https://console.example.org/console/escalations/{escalation['id']}" in mine[0]
    assert "chest" not in mine[0].lower() and patient["given_name"] not in mine[0]


def test_emergency_sms_gets_999_and_reaches_the_named_clinician(stack: Stack) -> None:
    phone = "+447700900010"
    response = send_sms(stack, phone, "crushing pain in my chest and i feel sick")
    assert response.status_code == 200
    replies = replies_to(stack, phone, wait=30)
    assert replies and "Call 999 now" in replies[0]
    assert_escalated_and_alerted(stack, phone)
    # Saying it was nothing does not close it.
    before = sent_count(stack, phone)
    send_sms(stack, phone, "im fine honestly, you misunderstood")
    assert any("will still check in" in r for r in replies_to(stack, phone, before))
    patient = patient_by_phone(stack, phone)
    assert len(open_escalations_for(stack, patient["id"])) == 1


def test_the_same_twilio_message_twice_is_one_escalation(stack: Stack) -> None:
    phone = "+447700900011"
    params = {
        "MessageSid": f"SM{time.time_ns():032x}"[:34],
        "AccountSid": SID,
        "From": phone,
        "To": "+447700900999",
        "Body": "dad has collapsed and wont wake up",
    }
    headers = {
        "X-Twilio-Signature": RequestValidator(AUTH).compute_signature(stack.webhook, params)
    }
    for _ in range(2):
        assert (
            httpx.post(stack.webhook, data=params, headers=headers, timeout=60).status_code == 200
        )
    assert_escalated_and_alerted(stack, phone)


def test_backend_down_the_reply_still_goes_and_the_escalation_arrives_once(stack: Stack) -> None:
    """Fault test: the backend is stopped when the emergency arrives and restarted later."""
    phone = "+447700900012"
    patient = patient_by_phone(stack, phone)
    stack.stop("backend")
    try:
        assert (
            send_sms(stack, phone, "my husband is having a fit and it wont stop").status_code == 200
        )
        replies = replies_to(stack, phone, wait=30)
        assert replies and "Call 999 now" in replies[0]
        time.sleep(3)  # retries fail meanwhile
    finally:
        stack.start("backend")
    rows = open_escalations_for(stack, patient["id"], wait=60)
    assert len(rows) == 1
    assert_escalated_and_alerted(stack, phone)
    time.sleep(3)  # further retry passes must not duplicate it
    assert len(open_escalations_for(stack, patient["id"])) == 1


def test_action_server_down_the_reply_still_goes_and_the_reconciler_raises_it(
    stack: Stack,
) -> None:
    """Fault test: with the action server stopped, Rasa still sends the 999 reply, and the
    backend's safety reconciler raises the escalation from Rasa's event broker."""
    phone = "+447700900013"
    patient = patient_by_phone(stack, phone)
    stack.stop("actions")
    try:
        response = send_sms(stack, phone, "mum has collapsed and is not breathing")
        assert response.status_code == 200
        replies = replies_to(stack, phone, wait=30)
        assert replies and "Call 999 now" in replies[0]
        assert_escalated_and_alerted(stack, phone)
    finally:
        stack.start("actions")
    time.sleep(3)
    assert len(open_escalations_for(stack, patient["id"])) == 1


def test_a_patient_completes_the_activation_questionnaire_by_sms(stack: Stack) -> None:
    """Issue 5: a coordinator requests it, the invitation arrives, the patient replies 'ready',
    passes the date-of-birth check and answers item by item (numbers, words, 'why', 'skip');
    the scored assessment is then listed by GET /api/v1/patients/{id}/assessments."""
    phone = "+447700900020"
    patient = patient_by_phone(stack, phone)
    headers = staff_headers(stack)
    before = sent_count(stack, phone)
    requested = httpx.post(
        f"{stack.backend}/api/v1/patients/{patient['id']}/assessments/request",
        json={"instrument": "PAM"},
        headers=headers,
    )
    assert requested.status_code == 201, requested.text
    assert "Reply 'ready'" in reply_containing(stack, phone, before, "Reply 'ready'")

    before = sent_count(stack, phone)
    send_sms(stack, phone, "ready")
    assert "date of birth" in reply_containing(stack, phone, before, "date of birth")
    before = sent_count(stack, phone)
    send_sms(stack, phone, f"{datetime.fromisoformat(patient['date_of_birth']):%d/%m/%Y}")
    first = reply_containing(stack, phone, before, "1 of 13: ")
    assert "13 short statements" in first and "\n4 Agree strongly" in first, first

    before = sent_count(stack, phone)
    send_sms(stack, phone, "why are you asking?")
    why = reply_containing(stack, phone, before, "1 of 13: ")
    assert "Only your care team sees your answers" in why, why

    replies = ["agree strongly", "3", "skip", "yes definitely", "2", "4", "3", "n/a", "3", "4",
               "I agree", "3"]  # fmt: skip
    for number, reply in enumerate(replies, start=2):
        before = sent_count(stack, phone)
        send_sms(stack, phone, reply)
        if number <= 13:
            asked = reply_containing(stack, phone, before, f"{number} of 13: ")
            assert f"{number} of 13: " in asked, (reply, asked)
    before = sent_count(stack, phone)
    send_sms(stack, phone, "3")
    done = reply_containing(stack, phone, before, "Your care team will see your answers")
    assert "Thank you for answering" in done, done

    listed = httpx.get(
        f"{stack.backend}/api/v1/patients/{patient['id']}/assessments", headers=headers
    )
    assert listed.status_code == 200, listed.text
    latest = listed.json()["data"][0]
    assert latest["id"] == requested.json()["id"]  # the one requested, not a second one
    assert latest["status"] == "completed" and latest["channel"] == "sms"
    assert latest["score"] is not None and latest["level"] in (1, 2, 3, 4)
    assert latest["answers"]["own_health"] == 4 and latest["answers"]["prevent_problems"] is None
    assert latest["answers"]["understand_condition"] == "not_applicable"
    assert sum(isinstance(v, int) for v in latest["answers"].values()) == 11
