/*
 * trace.c — W3C Trace Context parsing, formatting and the thread's current
 * context (see trace.h).
 */
#include "common/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/crypto.h"

static _Thread_local trace_context_t current;
static _Thread_local bool has_current;

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

static int hex_value(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

bool trace_traceparent_valid(const char *t)
{
    /* version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55 */
    if (!t || strlen(t) < TRACE_TRACEPARENT_LEN)
        return false;
    if (!lower_hex(t, 2) || strncmp(t, "ff", 2) == 0 || t[2] != '-' || !lower_hex(t + 3, 32) ||
        t[35] != '-' || !lower_hex(t + 36, 16) || t[52] != '-' || !lower_hex(t + 53, 2))
        return false;
    if (all_zero(t + 3, 32) || all_zero(t + 36, 16))
        return false;
    /* Version 00 has exactly these fields; a later version may append "-..." */
    if (strncmp(t, "00", 2) == 0)
        return t[TRACE_TRACEPARENT_LEN] == '\0';
    return t[TRACE_TRACEPARENT_LEN] == '\0' || t[TRACE_TRACEPARENT_LEN] == '-';
}

/* tracestate is passed on untouched when it is printable ASCII that fits; else dropped. */
static void copy_tracestate(const char *in, char out[TRACE_STATE_MAX_LEN + 1])
{
    out[0] = '\0';
    if (!in)
        return;
    size_t n = strlen(in);
    if (n > TRACE_STATE_MAX_LEN)
        return;
    for (size_t i = 0; i < n; i++)
        if (in[i] < 0x20 || in[i] > 0x7e)
            return;
    memcpy(out, in, n + 1);
}

int trace_parse(const char *traceparent, const char *tracestate, trace_context_t *out)
{
    if (!trace_traceparent_valid(traceparent))
        return -1;
    memcpy(out->trace_id, traceparent + 3, TRACE_ID_LEN);
    out->trace_id[TRACE_ID_LEN] = '\0';
    memcpy(out->span_id, traceparent + 36, TRACE_SPAN_ID_LEN);
    out->span_id[TRACE_SPAN_ID_LEN] = '\0';
    out->flags = (uint8_t)(hex_value(traceparent[53]) * 16 + hex_value(traceparent[54]));
    copy_tracestate(tracestate, out->tracestate);
    return 0;
}

/* Ids are unique, not secret: each thread draws from its own SplitMix64
 * sequence, seeded once from the system's random source, instead of asking
 * the CSPRNG (a lock and a few hundred instructions) for every request. */
static int next_random(uint64_t *out)
{
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        if (crypto_random_bytes(&state, sizeof state) != 0)
            return -1;
        seeded = true;
    }
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    *out = z ^ (z >> 31);
    return 0;
}

/* n random bytes (8 or 16) as 2n lower-case hex digits, never all zero. */
static int random_hex(char *out, size_t bytes)
{
    static const char hex[] = "0123456789abcdef";
    do {
        for (size_t done = 0; done < bytes; done += 8) {
            uint64_t r;
            if (next_random(&r) != 0)
                return -1;
            for (int i = 15; i >= 0; i--, r >>= 4)
                out[2 * done + (size_t)i] = hex[r & 15];
        }
    } while (all_zero(out, 2 * bytes));
    return 0;
}

int trace_start(trace_context_t *out)
{
    memset(out, 0, sizeof *out);
    if (random_hex(out->trace_id, TRACE_ID_LEN / 2) != 0 ||
        random_hex(out->span_id, TRACE_SPAN_ID_LEN / 2) != 0)
        return -1;
    out->flags = TRACE_FLAG_SAMPLED;
    return 0;
}

int trace_child(const trace_context_t *parent, trace_context_t *out)
{
    trace_context_t child = *parent;
    if (random_hex(child.span_id, TRACE_SPAN_ID_LEN / 2) != 0)
        return -1;
    *out = child;
    return 0;
}

int trace_continue_or_start(const char *traceparent, const char *tracestate, trace_context_t *out)
{
    trace_context_t in;
    if (trace_parse(traceparent, tracestate, &in) == 0)
        return trace_child(&in, out);
    return trace_start(out);
}

void trace_format(const trace_context_t *ctx, char out[TRACE_TRACEPARENT_LEN + 1])
{
    snprintf(out, TRACE_TRACEPARENT_LEN + 1, "00-%.32s-%.16s-%02x", ctx->trace_id, ctx->span_id,
             ctx->flags);
}

bool trace_ensure(trace_context_t *storage)
{
    if (has_current || trace_start(storage) != 0)
        return false;
    trace_set_current(storage);
    return true;
}

void trace_set_current(const trace_context_t *ctx)
{
    has_current = ctx != NULL;
    if (ctx && ctx != &current)
        current = *ctx;
}

const trace_context_t *trace_current(void)
{
    return has_current ? &current : NULL;
}
