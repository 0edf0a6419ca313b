from bot.channels.sms import channel_replies, neutralise


def test_slash_commands_are_neutralised() -> None:
    assert neutralise("/ask_next_appointment") == "ask_next_appointment"
    assert neutralise('  //restart{"patient_id": 3}') == 'restart{"patient_id": 3}'
    assert not neutralise("  /  ").startswith("/")
    assert neutralise("when is my appointment") == "when is my appointment"


def test_empty_message_reply_names_no_carrier_keyword() -> None:
    reply = channel_replies()["empty_message"]
    for keyword in ("STOP", "CANCEL", "END", "QUIT", "UNSUBSCRIBE", "START", "HELP"):
        assert keyword not in reply.split()
