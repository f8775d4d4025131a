/*
 * settings.h — the poller's own configuration (POLLER_* environment variables,
 * listed in the poller's README), read once at start-up through common/config.h
 * so a malformed value stops the service with the variable named.
 *
 * Usage:
 *     poller_settings_t s;
 *     poller_settings_read(service_config(svc), &s);   // errors land in the config
 *     if (config_error_count(cfg) > 0) → the runtime exits 2
 *
 * Thread-safety: read once, then only read. Ownership: plain values.
 */
#ifndef POLLER_SETTINGS_H
#define POLLER_SETTINGS_H

#include "common/config.h"

#define POLLER_DEFAULT_SYNC_DAYS 30
#define POLLER_DEFAULT_MAX_FAILURES 5
#define POLLER_DEFAULT_INTERVAL_S 300
#define POLLER_DEFAULT_TICK_MS 1000
#define POLLER_INSTANCE_ID_MAX 128

typedef struct poller_settings {
    int sync_days;          /* a job covers today .. today + sync_days (UTC dates) */
    int max_failures;       /* consecutive failed syncs that stop a hotel */
    int default_interval_s; /* for a pms_config row whose interval is 0 */
    int tick_ms;            /* longest the scheduler sleeps between looks at the table */
    char instance_id[POLLER_INSTANCE_ID_MAX]; /* lease owner name: hostname-pid by default */
} poller_settings_t;

/* Fills *out from cfg (defaults above; the instance id defaults to
 * "<hostname>-<pid>"). Malformed values are recorded in cfg. */
void poller_settings_read(config_t *cfg, poller_settings_t *out);

/* The help lines for `poller --help`. */
extern const char POLLER_SETTINGS_HELP[];

#endif /* POLLER_SETTINGS_H */
