/*
 * config.c — typed configuration getters over the environment (see config.h).
 *
 * Errors accumulate in one text buffer ("NAME: what\n" per error), so a
 * service can report every malformed variable at once.
 */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_ERRORS_MAX 4096
#define CONFIG_PORT_MIN 1
#define CONFIG_PORT_MAX 65535

struct config {
    config_lookup_fn lookup;
    void *ctx;
    size_t error_count;
    char errors[CONFIG_ERRORS_MAX];
};

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

config_t *config_new_with_lookup(config_lookup_fn lookup, void *ctx)
{
    config_t *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->lookup = lookup ? lookup : env_lookup;
    cfg->ctx = ctx;
    return cfg;
}

config_t *config_new(void *unused)
{
    (void)unused;
    return config_new_with_lookup(NULL, NULL);
}

void config_free(config_t *cfg)
{
    free(cfg);
}

void config_add_error(config_t *cfg, const char *name, const char *what)
{
    size_t used = strlen(cfg->errors);
    snprintf(cfg->errors + used, sizeof cfg->errors - used, "%s: %s\n", name, what);
    cfg->error_count++;
}

size_t config_error_count(const config_t *cfg)
{
    return cfg->error_count;
}

const char *config_errors(const config_t *cfg)
{
    return cfg->errors;
}

/* The raw value, or NULL when unset or empty. */
static const char *raw(config_t *cfg, const char *name)
{
    const char *v = cfg->lookup(name, cfg->ctx);
    return (v && *v) ? v : NULL;
}

const char *config_get_str(config_t *cfg, const char *name, const char *def)
{
    const char *v = raw(cfg, name);
    return v ? v : def;
}

const char *config_require_str(config_t *cfg, const char *name)
{
    const char *v = raw(cfg, name);
    if (!v)
        config_add_error(cfg, name, "is required but not set");
    return v;
}

long config_get_int(config_t *cfg, const char *name, long def, long min, long max)
{
    const char *v = raw(cfg, name);
    char what[160];
    if (!v)
        return def;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || isspace((unsigned char)*v)) {
        snprintf(what, sizeof what, "'%.40s' is not an integer", v);
        config_add_error(cfg, name, what);
        return def;
    }
    if (errno == ERANGE || n < min || n > max) {
        snprintf(what, sizeof what, "%.40s must be between %ld and %ld", v, min, max);
        config_add_error(cfg, name, what);
        return def;
    }
    return n;
}

double config_get_double(config_t *cfg, const char *name, double def, double min, double max)
{
    const char *v = raw(cfg, name);
    char what[160];
    if (!v)
        return def;
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || isspace((unsigned char)*v) || !isfinite(d)) {
        snprintf(what, sizeof what, "'%.40s' is not a number", v);
        config_add_error(cfg, name, what);
        return def;
    }
    if (d < min || d > max) {
        snprintf(what, sizeof what, "%.40s must be between %g and %g", v, min, max);
        config_add_error(cfg, name, what);
        return def;
    }
    return d;
}

bool config_get_bool(config_t *cfg, const char *name, bool def)
{
    static const char *yes[] = {"true", "1", "yes", "on"};
    static const char *no[] = {"false", "0", "no", "off"};
    const char *v = raw(cfg, name);
    if (!v)
        return def;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return true;
        if (strcasecmp(v, no[i]) == 0)
            return false;
    }
    char what[160];
    snprintf(what, sizeof what, "'%.40s' is not a boolean (true/false, 1/0, yes/no, on/off)", v);
    config_add_error(cfg, name, what);
    return def;
}

int config_get_port(config_t *cfg, const char *name, int def)
{
    return (int)config_get_int(cfg, name, def, CONFIG_PORT_MIN, CONFIG_PORT_MAX);
}

/* ------------------------------------------------------------------ URLs -- */

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Copies s[0..len) percent-decoded; NULL on OOM or a bad escape. */
static char *decode_part(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

void config_url_clear(config_url_t *url)
{
    if (!url)
        return;
    free(url->scheme);
    free(url->user);
    free(url->password);
    free(url->host);
    free(url->path);
    memset(url, 0, sizeof *url);
}

static int url_fail(config_url_t *out, char *err, size_t err_size, const char *what)
{
    snprintf(err, err_size, "%s", what);
    config_url_clear(out);
    return -1;
}

/* Parses host[:port] or [v6]:port in s[0..len). */
static int parse_host_port(const char *s, size_t len, config_url_t *out, char *err, size_t err_size)
{
    const char *host = s, *colon = NULL;
    size_t host_len;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return url_fail(out, err, err_size, "unterminated IPv6 address");
        host = s + 1;
        host_len = (size_t)(close - host);
        if (close + 1 < s + len) {
            if (close[1] != ':')
                return url_fail(out, err, err_size, "junk after IPv6 address");
            colon = close + 1;
        }
    } else {
        colon = memchr(s, ':', len);
        host_len = colon ? (size_t)(colon - s) : len;
    }
    if (host_len == 0)
        return url_fail(out, err, err_size, "host is missing");
    out->host = strndup(host, host_len);
    if (colon) {
        const char *p = colon + 1;
        size_t plen = (size_t)(s + len - p);
        long port = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)p[i]) ||
                (port = port * 10 + (p[i] - '0')) > CONFIG_PORT_MAX)
                return url_fail(out, err, err_size, "port must be a number from 1 to 65535");
        }
        if (plen == 0 || port < CONFIG_PORT_MIN)
            return url_fail(out, err, err_size, "port must be a number from 1 to 65535");
        out->port = (int)port;
    }
    return out->host ? 0 : url_fail(out, err, err_size, "out of memory");
}

int config_url_parse(const char *text, config_url_t *out, char *err, size_t err_size)
{
    static const char *schemes[] = {"redis", "rediss", "mysql", "mariadb", "http", "https"};
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return url_fail(out, err, err_size, "URL is empty");
    const char *sep = strstr(text, "://");
    if (!sep)
        return url_fail(out, err, err_size, "URL must start with scheme://");
    out->scheme = strndup(text, (size_t)(sep - text));
    bool known = false;
    for (size_t i = 0; out->scheme && i < sizeof schemes / sizeof *schemes; i++)
        known |= strcasecmp(out->scheme, schemes[i]) == 0;
    if (!known)
        return url_fail(out, err, err_size,
                        "unsupported scheme (redis, rediss, mysql, mariadb, http, https)");
    const char *auth = sep + 3;
    const char *slash = strchr(auth, '/');
    const char *end_authority = slash ? slash : auth + strlen(auth);
    const char *at = NULL;
    for (const char *p = auth; p < end_authority; p++)
        if (*p == '@')
            at = p;
    const char *hostpart = auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t user_len = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
        if (user_len > 0 && !(out->user = decode_part(auth, user_len)))
            return url_fail(out, err, err_size, "bad percent-escape in user");
        if (colon && !(out->password = decode_part(colon + 1, (size_t)(at - colon - 1))))
            return url_fail(out, err, err_size, "bad percent-escape in password");
        hostpart = at + 1;
    }
    if (parse_host_port(hostpart, (size_t)(end_authority - hostpart), out, err, err_size) != 0)
        return -1;
    if (slash && slash[1]) {
        out->path = strdup(slash + 1);
        if (!out->path)
            return url_fail(out, err, err_size, "out of memory");
    }
    return 0;
}
