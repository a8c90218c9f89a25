"""An officer's Telegram message redelivered (to this or another worker) reaches the reporter once."""

from sqlmodel import select

from bot.channels import staff_desk_commands
from storage.db import unit_of_work
from storage.models import Case, Outbox
from tests.bot.console_util import add_staff
from tests.conftest import Chat


def test_a_redelivered_officer_message_is_relayed_once(service) -> None:
    Chat(service).say("tolong saya dikurung majikan")
    officer_id = add_staff(service, "budi")
    with unit_of_work(service.db) as s:
        case_id = s.exec(select(Case.id)).one()
        before = len(s.exec(select(Outbox)).all())
    key = "tgstaff:-1001:77"
    assert staff_desk_commands.reply(service.db, case_id, officer_id, "Kami segera membantu.", key) is True
    assert staff_desk_commands.reply(service.db, case_id, officer_id, "Kami segera membantu.", key) is False
    with unit_of_work(service.db) as s:
        texts = [o.text for o in s.exec(select(Outbox)).all()[before:]]
    assert texts == ["Kami segera membantu."]
