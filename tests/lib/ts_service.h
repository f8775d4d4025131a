/*
 * ts_service.h — the repository's services (booking-svc, inventory-svc,
 * webhook-ingest, poller) run side by side by one integration test on the
 * test's own infrastructure: each its own process on a port, given the
 * settings all of them share plus its own, logging to
 * <build>/Testing/<test>.<service>.log; ready when /readyz answers, and
 * stopped with SIGTERM and a clean exit asserted.
 *
 *     static const char *const run_env[] = {brokers_env, prefix_env, redis_env, db_env,
 *                                           "LOG_LEVEL=info", TS_SERVICE_TOKEN_ENV, NULL};
 *     static const ts_service_run_t run = {"it_example", run_env};
 *     ts_service_t wh;
 *     const char *wh_env[] = {"PMS_WEBHOOK_SECRET=whsec_example", NULL};
 *     ts_service_start(&wh, &run, "webhook-ingest", "WEBHOOK_INGEST_PORT", 0, wh_env);
 *     ... wh.port; name wh.log in failure messages ...
 *     ts_service_stop(&wh);
 *
 * Header-only (static inline), like the fixtures. These call check's
 * assertions: use them inside tests and fixtures only.
 */
#ifndef TS_SERVICE_H
#define TS_SERVICE_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>

#include "testsupport.h"

#define TS_SERVICE_MAX_ENV 40
#define TS_SERVICE_READY_TIMEOUT_MS 30000
#define TS_SERVICE_STOP_TIMEOUT_MS 15000

/* What every service of a test run is given. */
typedef struct ts_service_run {
    const char *test;       /* names the logs: Testing/<test>.<service>.log */
    const char *const *env; /* "NAME=value", NULL-terminated, may be NULL */
} ts_service_run_t;

typedef struct ts_service {
    ts_proc_t *proc;
    int port;
    char log[256]; /* the service's output, named in failure messages */
} ts_service_t;

/* Starts <build>/services/<name>/<name> with <port_env>=<port> (0: a free
 * one, in s->port either way), then run->env, then `extra` ("NAME=value",
 * NULL-terminated, may be NULL); later entries win. A log left by an
 * earlier run is removed first. Waits up to TS_SERVICE_READY_TIMEOUT_MS for
 * /readyz. */
static inline void ts_service_start(ts_service_t *s, const ts_service_run_t *run, const char *name,
                                    const char *port_env, int port, const char *const *extra)
{
    const char *env[TS_SERVICE_MAX_ENV];
    size_t n = 0;
    char port_entry[64];
    s->port = port ? port : ts_free_port();
    snprintf(port_entry, sizeof port_entry, "%s=%d", port_env, s->port);
    env[n++] = port_entry;
    const char *const *lists[] = {run->env, extra};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            ck_assert_msg(n < TS_SERVICE_MAX_ENV - 1, "too many environment entries for %s", name);
            env[n++] = lists[l][i];
        }
    }
    env[n] = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/services/%s/%s", LODGING_BINARY_DIR, name, name);
    snprintf(s->log, sizeof s->log, "%s/Testing/%s.%s.log", LODGING_BINARY_DIR, run->test, name);
    remove(s->log);
    s->proc = ts_proc_start(path, env, s->log);
    ck_assert_msg(s->proc != NULL, "cannot start %s", path);
    ck_assert_msg(ts_http_wait_ok(s->port, "/readyz", TS_SERVICE_READY_TIMEOUT_MS),
                  "%s not ready (log: %s)", name, s->log);
}

/* SIGTERM; asserts it exits 0 within TS_SERVICE_STOP_TIMEOUT_MS. */
static inline void ts_service_stop(ts_service_t *s)
{
    int status = ts_proc_stop(s->proc, 0, TS_SERVICE_STOP_TIMEOUT_MS);
    s->proc = NULL;
    ck_assert_msg(status == 0, "service exited with status %d (log: %s)", status, s->log);
}

#endif /* TS_SERVICE_H */
