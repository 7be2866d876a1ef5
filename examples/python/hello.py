"""The smallest complete use of usher from Python: an engine, a callback,
the host's clock, and two host timers that fire in order across one clock
jump (the Python twin of examples/hello.c, with the same output).

From a checkout, after `make`:  PYTHONPATH=bindings/python python3 examples/python/hello.py
"""

import sys

import usher


def on_event(event):
    if event.type == usher.EventType.TIMER:
        print(f"event {event.seq}: timer {event.timer_id} due at {event.time_ms} ms")


def main():
    try:
        with usher.Engine(on_event=on_event) as engine:
            print(f"usher {usher.version()}")
            engine.timer_set(2, 90000)  # scheduled first, due last
            engine.timer_set(1, 30000)
            print(f"next deadline: {engine.next_deadline()} ms")
            engine.advance(120000)  # the host slept two minutes
    except usher.UsherError as error:
        print(f"hello: {error.function}: {error.message} ({error.name})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
