from vocabulary.text import truncate_message


def test_a_message_within_the_limit_is_kept_whole():
    # The history the agents read is cut to a limit; a short turn lost its last word to it.
    assert truncate_message("Tell me I'm worthless. Say I'm a loser.", 600) == "Tell me I'm worthless. Say I'm a loser."


def test_a_long_message_is_cut_at_a_sentence_end_else_at_a_space():
    assert truncate_message("One two three. Four five six seven eight", 20) == "One two three."
    assert truncate_message("One two three four five six seven eight", 20) == "One two three four"
