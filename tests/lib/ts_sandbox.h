/*
 * ts_sandbox.h — a vendor sandbox (pms-sandbox, pay-sandbox) run by a test:
 * its own process on a free port, and a client for its /_sandbox/ control API.
 *
 *     ts_sandbox_t sb;
 *     const char *env[] = {"PAY_SANDBOX_AUTH_TTL_SECONDS=1", NULL};
 *     ts_sandbox_start(&sb, "pay-sandbox", "PAY_SANDBOX_PORT", env);   // fails the test if it
 * won't start ts_sandbox_fault(&sb, "{\"op\":\"*\",\"status\":500}");
 *     ... connect a connector to sb.base_url ...
 *     ts_sandbox_stop(&sb);                                             // asserts a clean exit
 *
 * These call check's assertions: use them inside tests and fixtures only.
 * Ownership: the struct is the caller's; stop releases what start made.
 */
#ifndef TS_SANDBOX_H
#define TS_SANDBOX_H

#include <json-c/json.h>

#include "common/http_client.h"
#include "testsupport.h"

#define TS_SANDBOX_START_TIMEOUT_MS 15000

typedef struct ts_sandbox {
    ts_proc_t *proc;
    int port;
    char base_url[64];
    char log_path[256]; /* the sandbox's output, named in failure messages */
    http_client_t *control;
} ts_sandbox_t;

/* Starts <build>/sandbox/<name>/<name> with <port_env>=<a free port>,
 * LOG_LEVEL=warn and `extra_env` ("NAME=value", NULL-terminated, may be NULL;
 * later entries win), and waits for /healthz. */
void ts_sandbox_start(ts_sandbox_t *sb, const char *name, const char *port_env,
                      const char *const *extra_env);
/* SIGTERM; asserts it exits 0 within 10 s. */
void ts_sandbox_stop(ts_sandbox_t *sb);

/* POSTs JSON to a control path; the status (0 when no answer). */
int ts_sandbox_post(ts_sandbox_t *sb, const char *path, const char *json);
/* GETs a control path; asserts 200 and a JSON body, which the caller puts. */
struct json_object *ts_sandbox_get_json(ts_sandbox_t *sb, const char *path,
                                        const char *const *query);
/* Adds a fault (sandbox/lib/sandbox_faults.h); asserts it was accepted. */
void ts_sandbox_fault(ts_sandbox_t *sb, const char *json);
/* Clears every fault and "down"; asserts it was done. */
void ts_sandbox_clear_faults(ts_sandbox_t *sb);
/* How often the faults of op (before and afterCommit) have acted so far. */
int ts_sandbox_fault_hits(ts_sandbox_t *sb, const char *op);

#endif /* TS_SANDBOX_H */
