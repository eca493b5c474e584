"""Small helpers that build StreamField raw data for the demo lessons, so the content
modules read like lesson plans rather than JSON."""

from __future__ import annotations

import uuid


def _block(block_type: str, value: dict) -> dict:
    # A stable id per block keeps re-seeding deterministic and comparison views tidy.
    return {"type": block_type, "value": value, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{block_type}:{value}"))}


def activity(heading: str, minutes: int, grouping: str, instructions: str, needs: str = "") -> dict:
    return _block(
        "activity",
        {
            "heading": heading,
            "minutes": minutes,
            "grouping": grouping,
            "instructions": instructions,
            "resources_needed": needs,
        },
    )


def discuss(prompt: str, *follow_ups: str) -> dict:
    return _block("discussion_prompt", {"prompt": prompt, "follow_ups": list(follow_ups)})


def scenario(title: str, story: str, *questions: str) -> dict:
    return _block("scenario", {"title": title, "story": story, "questions": list(questions)})


def teacher_note(text: str) -> dict:
    return _block("teacher_note", {"text": text})


def safeguarding(text: str) -> dict:
    return _block("safeguarding_note", {"text": text})


def check(question: str, guidance: str = "") -> dict:
    return _block("check_understanding", {"question": question, "answer_guidance": guidance})


def vocabulary(*pairs: tuple[str, str]) -> list[dict]:
    return [_block("term", {"term": term, "definition": definition}) for term, definition in pairs]
