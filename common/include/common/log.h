/*
 * log.h — structured logging: one JSON object per line on stderr.
 *
 * Every line carries ts (RFC 3339, UTC, ms), level, service, request_id (when
 * the calling thread has one), trace_id and span_id (when the thread has a
 * current trace context, trace.h) and msg, plus optional fields: strings, or
 * numbers and booleans written as JSON numbers and booleans (LOG_INT,
 * LOG_DOUBLE, LOG_BOOL). Every
 * message and field value passes through log_redact() before it is written, so
 * an email, phone number, card token, API key or secret that slips into a log
 * call is masked anyway: personal data and secrets never reach a log. Fields
 * whose key names a secret ("email", "phone", "cardToken", "apiKey", "secret",
 * "password", "authorization", "token", ...) are replaced wholesale by
 * "[REDACTED]".
 *
 * Usage:
 *     log_init("booking-svc", LOG_LEVEL_INFO);
 *     log_set_request_id("req-8f2c");            // per thread; NULL clears
 *     log_info("listening on port %d", port);
 *     log_kv(LOG_LEVEL_WARN, "pms call failed", "hotelId", hotel, LOG_INT("status", 503),
 *            LOG_BOOL("retried", true), NULL);               // ..."status":503,"retried":true
 *
 * Thread-safety: all functions are thread-safe; a line is written with one
 * write(2) so lines from different threads never interleave. The request id is
 * thread-local. Ownership: callers keep ownership of every string they pass.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stddef.h>

typedef enum {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO = 1,
    LOG_LEVEL_WARN = 2,
    LOG_LEVEL_ERROR = 3,
} log_level_t;

/* Sets the service name and the minimum level written. Safe to call again. */
void log_init(const char *service, log_level_t min_level);

/* Parses "debug" | "info" | "warn" | "error" (case-insensitive).
 * Returns 0 and sets *out, or -1 when the text names no level. */
int log_level_parse(const char *text, log_level_t *out);

/* Sets (copies) or, with NULL, clears the calling thread's request id. */
void log_set_request_id(const char *request_id);

/* The calling thread's request id, or NULL. Valid until the next set. */
const char *log_request_id(void);

/* Writes a printf-formatted message at `level`. */
void log_msgf(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes `msg` with fields given as key, value pairs ended by NULL. Values
 * are strings (a NULL value is written as JSON null), or typed through the
 * macros below. */
void log_kv(log_level_t level, const char *msg, ...) __attribute__((sentinel));

/* Typed fields for log_kv: each expands to a marked key and the value's text,
 * so log_kv keeps taking strings. The key must be a string literal.
 *     log_kv(LOG_LEVEL_INFO, "done", LOG_INT("rows", n), LOG_BOOL("ok", ok), NULL); */
#define LOG_TYPE_MARK "\x1e"
#define LOG_INT(key, value) LOG_TYPE_MARK "i" key, log_int_text((char[24]){0}, (long long)(value))
#define LOG_DOUBLE(key, value)                                                                     \
    LOG_TYPE_MARK "d" key, log_double_text((char[32]){0}, (double)(value))
#define LOG_BOOL(key, value) LOG_TYPE_MARK "b" key, ((value) ? "true" : "false")

/* The text of an integer / a finite double (NaN and infinities become null). */
const char *log_int_text(char buf[24], long long value);
const char *log_double_text(char buf[32], double value);

#define log_debug(...) log_msgf(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msgf(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msgf(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msgf(LOG_LEVEL_ERROR, __VA_ARGS__)

/* Copies `in` into `out` (capacity `out_size`, always NUL-terminated) with
 * sensitive substrings masked: email addresses, phone numbers (7+ digits with
 * optional +, spaces, dashes; never dots, so IP addresses survive), card tokens (tok_..., pm_...,
 * card_...), card numbers (13-19 digits), bearer tokens and long key-like secrets (sk_..., pk_...,
 * 32+ chars of [A-Za-z0-9_-]). Returns the length written (truncated to fit). */
size_t log_redact(const char *in, char *out, size_t out_size);

/* True when a field key names a secret that must never be written as is. */
int log_key_is_sensitive(const char *key);

/* Redirects output to `fd` (default 2). For tests. */
void log_set_fd(int fd);

#endif /* COMMON_LOG_H */
