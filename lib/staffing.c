/*
 * Staffing: Erlang C (M/M/c) and Erlang A (M/M/c+M) figures, and the
 * smallest number of agents that meets a service-level target.
 *
 * Both models start from the Erlang B blocking probability B(c, A), kept as
 * a logarithm so that it neither overflows nor underflows at thousands of
 * agents. Erlang C then has closed forms. Erlang A needs the queue part of
 * the birth-death chain; its sums over queue lengths collapse into
 * one-dimensional integrals of exp(G(s)) with
 *
 *     G(s) = -a s + (lambda / theta) (1 - exp(-theta s)),   a = c mu,
 *
 * which are evaluated with Gauss-Legendre panels around the peak of G,
 * relative to the peak (docs/STAFFING.md derives them).
 */
#include <math.h>
#include <stdbool.h>

#include "usher.h"

#define SECONDS_PER_HOUR 3600.0

/* Terms below exp(-TAIL_EXPONENT) of the peak are left out of integrals:
 * their sum is below 1e-20 of the result. */
#define TAIL_EXPONENT 46.0
/* Panels per width of the integrand's peak, and a ceiling on their count
 * (never reached: the integrand lives within ~20 widths of its peak). */
#define PANELS_PER_WIDTH 2.0
#define MAX_PANELS 20000

USHER_API void usher_staffing_input_init(usher_staffing_input *in)
{
    if (!in)
        return;
    *in = (usher_staffing_input){.struct_size = sizeof *in};
}

/* ------------------------------------------------------------------------
 * Input checks
 * ------------------------------------------------------------------------ */

static bool positive(double x) { return isfinite(x) && x > 0; }
static bool not_negative(double x) { return isfinite(x) && x >= 0; }

static bool model_is_valid(const usher_staffing_input *in)
{
    return in->struct_size >= sizeof *in && positive(in->arrivals_per_hour) &&
           positive(in->handle_time_s) && not_negative(in->answer_within_s) &&
           not_negative(in->patience_s);
}

static double traffic_of(const usher_staffing_input *in)
{
    return in->arrivals_per_hour / SECONDS_PER_HOUR * in->handle_time_s;
}

/* Erlang C has no steady state unless the agents exceed the traffic. */
static bool agents_are_valid(const usher_staffing_input *in, uint32_t agents)
{
    if (agents == 0 || agents > USHER_STAFFING_MAX_AGENTS)
        return false;
    return in->patience_s > 0 || traffic_of(in) < (double)agents;
}

/* ------------------------------------------------------------------------
 * Erlang B, in logarithms
 * ------------------------------------------------------------------------ */

/*
 * log B(c, A) by the recursion B(k) = A B(k-1) / (k + A B(k-1)), B(0) = 1.
 * Every step multiplies by a factor in (0, 1], so the logarithm only
 * decreases and exp() of it never overflows.
 */
static double log_erlang_b(uint32_t agents, double traffic)
{
    double log_b = 0;
    double log_a = log(traffic);
    for (uint32_t k = 1; k <= agents; k++)
        log_b += log_a - log((double)k + traffic * exp(log_b));
    return log_b;
}

/* ------------------------------------------------------------------------
 * Erlang C
 * ------------------------------------------------------------------------ */

static usher_staffing_result erlang_c(const usher_staffing_input *in, uint32_t agents)
{
    double c = agents, traffic = traffic_of(in), h = in->handle_time_s;
    double log_b = log_erlang_b(agents, traffic);
    /* C = 1 / (1 + x) with x = (c - A)(1 - B) / (c B); both C and 1 - C
     * are formed without subtracting nearly equal numbers. */
    double x = (c - traffic) * -expm1(log_b) / c * exp(-log_b);
    double wait = isinf(x) ? 0 : 1 / (1 + x);
    double no_wait = isinf(x) ? 1 : x / (1 + x);
    double served_in_time = -expm1(-(c - traffic) * in->answer_within_s / h);
    double sl = no_wait + wait * served_in_time;
    return (usher_staffing_result){
        .agents = agents,
        .traffic_erlangs = traffic,
        .wait_probability = wait,
        .service_level = sl,
        .answered_service_level = sl,
        .asa_s = wait * h / (c - traffic),
        .abandon_probability = 0,
        .occupancy = traffic / c,
    };
}

/* ------------------------------------------------------------------------
 * Erlang A
 * ------------------------------------------------------------------------ */

/*
 * The queue part of the chain, as integrals over s (seconds) of
 * exp(G(s) - G(s0)), s0 the peak of G. With b = lambda exp(-theta s0)
 * (b = a when the peak is inside, lambda when it is at 0) and d = s - s0:
 *
 *     G(s0 + d) - G(s0) = -(a - b) d - (b / theta) f(theta d),
 *     f(x) = x + expm1(-x) = x^2/2 - x^3/6 + ...
 */
typedef struct queue_integrals {
    double lambda, a, theta; /* per second */
    double s0, b;            /* the peak of G and the slope there */
    double width;            /* seconds over which the peak falls by e */
} queue_integrals;

/* x + expm1(-x) without the cancellation near 0. */
static double x_plus_expm1_neg(double x)
{
    if (fabs(x) < 0.01) {
        double x2 = x * x;
        return x2 * (1.0 / 2 - x / 6 + x2 / 24 - x2 * x / 120 + x2 * x2 / 720);
    }
    return x + expm1(-x);
}

static double g_below_peak(const queue_integrals *q, double d)
{
    return -(q->a - q->b) * d - q->b / q->theta * x_plus_expm1_neg(q->theta * d);
}

static queue_integrals queue_integrals_for(double lambda, double a, double theta)
{
    queue_integrals q = {.lambda = lambda, .a = a, .theta = theta};
    if (lambda > a) {
        q.s0 = log(lambda / a) / theta;
        q.b = a;
    } else {
        q.s0 = 0;
        q.b = lambda;
    }
    /* Near the peak G falls like (a - b) d + b theta d^2 / 2. */
    q.width = 1 / fmax(q.a - q.b, sqrt(q.b * q.theta));
    return q;
}

/* G(s0) itself: the scale the integrals are measured against. */
static double g_peak(const queue_integrals *q)
{
    return -q->a * q->s0 + (q->lambda - q->b) / q->theta;
}

/* The offset from s0 (sign +1 right, -1 left, never left of s = 0) beyond
 * which G stays TAIL_EXPONENT below its peak; G is concave. */
static double tail_offset(const queue_integrals *q, double sign)
{
    double limit = sign < 0 ? q->s0 : INFINITY;
    double d = q->width;
    while (d < limit && g_below_peak(q, sign * d) > -TAIL_EXPONENT)
        d *= 2;
    return fmin(d, limit);
}

/* What the integrals integrate, besides exp(G(s) - G(s0)). */
enum weight { WEIGHT_ONE, WEIGHT_SERVED, WEIGHT_SERVED_TIME, WEIGHT_ABANDONED };

static double weight_at(const queue_integrals *q, enum weight w, double s)
{
    switch (w) {
    case WEIGHT_ONE:
        return 1;
    case WEIGHT_SERVED: /* the tagged caller is still there at s */
        return exp(-q->theta * s);
    case WEIGHT_SERVED_TIME:
        return s * exp(-q->theta * s);
    case WEIGHT_ABANDONED:
        return -expm1(-q->theta * s);
    }
    return 0;
}

/* 10-point Gauss-Legendre nodes and weights on [-1, 1] (positive half),
 * computed by Newton's method on the Legendre polynomial P10. */
static const double gl_node[5] = {0.1488743389816312, 0.4333953941292472, 0.6794095682990244,
                                  0.8650633666889845, 0.9739065285171717};
static const double gl_weight[5] = {0.2955242247147529, 0.2692667193099962, 0.2190863625159821,
                                    0.1494513491505805, 0.0666713443086880};

static double panel(const queue_integrals *q, enum weight w, double from, double to)
{
    double mid = (from + to) / 2, half = (to - from) / 2, sum = 0;
    for (int i = 0; i < 5; i++)
        for (int side = -1; side <= 1; side += 2) {
            double d = mid + side * half * gl_node[i];
            sum += gl_weight[i] * exp(g_below_peak(q, d)) * weight_at(q, w, q->s0 + d);
        }
    return sum * half;
}

/* The integral over s in [0, until] (until may be INFINITY) of
 * exp(G(s) - G(s0)) times the weight. */
static double integrate(const queue_integrals *q, enum weight w, double until)
{
    double from = -tail_offset(q, -1);
    double to = fmin(tail_offset(q, +1), until - q->s0);
    if (to <= from)
        return 0;
    double step = q->width / PANELS_PER_WIDTH;
    double panels = ceil((to - from) / step);
    if (panels > MAX_PANELS)
        panels = MAX_PANELS;
    step = (to - from) / panels;
    double sum = 0;
    for (double i = 0; i < panels; i++)
        sum += panel(q, w, from + i * step, i + 1 == panels ? to : from + (i + 1) * step);
    return sum;
}

/* Ratios of nearly equal probabilities may round past 1. */
static double probability(double x) { return fmin(fmax(x, 0), 1); }

static usher_staffing_result erlang_a(const usher_staffing_input *in, uint32_t agents)
{
    double c = agents, traffic = traffic_of(in), h = in->handle_time_s;
    double lambda = in->arrivals_per_hour / SECONDS_PER_HOUR;
    queue_integrals q = queue_integrals_for(lambda, c / h, 1 / in->patience_s);

    double all = integrate(&q, WEIGHT_ONE, INFINITY);
    double served_in_time = integrate(&q, WEIGHT_SERVED, in->answer_within_s) / all;
    double served_time = integrate(&q, WEIGHT_SERVED_TIME, INFINITY) / all;
    double abandoned = integrate(&q, WEIGHT_ABANDONED, INFINITY) / all;

    /*
     * With pi_c the probability of exactly c in the system, the waiting
     * states sum to pi_c a I (I = all exp(G(s0))) and the others to
     * pi_c (1/B - 1); so P(wait) = R / (1 - B + R), R = B a I, in logs.
     */
    double log_b = log_erlang_b(agents, traffic);
    double log_r = log_b + log(q.a) + g_peak(&q) + log(all);
    double wait = 1 / (1 + -expm1(log_b) * exp(-log_r));

    double abandon = wait * abandoned;
    double answered = 1 - abandon;
    double sl = (1 - wait) + wait * served_in_time;
    return (usher_staffing_result){
        .agents = agents,
        .traffic_erlangs = traffic,
        .wait_probability = wait,
        .service_level = sl,
        .answered_service_level = probability(sl / answered),
        .asa_s = wait * served_time / answered,
        .abandon_probability = abandon,
        .occupancy = probability(traffic * answered / c),
    };
}

/* ------------------------------------------------------------------------
 * Public functions
 * ------------------------------------------------------------------------ */

static usher_staffing_result evaluate(const usher_staffing_input *in, uint32_t agents)
{
    return in->patience_s > 0 ? erlang_a(in, agents) : erlang_c(in, agents);
}

static void store_result(usher_staffing_result *out, usher_staffing_result r)
{
    r.struct_size = sizeof r;
    *out = r;
}

USHER_API usher_status usher_staffing_evaluate(const usher_staffing_input *in,
                                               usher_staffing_result *out)
{
    if (!in || !out || out->struct_size < sizeof *out || !model_is_valid(in) ||
        !agents_are_valid(in, in->agents))
        return USHER_EINVAL;
    store_result(out, evaluate(in, in->agents));
    return USHER_OK;
}

static bool meets(const usher_staffing_result *r, double target, double max_occupancy)
{
    return r->service_level >= target && r->occupancy <= max_occupancy;
}

/*
 * Service level rises and occupancy falls as agents are added, so the
 * answer is found by doubling an upper bound, then bisecting.
 */
USHER_API usher_status usher_staffing_agents(const usher_staffing_input *in,
                                             double target_service_level, double max_occupancy,
                                             usher_staffing_result *out)
{
    if (!in || !out || out->struct_size < sizeof *out || !model_is_valid(in) ||
        !(target_service_level > 0 && target_service_level < 1) ||
        !(max_occupancy > 0 && max_occupancy <= 1))
        return USHER_EINVAL;

    double traffic = traffic_of(in);
    double lowest = in->patience_s > 0 ? 1 : floor(traffic) + 1;
    if (lowest > USHER_STAFFING_MAX_AGENTS)
        return USHER_ELIMIT;
    uint32_t fails = (uint32_t)lowest - 1; /* known to fail (or 0) */
    uint32_t passes = (uint32_t)lowest;
    usher_staffing_result r = evaluate(in, passes);
    while (!meets(&r, target_service_level, max_occupancy)) {
        if (passes == USHER_STAFFING_MAX_AGENTS)
            return USHER_ELIMIT;
        fails = passes;
        passes = passes > USHER_STAFFING_MAX_AGENTS / 2 ? USHER_STAFFING_MAX_AGENTS : passes * 2;
        r = evaluate(in, passes);
    }
    usher_staffing_result best = r;
    while (passes - fails > 1) {
        uint32_t mid = fails + (passes - fails) / 2;
        r = evaluate(in, mid);
        if (meets(&r, target_service_level, max_occupancy)) {
            passes = mid;
            best = r;
        } else {
            fails = mid;
        }
    }
    store_result(out, best);
    return USHER_OK;
}
