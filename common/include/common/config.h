/*
 * config.h — configuration from the environment, with typed getters and
 * defaults, that fails loudly on malformed values.
 *
 * A config_t reads the process environment (or a test-supplied lookup). Every
 * getter returns the default when the variable is unset or empty, the parsed
 * value when it is well-formed, and otherwise records an error naming the
 * variable and what was wrong, and returns the default. After reading
 * everything, a service checks config_error_count() once and exits with all
 * errors listed, rather than failing on the first one or running on a typo.
 *
 * Usage:
 *     config_t *cfg = config_new(NULL);                      // process env
 *     int port = (int)config_get_int(cfg, "BOOKING_SVC_PORT", 8081, 1, 65535);
 *     const char *brokers = config_get_str(cfg, "KAFKA_BROKERS", "127.0.0.1:19092");
 *     if (config_error_count(cfg) > 0) { log_error("%s", config_errors(cfg)); exit(2); }
 *     config_free(cfg);
 *
 * Thread-safety: a config_t is not thread-safe; read configuration at start-up.
 * Ownership: strings returned by config_get_str() are owned by the config_t and
 * live until config_free().
 */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct config config_t;

/* Looks a variable up; returns NULL when unset. Used to inject an environment
 * in tests. `ctx` is passed through. */
typedef const char *(*config_lookup_fn)(const char *name, void *ctx);

/* A config reading through `lookup` (NULL = getenv). Returns NULL on OOM. */
config_t *config_new_with_lookup(config_lookup_fn lookup, void *ctx);
/* Same as config_new_with_lookup(NULL, NULL); `unused` must be NULL. */
config_t *config_new(void *unused);
void config_free(config_t *cfg);

/* String value or `def` (which may be NULL). Never records an error. */
const char *config_get_str(config_t *cfg, const char *name, const char *def);
/* String value that must be set and non-empty; records an error otherwise. */
const char *config_require_str(config_t *cfg, const char *name);
/* Decimal integer within [min, max]; rejects trailing junk, overflow, range. */
long config_get_int(config_t *cfg, const char *name, long def, long min, long max);
/* Decimal number within [min, max]. */
double config_get_double(config_t *cfg, const char *name, double def, double min, double max);
/* true/false, 1/0, yes/no, on/off (case-insensitive). */
bool config_get_bool(config_t *cfg, const char *name, bool def);
/* TCP port 1..65535. */
int config_get_port(config_t *cfg, const char *name, int def);

/* Records a caller-detected error (e.g. a URL that does not parse). */
void config_add_error(config_t *cfg, const char *name, const char *what);
/* How many errors were recorded so far. */
size_t config_error_count(const config_t *cfg);
/* All errors, one per line ("NAME: what"), or "" when none. Owned by cfg. */
const char *config_errors(const config_t *cfg);

/* A parsed redis://[:password@]host[:port][/db] or
 * mysql://user[:password]@host[:port]/database URL. Strings are owned by the
 * struct; release with config_url_clear(). */
typedef struct config_url {
    char *scheme;
    char *user;     /* NULL when absent */
    char *password; /* NULL when absent; never log it */
    char *host;
    int port;   /* 0 when absent */
    char *path; /* without the leading '/', NULL when absent */
} config_url_t;

/* Parses `text` into *out. Returns 0, or -1 with a reason in `err`. */
int config_url_parse(const char *text, config_url_t *out, char *err, size_t err_size);
void config_url_clear(config_url_t *url);

#endif /* COMMON_CONFIG_H */
