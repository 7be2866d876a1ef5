"""Snapshots: Engine.snapshot(), Engine.snapshot_to() and Engine.restore()."""

import unittest

from helpers import CHAT, Recorder, usher


def busy_engine(on_event=None):
    """An engine with an agent, a ticket assigned and one waiting."""
    engine = usher.Engine(seed=3, on_event=on_event)
    engine.channel_add(CHAT, max_per_agent=1, wrapup_ms=2000)
    engine.queue_add(1)
    engine.agent_add(10, 2)
    engine.agent_set_state(10, usher.AgentState.AVAILABLE)
    engine.ticket_submit(100, queue=1, channel=CHAT)
    engine.ticket_submit(101, queue=1, channel=CHAT)
    engine.timer_set(7, 5000)
    return engine


class SnapshotTest(unittest.TestCase):
    def test_restore_continues_exactly_and_snapshots_back_to_the_same_bytes(self):
        with busy_engine() as original:
            data = original.snapshot()
            self.assertIsInstance(data, bytes)
            first, second = Recorder(), Recorder()
            original.set_event_handler(first)
            with usher.Engine.restore(data, seed=99, on_event=second) as copy:
                self.assertEqual(copy.snapshot(), data)
                for engine in (original, copy):
                    engine.ticket_complete(100)
                    engine.advance(10000)
                self.assertEqual(first.events, second.events)
                self.assertEqual(copy.ticket_get(101).state, usher.TicketState.ASSIGNED)
                self.assertEqual(first.events[-1].seq, second.events[-1].seq)

    def test_snapshot_to_streams_the_same_bytes(self):
        with busy_engine() as engine:
            chunks = []
            engine.snapshot_to(chunks.append)
            self.assertEqual(b"".join(chunks), engine.snapshot())
            self.assertTrue(all(len(c) <= 65536 for c in chunks))

    def test_an_exception_from_the_writer_is_raised_from_snapshot_to(self):
        with busy_engine() as engine:
            def refuse(chunk):
                raise OSError("disk full")
            with self.assertRaises(OSError):
                engine.snapshot_to(refuse)
            with self.assertRaises(TypeError):
                engine.snapshot_to(42)
            self.assertEqual(engine.ticket_get(100).state, usher.TicketState.ASSIGNED)

    def test_corrupt_data_is_refused(self):
        with busy_engine() as engine:
            data = bytearray(engine.snapshot())
        for bad in (bytes(data[:-1]), b"", b"USHERSNP" + bytes(40)):
            with self.assertRaises(usher.UsherError) as caught:
                usher.Engine.restore(bad)
            self.assertIs(caught.exception.status, usher.Status.ECORRUPT)
        data[30] ^= 1
        with self.assertRaises(usher.UsherError) as caught:
            usher.Engine.restore(data)
        self.assertIs(caught.exception.status, usher.Status.ECORRUPT)
        with self.assertRaises(TypeError):
            usher.Engine.restore("not bytes")

    def test_snapshot_from_inside_a_callback_is_refused(self):
        seen = []

        def handler(event):
            try:
                engine.snapshot()
            except usher.UsherError as exc:
                seen.append(exc.status)

        engine = busy_engine()
        engine.set_event_handler(handler)
        engine.advance(6000)
        self.assertTrue(seen)
        self.assertTrue(all(status is usher.Status.ESTATE for status in seen))
        engine.close()


if __name__ == "__main__":
    unittest.main()
