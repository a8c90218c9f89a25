"""Any text, however strange, gets a sensible reply (or reaches the officer of an open case) and never an
exception (property-based)."""

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from sqlmodel import select

from storage import repo
from storage.db import unit_of_work
from storage.models import Contact
from tests.conftest import Chat
from tests import scenario_rows

STRANGE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
    st.sampled_from(["", " ", "\x00\x01\x02", "🙏😭🆘", "مرحبا كيف حالك", "你好，我需要帮助", "'; DROP TABLE contact; --",
                     "<script>alert(1)</script>", "x" * 10_000, "1", "99", "menu:faq", "faq:does-not-exist",
                     "licence:no:???", "rate:9", "fb:yes"]),
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(STRANGE, min_size=1, max_size=4))
def test_every_message_gets_a_reply_and_no_exception(service, texts) -> None:
    chat = Chat(service)
    for text in texts:
        replies = chat.say(text)
        if not replies:  # quiet only while an officer has the conversation (an open case)
            with unit_of_work(service.db) as s:
                contact = s.exec(select(Contact).where(Contact.urn == f"telegram:{chat.user}")).one()
                case = scenario_rows.latest_case(s, contact_id=contact.id)
                assert case is not None and case.status in repo.OPEN_STATUSES, f"no reply to {text!r}"
        assert all(r.text.strip() for r in replies)
        assert all(len(r.text) <= 4000 for r in replies)
