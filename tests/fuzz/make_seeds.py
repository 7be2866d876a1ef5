#!/usr/bin/env python3
"""Writes the committed seed corpus of tests/fuzz (run it again after
changing the opcode table of ops.c or the snapshot format): operation
scripts that build a small contact center and drive it, TZif files written
from scratch, and snapshots of small engines (made through the Python
binding, so after `make`)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# Opcodes: indexes into ops.c's operations[] table.
ADVANCE, FAIL, REENTER, TIMER, SKILL, CHANNEL, AGENT = 0, 2, 3, 4, 5, 6, 7
HOST_WORK, QUEUE, SUBMIT, TICKET, CALENDAR, POLICY, SLA, HOOK, QUERY, DAY = (
    10, 11, 12, 14, 16, 17, 18, 19, 20, 21)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def setup(strategy=0, mode=0):
    b = bytes([7])  # engine seed
    b += bytes([CHANNEL, 0, 1, 0, 1, 0]) + u16(500)          # channel 0, cost 1, 500 ms wrap-up
    b += bytes([CHANNEL, 1, 1, 0, 2, 2]) + u16(0)            # channel 1, cost 2, 2 per agent
    for s in range(3):
        b += bytes([SKILL, s])
    for a in range(1, 5):
        b += bytes([AGENT, a, 0, 2 + a % 2])                 # add, capacity 2 or 3
        b += bytes([AGENT, a, 5, a % 3, 3 + a])              # a skill
        b += bytes([AGENT, a, 2, 1, 0])                      # available
    b += bytes([QUEUE, 0, 3, strategy, mode, 0]) + u16(1000) + bytes([0]) + u16(0)
    b += u16(3000) + u16(5000) + bytes([2, 1, 0])
    return b


def traffic(n):
    b = b""
    for t in range(1, n + 1):
        b += bytes([SUBMIT, 0, t % 2, 0]) + u16(t * 37 % 900) + bytes([t % 3, 1, t % 3, 2, 0])
        b += bytes([t % 4]) + u16(0) + bytes([1]) + u16(0) + bytes([t])
        b += bytes([ADVANCE, 10]) + u16(700)
        if t % 3 == 0:
            b += bytes([TICKET, t - 2, 6, 0])                # complete an older one
        if t % 4 == 0:
            b += bytes([QUERY, t, t % 5, 0, 1, 0, 2, 1, 0, 1, 3])
    return b


def sla():
    b = bytes([CALENDAR, 0, 0, 1])                           # calendar 1: UTC
    b += bytes([CALENDAR, 0, 2, 1]) + u16(540) + bytes([1]) + u16(480)
    b += bytes([POLICY, 1, 1, 0, 9, 0, 0, 1]) + u32(60000) + u32(0) + u32(0) + u32(3600000)
    b += bytes([2, 10, 20])
    b += bytes([POLICY, 1, 0, 0])                            # rules: none, default policy 1
    for t in range(1, 6):
        b += bytes([SLA, t, 2, 0, 0, 0]) + u16(100) + u16(0)
    return b


def scripts():
    yield "contact_center", setup() + traffic(24)
    yield "offers", setup(strategy=1, mode=1) + traffic(16) + bytes([ADVANCE, 220]) + u32(90000)
    yield "sla", setup(strategy=2) + sla() + traffic(12) + bytes([ADVANCE, 251]) + u32(0) + u32(1)
    yield "reentrant", setup(strategy=4) + bytes([REENTER, 1, HOOK, 1, 5]) + traffic(20)
    yield "low_memory", setup(strategy=5) + bytes([FAIL, 9]) + traffic(8) + bytes([FAIL, 3]) + traffic(8)
    yield "host_work", setup() + bytes([HOST_WORK, 1, 1, 3, 0, HOST_WORK, 0, 3, 1]) + traffic(6) + bytes([DAY])


def tzif(transitions, types, designations, footer):
    """A version 2 TZif file: an empty version 1 block, then the 64-bit one."""
    chars = b"".join(d + b"\0" for d in designations)
    def header(timecnt, typecnt, charcnt):
        return b"TZif2" + bytes(15) + struct.pack(">6I", 0, 0, 0, timecnt, typecnt, charcnt)
    v1 = header(0, 1, 1) + struct.pack(">iBB", 0, 0, 0) + b"\0"
    v2 = header(len(transitions), len(types), len(chars))
    v2 += b"".join(struct.pack(">q", t) for t, _ in transitions)
    v2 += bytes(i for _, i in transitions)
    for offset, dst, name in types:
        v2 += struct.pack(">iBB", offset, dst, chars.index(name + b"\0"))
    v2 += chars
    return v1 + v2 + b"\n" + footer + b"\n"


def zones():
    yield "utc", tzif([], [(0, 0, b"UTC")], [b"UTC"], b"UTC0")
    yield "central_europe", tzif(
        [(1711846800, 1), (1729990800, 0), (1743296400, 1), (1761440400, 0)],
        [(3600, 0, b"CET"), (7200, 1, b"CEST")], [b"CET", b"CEST"], b"CET-1CEST,M3.5.0,M10.5.0/3")
    yield "southern", tzif(
        [(1712419200, 0), (1727539200, 1)],
        [(36000, 0, b"AEST"), (39600, 1, b"AEDT")], [b"AEST", b"AEDT"], b"AEST-10AEDT,M10.1.0,M4.1.0/3")


def write(folder, name, data):
    with open(os.path.join(HERE, "corpus", folder, name), "wb") as f:
        f.write(data)


def snapshots():
    import sys
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
    import usher
    with usher.Engine(seed=3, start_ms=1794038400000) as engine:
        yield "empty", engine.snapshot()
        engine.channel_add(0, wrapup_ms=30000)
        engine.channel_add(1, cost=2)
        billing = engine.skill_intern("billing")
        engine.queue_add(1)
        engine.queue_add(2, assign_mode=usher.AssignMode.OFFER, strategy=usher.Strategy.RANDOM)
        engine.calendar_add(1, "UTC")
        engine.sla_policy_add(1, targets={usher.SlaTarget.FIRST_RESPONSE: 600000},
                              warnings=[500])
        engine.sla_set_rules([], default_policy=1)
        for agent in range(1, 4):
            engine.agent_add(agent, 2)
            engine.agent_set_skill(agent, billing, 3 + agent)
            engine.agent_set_load_cap(agent, 5, 3600000)
            engine.agent_set_state(agent, usher.AgentState.AVAILABLE)
        engine.timer_set(9, 1794038400000 + 3600000)
        for ticket in range(1, 9):
            engine.ticket_submit(ticket, queue=1 + ticket % 2, channel=ticket % 2,
                                 customer_id=ticket % 3)
            engine.sla_start(ticket, channel=ticket % 2, queue=1 + ticket % 2)
            engine.advance(1794038400000 + ticket * 20000)
        yield "contact_center", engine.snapshot()


if __name__ == "__main__":
    for name, data in scripts():
        write("ops", name, data)
    for name, data in zones():
        write("tzif", name, data)
    os.makedirs(os.path.join(HERE, "corpus", "restore"), exist_ok=True)
    for name, data in snapshots():
        write("restore", name, data)
