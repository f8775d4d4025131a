/*
 * log.c — JSON-lines logging with redaction (see log.h).
 *
 * Each call formats the whole line into a stack buffer and writes it with one
 * write(2), so concurrent lines never interleave. Redaction runs over the
 * message and every field value; keys that name secrets drop the value.
 */
#include "common/log.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/trace.h"

#define LOG_LINE_MAX 8192
#define LOG_TEXT_MAX 4096
#define LOG_SERVICE_MAX 64
#define LOG_REQUEST_ID_MAX 80
#define PHONE_MIN_DIGITS 9
#define CARD_MIN_DIGITS 13
#define CARD_MAX_DIGITS 19
#define SECRET_MIN_RUN 32

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER; /* guards service, level */
static char service_name[LOG_SERVICE_MAX] = "unknown";
static log_level_t min_level = LOG_LEVEL_INFO;
static int out_fd = 2;
static _Thread_local char thread_request_id[LOG_REQUEST_ID_MAX];

static const char *LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

void log_init(const char *service, log_level_t level)
{
    pthread_mutex_lock(&config_lock);
    snprintf(service_name, sizeof service_name, "%s", service ? service : "unknown");
    min_level = level;
    pthread_mutex_unlock(&config_lock);
}

void log_set_fd(int fd)
{
    out_fd = fd;
}

int log_level_parse(const char *text, log_level_t *out)
{
    for (int i = 0; text && i < 4; i++) {
        if (strcasecmp(text, LEVEL_NAMES[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    if (text && strcasecmp(text, "warning") == 0) {
        *out = LOG_LEVEL_WARN;
        return 0;
    }
    return -1;
}

void log_set_request_id(const char *request_id)
{
    snprintf(thread_request_id, sizeof thread_request_id, "%s", request_id ? request_id : "");
}

const char *log_request_id(void)
{
    return thread_request_id[0] ? thread_request_id : NULL;
}

/* ------------------------------------------------------------ redaction -- */

static const char *SENSITIVE_KEY_PARTS[] = {
    "email",    "phone",  "card",          "token",     "apikey", "api_key", "api-key",    "secret",
    "password", "passwd", "authorization", "signature", "cvc",    "cvv",     "credential",
};

int log_key_is_sensitive(const char *key)
{
    if (!key)
        return 0;
    for (size_t i = 0; i < sizeof SENSITIVE_KEY_PARTS / sizeof *SENSITIVE_KEY_PARTS; i++)
        if (strcasestr(key, SENSITIVE_KEY_PARTS[i]))
            return 1;
    return 0;
}

static bool is_word(int c)
{
    return isalnum(c) || c == '_' || c == '-';
}

static bool is_email_local(int c)
{
    return isalnum(c) || strchr("._%+-", c) != NULL;
}

/* Length of an email address starting at s (local@domain.tld), or 0. */
static size_t match_email(const char *s)
{
    size_t i = 0;
    while (s[i] && is_email_local((unsigned char)s[i]))
        i++;
    if (i == 0 || s[i] != '@')
        return 0;
    size_t at = i++;
    bool dot = false;
    while (s[i] && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.')) {
        dot |= s[i] == '.';
        i++;
    }
    return (dot && i > at + 3) ? i : 0;
}

/* Length of a phone-like or card-like digit run at s, or 0. A run may hold
 * spaces, dashes, dots and parentheses between digits; an ISO date
 * (YYYY-MM-DD) is never one. *digits receives the digit count. */
static size_t match_digit_run(const char *s, int *digits)
{
    size_t i = 0;
    int n = 0;
    if (s[0] == '+')
        i++;
    while (s[i]) {
        if (isdigit((unsigned char)s[i])) {
            n++;
            i++;
        } else if (strchr(" -()", s[i]) && s[i + 1] &&
                   (isdigit((unsigned char)s[i + 1]) || strchr("(", s[i + 1]))) {
            i++;
        } else {
            break;
        }
    }
    *digits = n;
    if (n == 8 && i == 10 && s[4] == '-' && s[7] == '-')
        return 0; /* 2025-11-01 */
    return i;
}

/* Card tokens and provider secrets: tok_..., pm_..., sk_live_... Stripe's
 * card_ and src_ object ids always carry digits; requiring one keeps error
 * codes such as card_declined readable. */
static size_t match_prefixed_secret(const char *s, const char **label)
{
    static const struct {
        const char *prefix;
        const char *label;
        bool needs_digit;
    } prefixes[] = {
        {"tok_", "[card-token]", false}, {"pm_", "[card-token]", false},
        {"card_", "[card-token]", true}, {"src_", "[card-token]", true},
        {"sk_", "[secret]", false},      {"rk_", "[secret]", false},
        {"pk_", "[secret]", false},      {"whsec_", "[secret]", false},
        {"test_sk_", "[secret]", false}, {"live_sk_", "[secret]", false},
        {"test_ck_", "[secret]", false}, {"live_ck_", "[secret]", false},
    };
    for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++) {
        size_t n = strlen(prefixes[p].prefix);
        if (strncmp(s, prefixes[p].prefix, n) != 0 || !isalnum((unsigned char)s[n]))
            continue;
        size_t i = n;
        bool digit = false;
        while (s[i] && (isalnum((unsigned char)s[i]) || s[i] == '_'))
            digit |= isdigit((unsigned char)s[i++]) != 0;
        if (prefixes[p].needs_digit && !digit)
            continue;
        *label = prefixes[p].label;
        return i;
    }
    return 0;
}

static size_t append(char *out, size_t out_size, size_t at, const char *text, size_t len)
{
    if (at + 1 >= out_size)
        return at;
    if (len > out_size - 1 - at)
        len = out_size - 1 - at;
    memcpy(out + at, text, len);
    return at + len;
}

/* Is s (at a word boundary) a UUID 8-4-4-4-12? Those are ids, kept as is. */
static bool is_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t i = 0;
    for (int g = 0; g < 5; g++) {
        for (int k = 0; k < groups[g]; k++, i++)
            if (!isxdigit((unsigned char)s[i]))
                return false;
        if (g < 4 && s[i++] != '-')
            return false;
    }
    return !is_word((unsigned char)s[i]);
}

/* A URL path of ours ("/_sandbox/frontdesk/availability",
 * "/api/polling/cloudbeds/hotel_123/start"): starts with '/', lower-case
 * words. Long tokens (base64, mixed case) are not that. */
static bool looks_like_path(const char *s, size_t n)
{
    if (s[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)s[i]) || s[i] == '+' || s[i] == '=')
            return false;
    return true;
}

size_t log_redact(const char *in, char *out, size_t out_size)
{
    size_t o = 0;
    if (out_size == 0)
        return 0;
    for (size_t i = 0; in && in[i];) {
        bool boundary = i == 0 || !is_word((unsigned char)in[i - 1]);
        const char *label = NULL;
        size_t n = 0;
        int digits = 0;
        if (boundary && (n = match_email(in + i)) > 0) {
            label = "[email]";
        } else if (boundary && is_uuid(in + i)) {
            o = append(out, out_size, o, in + i, 36);
            i += 36;
            continue;
        } else if (boundary && (n = match_prefixed_secret(in + i, &label)) > 0) {
            /* label set */
        } else if (boundary && strncasecmp(in + i, "Bearer ", 7) == 0) {
            n = 7;
            while (in[i + n] && !isspace((unsigned char)in[i + n]) && in[i + n] != '"')
                n++;
            label = "Bearer [redacted]";
        } else if (boundary && (isdigit((unsigned char)in[i]) || in[i] == '+') &&
                   (n = match_digit_run(in + i, &digits)) > 0 &&
                   (digits >= PHONE_MIN_DIGITS || (in[i] == '+' && digits >= 7))) {
            label = (digits >= CARD_MIN_DIGITS && digits <= CARD_MAX_DIGITS && in[i] != '+')
                        ? "[card-number]"
                        : "[phone]";
        } else if (boundary) {
            size_t run = 0;
            while (in[i + run] &&
                   (isalnum((unsigned char)in[i + run]) || strchr("+/_-", in[i + run])))
                run++;
            while (in[i + run] == '=') /* base64 padding */
                run++;
            if (run >= SECRET_MIN_RUN && looks_like_path(in + i, run)) {
                o = append(out, out_size, o, in + i, run); /* kept whole */
                i += run;
                continue;
            }
            if (run >= SECRET_MIN_RUN) {
                n = run;
                label = "[secret]";
            }
        }
        if (label) {
            o = append(out, out_size, o, label, strlen(label));
            i += n;
        } else {
            o = append(out, out_size, o, in + i, 1);
            i++;
        }
    }
    out[o] = '\0';
    return o;
}

/* --------------------------------------------------------------- output -- */

typedef struct {
    char buf[LOG_LINE_MAX];
    size_t len;
} line_t;

static void line_raw(line_t *l, const char *s)
{
    l->len = append(l->buf, sizeof l->buf - 1, l->len, s, strlen(s));
}

/* Appends `s` as a JSON string literal (quotes included). */
static void line_string(line_t *l, const char *s)
{
    char esc[8];
    line_raw(l, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            esc[2] = '\0';
        } else if (*p == '\n') {
            strcpy(esc, "\\n");
        } else if (*p == '\t') {
            strcpy(esc, "\\t");
        } else if (*p == '\r') {
            strcpy(esc, "\\r");
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        } else {
            esc[0] = (char)*p;
            esc[1] = '\0';
        }
        line_raw(l, esc);
    }
    line_raw(l, "\"");
}

/* By hand: every access log line formats a few, and snprintf's format
 * parsing cost more than the digits. */
const char *log_int_text(char buf[24], long long value)
{
    char digits[24];
    size_t n = 0, at = 0;
    unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (value < 0)
        buf[at++] = '-';
    while (n > 0)
        buf[at++] = digits[--n];
    buf[at] = '\0';
    return buf;
}

const char *log_double_text(char buf[32], double value)
{
    if (!isfinite(value))
        return NULL;
    snprintf(buf, 32, "%.17g", value);
    return buf;
}

/* Is `value` what a typed field (LOG_INT, LOG_DOUBLE, LOG_BOOL) may write
 * unquoted? Only the macros' own output passes; anything else is quoted. */
static bool typed_text_ok(char type, const char *value)
{
    if (type == 'b')
        return strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
    const char *p = value + (*value == '-');
    if (!isdigit((unsigned char)*p))
        return false;
    while (*p && (isdigit((unsigned char)*p) || (type == 'd' && strchr(".eE+-", *p) != NULL)))
        p++;
    return *p == '\0' && (type == 'i' || type == 'd');
}

static void line_field(line_t *l, const char *key, const char *value)
{
    static char redacted_marker[] = "[REDACTED]";
    char clean[LOG_TEXT_MAX];
    char type = 0;
    if (key[0] == LOG_TYPE_MARK[0] && key[1]) {
        type = key[1];
        key += 2;
    }
    line_raw(l, ",");
    line_string(l, key);
    line_raw(l, ":");
    if (!value) {
        line_raw(l, "null");
        return;
    }
    if (log_key_is_sensitive(key)) {
        line_string(l, redacted_marker);
        return;
    }
    if (type && typed_text_ok(type, value)) {
        line_raw(l, value);
        return;
    }
    log_redact(value, clean, sizeof clean);
    line_string(l, clean);
}

static bool level_enabled(log_level_t level)
{
    pthread_mutex_lock(&config_lock);
    bool on = level >= min_level;
    pthread_mutex_unlock(&config_lock);
    return on;
}

static void line_begin(line_t *l, log_level_t level, const char *msg)
{
    char ts[40], clean[LOG_TEXT_MAX], service[LOG_SERVICE_MAX];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);
    pthread_mutex_lock(&config_lock);
    snprintf(service, sizeof service, "%s", service_name);
    pthread_mutex_unlock(&config_lock);

    l->len = 0;
    line_raw(l, "{\"ts\":");
    line_string(l, ts);
    line_raw(l, ",\"level\":");
    line_string(l, LEVEL_NAMES[level]);
    line_raw(l, ",\"service\":");
    line_string(l, service);
    if (thread_request_id[0]) {
        line_raw(l, ",\"request_id\":");
        line_string(l, thread_request_id);
    }
    const trace_context_t *trace = trace_current();
    if (trace) {
        line_raw(l, ",\"trace_id\":");
        line_string(l, trace->trace_id);
        line_raw(l, ",\"span_id\":");
        line_string(l, trace->span_id);
    }
    log_redact(msg, clean, sizeof clean);
    line_raw(l, ",\"msg\":");
    line_string(l, clean);
}

static void line_end(line_t *l)
{
    /* Truncated lines still close the object, so every line parses. */
    if (l->len > sizeof l->buf - 4)
        l->len = sizeof l->buf - 4;
    l->len = append(l->buf, sizeof l->buf, l->len, "}\n", 2);
    ssize_t rc = write(out_fd, l->buf, l->len);
    (void)rc; /* nowhere to report a failed log write */
}

void log_msgf(log_level_t level, const char *fmt, ...)
{
    if (!level_enabled(level))
        return;
    char msg[LOG_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    line_t l;
    line_begin(&l, level, msg);
    line_end(&l);
}

void log_kv(log_level_t level, const char *msg, ...)
{
    if (!level_enabled(level))
        return;
    line_t l;
    line_begin(&l, level, msg);
    va_list ap;
    va_start(ap, msg);
    for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *)) {
        const char *value = va_arg(ap, const char *);
        line_field(&l, key, value);
    }
    va_end(ap);
    line_end(&l);
}
