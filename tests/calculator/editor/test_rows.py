"""The editor's rows written in Python (calculator/rows.py): the quick path for a row with no
message writes exactly what the field-by-field path writes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.editor import rows

TYPED = st.one_of(
    st.sampled_from(["", "0:00", "5:00", "video", "voice", "sip", "client", "on", "false", "1"]),
    st.text(max_size=12),
)
FIELDS = ["name", "endpoint", "media", "direction", "join", "leave", "publish", "streams"]


@settings(max_examples=300, deadline=None)
@given(
    typed=st.fixed_dictionaries(
        {**{name: TYPED for name in FIELDS}, "subscribes": st.sampled_from(["", "on", "False"])}
    ),
    index=st.integers(min_value=0, max_value=30),
)
def test_a_row_with_no_message_is_written_alike_either_way(typed, index):
    table = [typed] * (index + 1)
    quick = rows.participant_rows(table, {}, None, "/editor/", {})
    # A focus named in a row sends that row field by field; one on no field adds nothing.
    slow = rows.participant_rows(table, {}, f"id_p-{index}-nowhere", "/editor/", {})
    assert quick == slow
