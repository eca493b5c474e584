"""Survey models, split by role: instruments, windows and participants, responses, outbox."""

from .instruments import Instrument, InstrumentVersion, Item, ResponseScale, Scale
from .outbox import OutboxMessage
from .responses import Answer, PageSave, Response, TalkRequest
from .windows import CardBatch, Participant, SurveyWindow, WindowState, window_state

__all__ = [
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
    "window_state",
]
