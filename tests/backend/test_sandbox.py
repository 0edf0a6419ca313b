"""The SMS sandbox speaks Twilio's Messages API: Basic auth with the account SID and token."""

from fastapi.testclient import TestClient

from backend.sandbox.app import SandboxSettings, create_app

SETTINGS = SandboxSettings(twilio_account_sid="ACtest", twilio_auth_token="tok")
URL = "/2010-04-01/Accounts/ACtest/Messages.json"


def test_messages_api_needs_the_account_credentials() -> None:
    client = TestClient(create_app(SETTINGS))
    assert client.post(URL, data={"To": "+447700900001", "Body": "x"}).status_code == 401
    wrong = client.post(URL, data={"To": "+447700900001", "Body": "x"}, auth=("ACtest", "nope"))
    assert wrong.status_code == 401


def test_create_then_list_like_twilio() -> None:
    client = TestClient(create_app(SETTINGS))
    created = client.post(
        URL,
        data={"To": "+447700900001", "From": "+447700900999", "Body": "hello"},
        auth=("ACtest", "tok"),
    )
    assert created.status_code == 201
    body = created.json()
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert body["to"] == "+447700900001" and body["status"] == "sent"
    client.post(URL, data={"To": "+447700900002", "Body": "other"}, auth=("ACtest", "tok"))
    listed = client.get(URL, params={"To": "+447700900001"}, auth=("ACtest", "tok")).json()
    assert [m["body"] for m in listed["messages"]] == ["hello"]


def test_phone_simulator_lists_demo_patients_and_threads() -> None:
    client = TestClient(create_app(SETTINGS))
    page = client.get("/phone")
    assert page.status_code == 200
    assert "+447700900001" in page.text and "Unknown number" in page.text
    # The demo carers, with whom they care for and the date of birth that names each person.
    assert "Carer Sam Okafor (+447700900690, cares for" in page.text
    assert "Carer Jo Pritchard (+447700900689, consent lapsed for" in page.text
    client.post(URL, data={"To": "+447700900001", "Body": "reply"}, auth=("ACtest", "tok"))
    assert (
        client.get("/phone/thread", params={"number": "+447700900001"}).json()[0]["body"] == "reply"
    )
