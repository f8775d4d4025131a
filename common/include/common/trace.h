/*
 * trace.h — W3C Trace Context (traceparent, tracestate): one checkout is
 * followed across services by its trace id, in HTTP headers, in Kafka headers
 * (the CloudEvents distributed tracing extension, ce_traceparent) and on every
 * log line written while the trace is the thread's current one.
 *
 * traceparent: "00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>",
 * lower-case; an all-zero trace or span id is invalid. A version other than
 * 00 (but never ff) is read by its first four fields, as the specification
 * asks of a reader that knows only version 00.
 *
 * Usage:
 *     trace_context_t in, cur;
 *     if (trace_parse(header_traceparent, header_tracestate, &in) == 0)
 *         trace_child(&in, &cur);           // our span in the caller's trace
 *     else
 *         trace_start(&cur);                // no (valid) context: a new trace
 *     trace_set_current(&cur);              // logs carry trace_id/span_id now
 *     char tp[TRACE_TRACEPARENT_LEN + 1];
 *     trace_format(trace_current(), tp);    // into an outgoing header
 *     trace_set_current(NULL);
 *
 * Thread-safety: the current context is thread-local; the other functions are
 * reentrant. Ownership: trace_current() points into thread-local storage,
 * valid until the thread's next trace_set_current.
 */
#ifndef COMMON_TRACE_H
#define COMMON_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_ID_LEN 32
#define TRACE_SPAN_ID_LEN 16
#define TRACE_TRACEPARENT_LEN 55
#define TRACE_STATE_MAX_LEN 512
#define TRACE_FLAG_SAMPLED 0x01

typedef struct trace_context {
    char trace_id[TRACE_ID_LEN + 1];     /* 32 lower-case hex */
    char span_id[TRACE_SPAN_ID_LEN + 1]; /* 16 lower-case hex: this span */
    uint8_t flags;
    char tracestate[TRACE_STATE_MAX_LEN + 1]; /* passed on as received; "" when none */
} trace_context_t;

/* Reads a traceparent header (and the tracestate that came with it, may be
 * NULL). 0 and *out filled (span_id = the caller's span), or -1 when the
 * traceparent is absent or malformed (then tracestate is ignored too). */
int trace_parse(const char *traceparent, const char *tracestate, trace_context_t *out);

/* A new trace: random trace and span ids, sampled, no tracestate. 0 or -1. */
int trace_start(trace_context_t *out);

/* A new span of parent's trace (same trace id, flags and tracestate). 0 or -1. */
int trace_child(const trace_context_t *parent, trace_context_t *out);

/* Continues the caller's context when `traceparent` is valid, else starts a
 * new trace; the result is a span of our own. 0 or -1. */
int trace_continue_or_start(const char *traceparent, const char *tracestate, trace_context_t *out);

/* "00-<trace id>-<span id>-<flags>" into out. */
void trace_format(const trace_context_t *ctx, char out[TRACE_TRACEPARENT_LEN + 1]);

/* For work that no request or message started (a scheduled job, a retried
 * task): makes a new trace the thread's current one unless it already has one.
 * True when it started one; then end it with trace_set_current(NULL). */
bool trace_ensure(trace_context_t *storage);

/* Sets (copies) or, with NULL, clears the calling thread's current context. */
void trace_set_current(const trace_context_t *ctx);

/* The calling thread's current context, or NULL. */
const trace_context_t *trace_current(void);

/* True when `text` is a valid traceparent header value. */
bool trace_traceparent_valid(const char *text);

#endif /* COMMON_TRACE_H */
