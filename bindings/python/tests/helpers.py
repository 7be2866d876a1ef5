"""Shared by the tests: imports the package of this checkout, and records
the events an engine delivers."""

import sys
from pathlib import Path

BINDING = Path(__file__).resolve().parents[1]
ROOT = BINDING.parents[1]
if str(BINDING) not in sys.path:
    sys.path.insert(0, str(BINDING))

import usher  # noqa: E402 -- after the path is set

EMAIL, CHAT, VOICE = 0, 1, 2


class Recorder:
    """An event handler that keeps every event."""

    def __init__(self):
        self.events = []

    def __call__(self, event):
        self.events.append(event)

    def of(self, event_type):
        return [e for e in self.events if e.type == event_type]

    def types(self):
        return [e.type for e in self.events]

    def clear(self):
        self.events.clear()


def engine_with_recorder(**kwargs):
    recorder = Recorder()
    return usher.Engine(on_event=recorder, **kwargs), recorder


def contact_center(engine):
    """Three channels (e-mail, chat, voice), skills "billing" and "tech",
    queue 1 (longest idle) and queue 2 (best skill); returns the skill ids."""
    engine.channel_add(EMAIL, max_per_agent=5)
    engine.channel_add(CHAT, max_per_agent=3)
    engine.channel_add(VOICE, flags=usher.ChannelFlag.EXCLUSIVE)
    billing = engine.skill_intern("billing")
    tech = engine.skill_intern("tech")
    engine.queue_add(1)
    engine.queue_add(2, strategy=usher.Strategy.BEST_SKILL)
    return billing, tech
