"""Survey models, split by role: instruments, windows and participants, responses, outbox,
access counters."""

from .instruments import Instrument, InstrumentVersion, Item, ResponseScale, Scale
from .limits import AccessCounter
from .outbox import OutboxMessage
from .responses import Answer, PageSave, Response, TalkRequest
from .windows import CardBatch, Participant, SurveyWindow, WindowState, window_ended_at, window_state

__all__ = [
    "AccessCounter",
    "Answer",
    "CardBatch",
    "Instrument",
    "InstrumentVersion",
    "Item",
    "OutboxMessage",
    "PageSave",
    "Participant",
    "Response",
    "ResponseScale",
    "Scale",
    "SurveyWindow",
    "TalkRequest",
    "WindowState",
    "window_ended_at",
    "window_state",
]
