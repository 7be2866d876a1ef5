/* Staffing: Erlang C and Erlang A against published examples, against an
 * independent brute-force solution of the birth-death chain, in their
 * limits, at 5,000 agents, in the agent search, and on bad input. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define OK(call) assert_int_equal((call), USHER_OK)

static usher_staffing_input model(double per_hour, double handle_s, double within_s,
                                  double patience_s, uint32_t agents)
{
    usher_staffing_input in;
    usher_staffing_input_init(&in);
    in.arrivals_per_hour = per_hour;
    in.handle_time_s = handle_s;
    in.answer_within_s = within_s;
    in.patience_s = patience_s;
    in.agents = agents;
    return in;
}

static usher_staffing_result evaluate(usher_staffing_input in)
{
    usher_staffing_result r = {.struct_size = sizeof r};
    OK(usher_staffing_evaluate(&in, &r));
    return r;
}

static usher_staffing_result agents_for(usher_staffing_input in, double target, double max_occ)
{
    usher_staffing_result r = {.struct_size = sizeof r};
    OK(usher_staffing_agents(&in, target, max_occ, &r));
    return r;
}

static void assert_close(double got, double want, double relative)
{
    if (!(fabs(got - want) <= relative * fabs(want))) {
        print_error("got %.17g, want %.17g (relative tolerance %g)\n", got, want, relative);
        fail();
    }
}

static void assert_near(double got, double want, double absolute)
{
    if (!(fabs(got - want) <= absolute)) {
        print_error("got %.17g, want %.17g (absolute tolerance %g)\n", got, want, absolute);
        fail();
    }
}

/* ------------------------------------------------------------------------
 * Published examples
 * ------------------------------------------------------------------------ */

/*
 * Wolfram Language documentation, ErlangC (reference.wolfram.com/language/
 * ref/ErlangC.html), basic example: ErlangC[3, 2] = 4/9, the probability of
 * waiting with 3 servers and 2 Erlangs.
 */
static void test_wolfram_erlang_c_3_2(void **state)
{
    (void)state;
    usher_staffing_result r = evaluate(model(120, 60, 0, 0, 3));
    assert_close(r.traffic_erlangs, 2, 1e-15);
    assert_close(r.wait_probability, 4.0 / 9, 1e-14);
}

/*
 * The same page, "Applications": a technical support center gets 30 calls
 * an hour with a mean service time of 5 minutes; at least 6 employees are
 * needed for a 90 % probability that a call is not delayed (answered
 * within 0 s).
 */
static void test_wolfram_support_center(void **state)
{
    (void)state;
    usher_staffing_result r = agents_for(model(30, 300, 0, 0, 0), 0.9, 1);
    assert_int_equal(r.agents, 6);
    assert_true(r.wait_probability <= 0.1);
    assert_true(evaluate(model(30, 300, 0, 0, 5)).wait_probability > 0.1);
}

/*
 * Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked
 * Example" (callcentrehelper.com): 100 calls in 30 minutes, 180 s average
 * handle time, 80 % answered within 20 s, 85 % maximum occupancy: 10
 * Erlangs; with 11 agents a call waits with probability 0.6821, and 14
 * agents are the raw requirement (before shrinkage).
 */
static void test_callcentrehelper_worked_example(void **state)
{
    (void)state;
    usher_staffing_input in = model(200, 180, 20, 0, 11);
    usher_staffing_result r = evaluate(in);
    assert_close(r.traffic_erlangs, 10, 1e-15);
    assert_near(r.wait_probability, 0.6821, 0.00005);
    usher_staffing_result need = agents_for(in, 0.80, 0.85);
    assert_int_equal(need.agents, 14);
    assert_true(need.service_level >= 0.80);
    assert_true(need.occupancy <= 0.85);
}

/*
 * Erlang B tables (e.g. the "Erlang B traffic table" printed in teletraffic
 * handbooks; ITU-T E.500 series practice): at 1 % blocking, 1 circuit
 * carries 0.0101 Erlangs, 10 circuits 4.461, 20 circuits 12.031, 100
 * circuits 84.064. When callers hang up at once (patience -> 0) Erlang A
 * becomes Erlang B: the abandonment probability is the blocking one.
 */
static void test_erlang_b_table_through_zero_patience(void **state)
{
    (void)state;
    const struct {
        uint32_t circuits;
        double erlangs;
    } table[] = {{1, 0.0101}, {10, 4.461}, {20, 12.031}, {100, 84.064}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        /* 100 s handle time: arrivals per hour = Erlangs * 36. */
        usher_staffing_result r =
            evaluate(model(table[i].erlangs * 36, 100, 0, 1e-7, table[i].circuits));
        /* The tables round the traffic to 3 decimals: about 2e-5 of B. */
        assert_near(r.abandon_probability, 0.01, 5e-5);
    }
}

/* ------------------------------------------------------------------------
 * Erlang C against exact arithmetic
 * ------------------------------------------------------------------------ */

/*
 * The textbook sum form, evaluated term by term in long double: a second,
 * independent computation for small agent counts.
 */
static long double erlang_c_by_sums(uint32_t c, long double a)
{
    long double term = 1, below = 0;
    for (uint32_t k = 0; k < c; k++) {
        below += term;
        term *= a / (k + 1);
    }
    long double top = term * c / (c - a);
    return top / (below + top);
}

static void test_erlang_c_matches_sums(void **state)
{
    (void)state;
    const double loads[] = {0.3, 2.5, 10, 48, 95.5};
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++)
        for (uint32_t extra = 1; extra <= 9; extra += 4) {
            uint32_t c = (uint32_t)loads[i] + extra;
            /* handle 240 s, threshold 15 s */
            usher_staffing_result r = evaluate(model(loads[i] * 15, 240, 15, 0, c));
            long double pw = erlang_c_by_sums(c, loads[i]);
            long double decay = expl(-(c - (long double)loads[i]) * 15 / 240);
            assert_close(r.wait_probability, (double)pw, 1e-12);
            assert_close(r.service_level, (double)(1 - pw * decay), 1e-12);
            assert_close(r.asa_s, (double)(pw * 240 / (c - (long double)loads[i])), 1e-12);
            assert_close(r.occupancy, loads[i] / c, 1e-15);
            assert_true(r.abandon_probability == 0);
            assert_true(r.answered_service_level == r.service_level);
        }
}

/* ------------------------------------------------------------------------
 * Erlang A against a brute-force chain
 * ------------------------------------------------------------------------ */

typedef struct chain_figures {
    double wait, abandon, service_level;
} chain_figures;

/*
 * The M/M/c+M chain truncated where its terms fall below 1e-30 of the
 * largest, in long double; P(abandon) from the flow balance theta E[Q] =
 * lambda P(abandon); the service level by following the caller's place in
 * line through time (uniformisation), a method unrelated to the library's
 * integrals.
 */
#define CHAIN_MAX 4096

static chain_figures chain_solve(double per_hour, double handle, double within, double patience,
                                 uint32_t c)
{
    static long double p[CHAIN_MAX], line[CHAIN_MAX], next[CHAIN_MAX];
    long double lambda = per_hour / 3600.0L, mu = 1 / (long double)handle;
    long double theta = 1 / (long double)patience;
    size_t n = 1;
    long double largest = p[0] = 1;
    for (; n < CHAIN_MAX; n++) {
        long double death = (n < c ? n : c) * mu + (n > c ? n - c : 0) * theta;
        p[n] = p[n - 1] * lambda / death;
        largest = p[n] > largest ? p[n] : largest;
        if (n > c && p[n] < largest * 1e-30L)
            break;
    }
    assert_true(n < CHAIN_MAX);
    long double total = 0, waiting = 0, queued = 0;
    for (size_t k = 0; k <= n; k++) {
        total += p[k];
        if (k >= c) {
            waiting += p[k];
            queued += (k - c) * p[k];
        }
    }
    /* line[m]: probability of waiting with m callers ahead. */
    size_t places = n - c + 1;
    for (size_t m = 0; m < places; m++)
        line[m] = p[c + m] / total;
    long double rate = c * mu + places * theta + theta;
    long double lt = rate * within, weight = expl(-lt), served = 0, answered_in_time = 0;
    size_t steps = (size_t)(lt + 20 * sqrtl(lt + 1) + 50);
    for (size_t k = 0; k <= steps; k++) {
        if (k > 0)
            weight *= lt / k;
        answered_in_time += weight * served;
        memset(next, 0, places * sizeof next[0]);
        for (size_t m = 0; m < places; m++) {
            long double forward = (c * mu + m * theta) / rate;
            long double stay = 1 - (c * mu + m * theta + theta) / rate;
            next[m] += line[m] * stay;
            if (m == 0)
                served += line[0] * forward;
            else
                next[m - 1] += line[m] * forward;
        }
        memcpy(line, next, places * sizeof line[0]);
    }
    return (chain_figures){
        .wait = (double)(waiting / total),
        .abandon = (double)(theta * queued / total / lambda),
        .service_level = (double)(1 - waiting / total + answered_in_time),
    };
}

static void test_erlang_a_matches_chain(void **state)
{
    (void)state;
    const struct {
        double per_hour, handle, within, patience;
        uint32_t agents;
    } cases[] = {
        {200, 180, 20, 60, 11}, {200, 180, 20, 180, 11}, {200, 180, 20, 60, 8},
        {30, 300, 30, 600, 2},  {400, 120, 10, 30, 10},  {900, 240, 20, 90, 70},
        {50, 600, 60, 120, 12}, {1000, 60, 5, 10, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        usher_staffing_result r = evaluate(model(cases[i].per_hour, cases[i].handle,
                                                 cases[i].within, cases[i].patience,
                                                 cases[i].agents));
        chain_figures want = chain_solve(cases[i].per_hour, cases[i].handle, cases[i].within,
                                         cases[i].patience, cases[i].agents);
        assert_close(r.wait_probability, want.wait, 1e-10);
        assert_close(r.abandon_probability, want.abandon, 1e-10);
        assert_close(r.service_level, want.service_level, 1e-9);
        assert_close(r.answered_service_level, want.service_level / (1 - want.abandon), 1e-9);
        /* Little's law on the answered: occupancy = traffic (1 - P(ab)) / c. */
        assert_close(r.occupancy, r.traffic_erlangs * (1 - want.abandon) / cases[i].agents,
                     1e-10);
    }
}

/* Callers who would wait for ever: Erlang A tends to Erlang C. */
static void test_erlang_a_without_patience_limit_is_erlang_c(void **state)
{
    (void)state;
    usher_staffing_result c = evaluate(model(200, 180, 20, 0, 13));
    usher_staffing_result a = evaluate(model(200, 180, 20, 1e9, 13));
    assert_close(a.wait_probability, c.wait_probability, 1e-6);
    assert_close(a.service_level, c.service_level, 1e-6);
    assert_close(a.asa_s, c.asa_s, 1e-6);
    assert_true(a.abandon_probability > 0 && a.abandon_probability < 1e-6);
}

/*
 * Patience equal to the handle time: every caller leaves the system at the
 * same rate whether served or waiting, so the number present is Poisson
 * with mean A, and the waiting probability is P(Poisson(A) >= c).
 */
static void test_erlang_a_patience_equal_handle_is_poisson(void **state)
{
    (void)state;
    const double a = 7.5;
    const uint32_t c = 9;
    usher_staffing_result r = evaluate(model(a * 3600 / 200, 200, 10, 200, c));
    long double term = expl(-a), below = 0, mean_queue = 0;
    for (uint32_t k = 0; k < c; k++) {
        below += term;
        term *= a / (k + 1);
    }
    for (uint32_t k = c; k < 400; k++) {
        mean_queue += (k - c) * term;
        term *= a / (k + 1);
    }
    assert_close(r.wait_probability, (double)(1 - below), 1e-11);
    /* theta E[Q] = lambda P(ab), theta = mu: P(ab) = E[Q] / A. */
    assert_close(r.abandon_probability, (double)(mean_queue / a), 1e-11);
}

/* ------------------------------------------------------------------------
 * Large systems
 * ------------------------------------------------------------------------ */

static void assert_probabilities(const usher_staffing_result *r)
{
    const double *p[] = {&r->wait_probability, &r->service_level, &r->answered_service_level,
                         &r->abandon_probability, &r->occupancy};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        assert_true(isfinite(*p[i]) && *p[i] >= 0 && *p[i] <= 1);
    assert_true(isfinite(r->asa_s) && r->asa_s >= 0);
}

/* 4,000 Erlangs over 4,001 to 5,000 agents (Erlang C) and 3,000 to 5,000
 * agents (Erlang A): finite, in range, and monotone in the agents. */
static void test_thousands_of_agents(void **state)
{
    (void)state;
    const double per_hour = 4000.0 * 3600 / 180;
    double last_sl = -1, last_wait = 2;
    for (uint32_t c = 4001; c <= 5000; c += 37) {
        usher_staffing_result r = evaluate(model(per_hour, 180, 20, 0, c));
        assert_probabilities(&r);
        assert_true(r.service_level >= last_sl && r.wait_probability <= last_wait);
        last_sl = r.service_level;
        last_wait = r.wait_probability;
    }
    /* 999 agents to spare: a wait is about as likely as 4,999 calls at once
     * from a Poisson stream of mean 4,000 (~2e-52), not 0 and not NaN. */
    assert_true(last_wait > 0 && last_wait < 1e-40);
    const double patience[] = {1, 60, 3600, 1e6};
    for (size_t i = 0; i < sizeof patience / sizeof patience[0]; i++) {
        last_sl = -1;
        double last_abandon = 2;
        for (uint32_t c = 3000; c <= 5000; c += 50) {
            usher_staffing_result r = evaluate(model(per_hour, 180, 20, patience[i], c));
            assert_probabilities(&r);
            assert_true(r.service_level >= last_sl - 1e-12);
            assert_true(r.abandon_probability <= last_abandon + 1e-12);
            last_sl = r.service_level;
            last_abandon = r.abandon_probability;
        }
    }
    /* Heavily overloaded: every agent always busy, the excess hangs up. */
    usher_staffing_result r = evaluate(model(per_hour, 180, 20, 60, 3000));
    assert_close(r.abandon_probability, 0.25, 1e-9);
    assert_close(r.occupancy, 1, 1e-9);
}

/* Just below saturation Erlang C must not lose 1 - C to cancellation. */
static void test_erlang_c_near_saturation(void **state)
{
    (void)state;
    usher_staffing_result r = evaluate(model((5000 - 1e-6) * 36, 100, 20, 0, 5000));
    assert_probabilities(&r);
    assert_true(r.wait_probability > 0.999999);
    assert_true(r.asa_s > 1e6); /* about 100 s / (1e-6 * (1 - C)) */
}

/* ------------------------------------------------------------------------
 * Agent search
 * ------------------------------------------------------------------------ */

static void test_agents_is_smallest_that_meets(void **state)
{
    (void)state;
    uint64_t rng = 42;
    for (int i = 0; i < 60; i++) {
        double per_hour = 20 + (double)(test_rand(&rng) % 20000);
        double handle = 30 + (double)(test_rand(&rng) % 900);
        double within = (double)(test_rand(&rng) % 60);
        double patience = i % 2 ? 10 + (double)(test_rand(&rng) % 300) : 0;
        double target = 0.5 + (double)(test_rand(&rng) % 49) / 100;
        double max_occ = i % 3 ? 1 : 0.85;
        usher_staffing_input in = model(per_hour, handle, within, patience, 0);
        usher_staffing_result r = agents_for(in, target, max_occ);
        assert_true(r.service_level >= target && r.occupancy <= max_occ);
        in.agents = r.agents;
        usher_staffing_result again = evaluate(in);
        assert_memory_equal(&again, &r, sizeof r);
        in.agents = r.agents - 1;
        usher_staffing_result fewer = {.struct_size = sizeof fewer};
        if (usher_staffing_evaluate(&in, &fewer) == USHER_OK)
            assert_false(fewer.service_level >= target && fewer.occupancy <= max_occ);
        else
            assert_true(patience == 0 && r.agents - 1 <= r.traffic_erlangs);
    }
}

/* The README's example: 240 calls an hour, 4 minutes, 80/20. */
static void test_readme_example(void **state)
{
    (void)state;
    usher_staffing_result r = agents_for(model(240, 240, 20, 0, 0), 0.8, 1);
    assert_int_equal(r.agents, 20);
    assert_near(r.service_level, 0.8165, 0.0001);
    assert_close(r.traffic_erlangs, 16, 1e-15);
}

static void test_agents_beyond_the_limit(void **state)
{
    (void)state;
    usher_staffing_result r = {.struct_size = sizeof r};
    /* 200,000 Erlangs */
    usher_staffing_input in = model(200000 * 36.0, 100, 20, 0, 0);
    assert_int_equal(usher_staffing_agents(&in, 0.8, 1, &r), USHER_ELIMIT);
    in.patience_s = 60;
    assert_int_equal(usher_staffing_agents(&in, 0.8, 1, &r), USHER_ELIMIT);
    /* 99,000 Erlangs at 50 % occupancy would need 198,000 agents. */
    in = model(99000 * 36.0, 100, 20, 0, 0);
    assert_int_equal(usher_staffing_agents(&in, 0.8, 0.5, &r), USHER_ELIMIT);
}

/* ------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------ */

static void assert_evaluate_refuses(usher_staffing_input in)
{
    usher_staffing_result r, untouched;
    memset(&r, 0xA5, sizeof r);
    r.struct_size = sizeof r;
    untouched = r;
    assert_int_equal(usher_staffing_evaluate(&in, &r), USHER_EINVAL);
    assert_memory_equal(&r, &untouched, sizeof r);
}

static void assert_agents_refuses(usher_staffing_input in, double target, double max_occ)
{
    usher_staffing_result r, untouched;
    memset(&r, 0xA5, sizeof r);
    r.struct_size = sizeof r;
    untouched = r;
    assert_int_equal(usher_staffing_agents(&in, target, max_occ, &r), USHER_EINVAL);
    assert_memory_equal(&r, &untouched, sizeof r);
}

static void test_bad_input(void **state)
{
    (void)state;
    const double bad_positive[] = {0, -1, NAN, INFINITY, -INFINITY};
    const double bad_non_negative[] = {-1e-9, NAN, INFINITY};
    usher_staffing_input good = model(200, 180, 20, 0, 14);
    for (size_t i = 0; i < sizeof bad_positive / sizeof bad_positive[0]; i++) {
        usher_staffing_input in = good;
        in.arrivals_per_hour = bad_positive[i];
        assert_evaluate_refuses(in);
        assert_agents_refuses(in, 0.8, 1);
        in = good;
        in.handle_time_s = bad_positive[i];
        assert_evaluate_refuses(in);
        assert_agents_refuses(in, 0.8, 1);
    }
    for (size_t i = 0; i < sizeof bad_non_negative / sizeof bad_non_negative[0]; i++) {
        usher_staffing_input in = good;
        in.answer_within_s = bad_non_negative[i];
        assert_evaluate_refuses(in);
        assert_agents_refuses(in, 0.8, 1);
        in = good;
        in.patience_s = bad_non_negative[i];
        assert_evaluate_refuses(in);
        assert_agents_refuses(in, 0.8, 1);
    }
    usher_staffing_input in = good;
    in.agents = 0;
    assert_evaluate_refuses(in);
    in.agents = USHER_STAFFING_MAX_AGENTS + 1;
    assert_evaluate_refuses(in);
    /* Erlang C with traffic at or above the agents: 10 Erlangs. */
    in.agents = 10;
    assert_evaluate_refuses(in);
    in.agents = 9;
    assert_evaluate_refuses(in);
    in.patience_s = 60; /* with abandonment it is defined */
    usher_staffing_result r = evaluate(in);
    assert_int_equal(r.agents, 9);

    const double bad_target[] = {0, 1, -0.1, 1.5, NAN};
    for (size_t i = 0; i < sizeof bad_target / sizeof bad_target[0]; i++)
        assert_agents_refuses(good, bad_target[i], 1);
    const double bad_occupancy[] = {0, -0.5, 1.0000001, NAN};
    for (size_t i = 0; i < sizeof bad_occupancy / sizeof bad_occupancy[0]; i++)
        assert_agents_refuses(good, 0.8, bad_occupancy[i]);

    in = good;
    in.struct_size = sizeof in - 1;
    assert_evaluate_refuses(in);
    assert_agents_refuses(in, 0.8, 1);
    r.struct_size = sizeof r - 1;
    assert_int_equal(usher_staffing_evaluate(&good, &r), USHER_EINVAL);
    assert_int_equal(usher_staffing_evaluate(NULL, &r), USHER_EINVAL);
    assert_int_equal(usher_staffing_evaluate(&good, NULL), USHER_EINVAL);
    assert_int_equal(usher_staffing_agents(NULL, 0.8, 1, &r), USHER_EINVAL);
    assert_int_equal(usher_staffing_agents(&good, 0.8, 1, NULL), USHER_EINVAL);
    usher_staffing_input_init(NULL); /* documented as doing nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wolfram_erlang_c_3_2),
        cmocka_unit_test(test_wolfram_support_center),
        cmocka_unit_test(test_callcentrehelper_worked_example),
        cmocka_unit_test(test_erlang_b_table_through_zero_patience),
        cmocka_unit_test(test_erlang_c_matches_sums),
        cmocka_unit_test(test_erlang_a_matches_chain),
        cmocka_unit_test(test_erlang_a_without_patience_limit_is_erlang_c),
        cmocka_unit_test(test_erlang_a_patience_equal_handle_is_poisson),
        cmocka_unit_test(test_thousands_of_agents),
        cmocka_unit_test(test_erlang_c_near_saturation),
        cmocka_unit_test(test_agents_is_smallest_that_meets),
        cmocka_unit_test(test_readme_example),
        cmocka_unit_test(test_agents_beyond_the_limit),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
