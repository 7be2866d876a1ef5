/* Output: one readable table per scenario, or one JSON object per line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct text {
    char *data;
    size_t len, cap;
} text;

struct report {
    bool json;
    text fields; /* JSON members, comma separated */
    text table;
};

static void text_vadd(text *t, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0)
        bench_fail("formatting output failed");
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->len + (size_t)n + 1 > cap)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown)
            bench_fail("out of memory");
        t->data = grown;
        t->cap = cap;
    }
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, again);
    t->len += (size_t)n;
    va_end(again);
}

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vadd(t, fmt, ap);
    va_end(ap);
}

report *report_new(const char *scenario, bool json)
{
    report *r = xcalloc(1, sizeof *r);
    r->json = json;
    report_str(r, "scenario", scenario);
    return r;
}

static void key(report *r, const char *k)
{
    text_add(&r->fields, "%s\"%s\":", r->fields.len ? "," : "", k);
}

void report_int(report *r, const char *k, uint64_t value)
{
    key(r, k);
    text_add(&r->fields, "%llu", (unsigned long long)value);
}

void report_num(report *r, const char *k, double value)
{
    key(r, k);
    if (!isfinite(value))
        text_add(&r->fields, "null");
    else if (fabs(value) >= 1e5)
        text_add(&r->fields, "%.0f", value);
    else if (fabs(value) >= 100)
        text_add(&r->fields, "%.1f", value);
    else
        text_add(&r->fields, "%.3g", value);
}

void report_str(report *r, const char *k, const char *value)
{
    key(r, k);
    text_add(&r->fields, "\"");
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            text_add(&r->fields, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            text_add(&r->fields, "\\u%04x", (unsigned)(unsigned char)*p);
        else
            text_add(&r->fields, "%c", *p);
    }
    text_add(&r->fields, "\"");
}

void report_title(report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vadd(&r->table, fmt, ap);
    va_end(ap);
    text_add(&r->table, "\n  %-36s %12s %14s %9s  %s\n", "figure", "usher", "baseline", "speedup",
             "target");
}

void report_row(report *r, const char *label, const char *usher, const char *baseline,
                const char *speedup, const char *target)
{
    text_add(&r->table, "  %-36s %12s %14s %9s  %s\n", label, usher ? usher : "",
             baseline ? baseline : "", speedup ? speedup : "", target ? target : "");
}

void report_note(report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_add(&r->table, "  ");
    text_vadd(&r->table, fmt, ap);
    text_add(&r->table, "\n");
    va_end(ap);
}

void report_end(report *r)
{
    if (r->json)
        printf("{%s}\n", r->fields.data ? r->fields.data : "");
    else
        printf("%s\n", r->table.data ? r->table.data : "");
    fflush(stdout);
    free(r->fields.data);
    free(r->table.data);
    free(r);
}

/* ---- number formatting --------------------------------------------------------------- */

const char *fmt_ns(char *buf, double ns)
{
    if (ns < 1000)
        snprintf(buf, 32, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, 32, "%.2f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, 32, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, 32, "%.2f s", ns / 1e9);
    return buf;
}

const char *fmt_count(char *buf, double value)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", value);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-')
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *fmt_bytes(char *buf, double bytes)
{
    if (bytes < 10 * 1024.0)
        snprintf(buf, 32, "%.0f B", bytes);
    else if (bytes < 10 * 1048576.0)
        snprintf(buf, 32, "%.1f KiB", bytes / 1024);
    else
        snprintf(buf, 32, "%.1f MiB", bytes / 1048576);
    return buf;
}

const char *fmt_ratio(char *buf, double ratio)
{
    if (!isfinite(ratio))
        snprintf(buf, 32, "-");
    else if (ratio >= 10)
        snprintf(buf, 32, "%.0fx", ratio);
    else
        snprintf(buf, 32, "%.2fx", ratio);
    return buf;
}

const char *fmt_target(char *buf, double value, double target, bool at_most)
{
    bool met = at_most ? value <= target : value >= target;
    if (met)
        snprintf(buf, 32, "met");
    else if (at_most)
        snprintf(buf, 32, "MISSED: %.0f%% over", (value / target - 1) * 100);
    else
        snprintf(buf, 32, "MISSED: %.0f%% short", (1 - value / target) * 100);
    return buf;
}
