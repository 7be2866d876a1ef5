"""usher.staffing_evaluate and usher.staffing_agents: Erlang C and Erlang A
figures from the C library (checked against published examples in
tests/test_staffing.c), argument checks, errors, and the README example."""

import dataclasses
import math
import os
import re
import subprocess
import sys
import unittest

from helpers import BINDING, usher

# 240 calls an hour, 4 minutes of handling each, 80 % answered within 20 s.
CALLS = dict(arrivals_per_hour=240, handle_time_s=240, answer_within_s=20)


class StaffingAgentsTest(unittest.TestCase):
    def test_erlang_c_finds_the_smallest_team_for_80_20(self):
        team = usher.staffing_agents(**CALLS, target_service_level=0.8)
        self.assertIsInstance(team, usher.StaffingResult)
        self.assertEqual(team.agents, 20)
        self.assertAlmostEqual(team.traffic_erlangs, 16.0, places=12)
        self.assertAlmostEqual(team.service_level, 0.81651, places=5)
        self.assertAlmostEqual(team.asa_s, 15.3647, places=4)
        self.assertAlmostEqual(team.occupancy, 0.8, places=12)
        self.assertEqual(team.abandon_probability, 0.0)
        self.assertEqual(team.answered_service_level, team.service_level)
        one_fewer = usher.staffing_evaluate(**CALLS, agents=19)
        self.assertLess(one_fewer.service_level, 0.8)

    def test_the_defaults_are_80_percent_and_no_occupancy_limit(self):
        self.assertEqual(usher.staffing_agents(**CALLS),
                         usher.staffing_agents(**CALLS, patience_s=0, target_service_level=0.8,
                                               max_occupancy=1.0))

    def test_erlang_a_needs_fewer_agents_when_callers_hang_up(self):
        team = usher.staffing_agents(**CALLS, patience_s=120)
        self.assertEqual(team.agents, 18)
        self.assertAlmostEqual(team.service_level, 0.8175, places=4)
        self.assertAlmostEqual(team.abandon_probability, 0.0636, places=4)
        self.assertGreater(team.answered_service_level, team.service_level)
        # Occupancy counts answered traffic only.
        self.assertAlmostEqual(team.occupancy, 16 * (1 - team.abandon_probability) / 18,
                               places=12)

    def test_a_maximum_occupancy_adds_agents(self):
        team = usher.staffing_agents(**CALLS, max_occupancy=0.75)
        self.assertEqual(team.agents, 22)  # 16 Erlangs / 22 agents = 0.727
        self.assertLessEqual(team.occupancy, 0.75)

    def test_more_than_the_maximum_team_is_usher_elimit(self):
        # 3,000,000 calls an hour of 240 s: 200,000 Erlangs.
        with self.assertRaises(usher.UsherError) as caught:
            usher.staffing_agents(arrivals_per_hour=3_000_000, handle_time_s=240,
                                  answer_within_s=20)
        self.assertEqual(caught.exception.name, "USHER_ELIMIT")
        self.assertIs(caught.exception.status, usher.Status.ELIMIT)
        self.assertEqual(caught.exception.function, "usher_staffing_agents")


class StaffingEvaluateTest(unittest.TestCase):
    def test_the_call_centre_helper_example(self):
        # 100 calls per 30 minutes, 180 s each, 11 agents: P(wait) 0.6821.
        team = usher.staffing_evaluate(arrivals_per_hour=200, handle_time_s=180,
                                       answer_within_s=20, agents=11)
        self.assertEqual(team.agents, 11)
        self.assertAlmostEqual(team.traffic_erlangs, 10.0, places=12)
        self.assertAlmostEqual(team.wait_probability, 0.6821, places=4)
        self.assertAlmostEqual(team.occupancy, 10 / 11, places=12)
        # Erlang C: SL = 1 - C * exp(-(c - A) t / h), ASA = C h / (c - A).
        self.assertAlmostEqual(team.service_level,
                               1 - team.wait_probability * math.exp(-20 / 180), places=12)
        self.assertAlmostEqual(team.asa_s, team.wait_probability * 180, places=9)

    def test_ints_and_floats_give_the_same_figures(self):
        self.assertEqual(usher.staffing_evaluate(**CALLS, patience_s=120, agents=17),
                         usher.staffing_evaluate(arrivals_per_hour=240.0, handle_time_s=240.0,
                                                 answer_within_s=20.0, patience_s=120.0,
                                                 agents=17))

    def test_the_largest_team(self):
        team = usher.staffing_evaluate(arrivals_per_hour=360_000, handle_time_s=900,
                                       answer_within_s=20, agents=usher.STAFFING_MAX_AGENTS)
        self.assertEqual(team.agents, usher.STAFFING_MAX_AGENTS)
        self.assertAlmostEqual(team.occupancy, 0.9, places=12)

    def test_the_result_is_frozen(self):
        team = usher.staffing_evaluate(**CALLS, agents=20)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            team.agents = 5


class StaffingArgumentTest(unittest.TestCase):
    def assertEinval(self, call, function):
        with self.assertRaises(usher.UsherError) as caught:
            call()
        self.assertEqual(caught.exception.name, "USHER_EINVAL")
        self.assertEqual(caught.exception.function, function)

    def test_values_the_library_refuses_are_usher_einval(self):
        # NaN and infinities are doubles: they reach C, which refuses them.
        nan, inf = float("nan"), float("inf")
        evaluate = [
            dict(CALLS, agents=0),
            dict(CALLS, agents=usher.STAFFING_MAX_AGENTS + 1),
            dict(CALLS, agents=16),  # Erlang C at saturation (16 Erlangs)
            dict(CALLS, agents=20, arrivals_per_hour=0),
            dict(CALLS, agents=20, handle_time_s=-240),
            dict(CALLS, agents=20, answer_within_s=-1),
            dict(CALLS, agents=20, patience_s=-1),
            dict(CALLS, agents=20, arrivals_per_hour=nan),
            dict(CALLS, agents=20, handle_time_s=inf),
            dict(CALLS, agents=20, patience_s=nan),
        ]
        for arguments in evaluate:
            with self.subTest(**arguments):
                self.assertEinval(lambda: usher.staffing_evaluate(**arguments),
                                  "usher_staffing_evaluate")
        agents = [
            dict(CALLS, target_service_level=1.0),
            dict(CALLS, target_service_level=0),
            dict(CALLS, target_service_level=nan),
            dict(CALLS, max_occupancy=0),
            dict(CALLS, max_occupancy=1.5),
            dict(CALLS, max_occupancy=nan),
            dict(CALLS, answer_within_s=-inf),
        ]
        for arguments in agents:
            with self.subTest(**arguments):
                self.assertEinval(lambda: usher.staffing_agents(**arguments),
                                  "usher_staffing_agents")

    def test_non_numbers_raise_type_error(self):
        for bad in ("240", None, True, [240], b"240", 1j):
            with self.subTest(value=bad):
                with self.assertRaises(TypeError):
                    usher.staffing_evaluate(**dict(CALLS, arrivals_per_hour=bad), agents=20)
                with self.assertRaises(TypeError):
                    usher.staffing_agents(**dict(CALLS, patience_s=bad))
                with self.assertRaises(TypeError):
                    usher.staffing_agents(**CALLS, target_service_level=bad)
                with self.assertRaises(TypeError):
                    usher.staffing_evaluate(**CALLS, agents=bad)
        with self.assertRaises(TypeError):
            usher.staffing_evaluate(**CALLS, agents=20.0)  # agents is an integer

    def test_values_outside_the_c_type_raise_value_error(self):
        for arguments in (dict(agents=-1), dict(agents=2**32),
                          dict(agents=20, handle_time_s=10**400)):
            with self.subTest(**arguments):
                with self.assertRaises(ValueError):
                    usher.staffing_evaluate(**dict(CALLS, **arguments))

    def test_arguments_are_keywords(self):
        with self.assertRaises(TypeError):
            usher.staffing_evaluate(240, 240, 20, 0, 20)
        with self.assertRaises(TypeError):
            usher.staffing_agents(arrivals_per_hour=240, handle_time_s=240)  # no threshold
        with self.assertRaises(TypeError):
            usher.staffing_evaluate(**CALLS)  # no agents
        with self.assertRaises(TypeError):
            usher.staffing_agents(**CALLS, agents=20)  # it finds them


class ReadmeExampleTest(unittest.TestCase):
    def test_the_staffing_example_prints_what_its_comments_say(self):
        readme = (BINDING / "README.md").read_text()
        block = re.search(r"<!-- staffing-example-begin -->\s*```python\n(.*?)```", readme,
                          flags=re.S).group(1)
        expected = [line.split("# ", 1)[1] for line in block.splitlines()
                    if line.startswith("print(")]
        self.assertEqual(len(expected), 2)
        child = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=str(BINDING),
                                        PYTHONDONTWRITEBYTECODE="1",
                                        USHER_LIBRARY=usher.LIBRARY_PATH))
        self.assertEqual(child.returncode, 0, child.stderr)
        self.assertEqual(child.stdout.splitlines(), expected)


if __name__ == "__main__":
    unittest.main()
