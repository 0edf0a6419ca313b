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


def test_carrier_keywords_reach_the_assistant_as_one_plain_word() -> None:
    from bot.channels.sms import carrier_keyword

    for word in ("STOP", "Cancel", "end.", "QUIT", "unsubscribe", "STOP ALL", "stopall"):
        assert carrier_keyword(word) == "stop", word
    for word in ("START", "unstop"):
        assert carrier_keyword(word) == "start", word
    for text in ("cancel my appointment", "it won't stop bleeding", "1", "yes"):
        assert carrier_keyword(text) == text
