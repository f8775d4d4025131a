/*
 * sandbox_faults.h — fault injection shared by the vendor sandboxes
 * (pay-sandbox, pms-sandbox): latency, error statuses, hangs and a whole
 * "vendor down" switch, driven over HTTP so integration tests can make a
 * vendor misbehave on demand and prove the connectors' breaker and retry.
 *
 * Usage (a sandbox):
 *     sandbox_faults_t *faults = sandbox_faults_new();
 *     sandbox_faults_routes(faults, srv);                  // /_sandbox/faults
 *     static int handle_create(http_request_t *req, void *ctx) {
 *         if (sandbox_faults_apply(faults, req, "payment_intents.create", stripe_error, NULL))
 *             return 0;                                     // a fault already answered
 *         ...
 *     }
 *
 * Control API (JSON, on the sandbox's own port):
 *   POST /_sandbox/faults
 *     {"op":"payment_intents.create" | "*", "latencyMs":0, "status":503, "failNext":3,
 *      "retryAfter":2, "hangMs":0, "down":false}
 *     latencyMs   delays every matching request, then it goes on (to a status or normally)
 *     status      400..599: matching requests are answered with it through the vendor's error
 *                 function (with a Retry-After header of retryAfter seconds when given)
 *     failNext    only the next N matching requests are affected, then the fault removes
 *                 itself; without it the fault stays until cleared
 *     hangMs      delays, then answers normally (makes a client with a shorter timeout give up)
 *     down        true: every vendor endpoint answers 503 at once (maintenance) until
 *                 {"down":false} or DELETE; "op" may be left out of a down-only body
 *     afterCommit true: the fault acts once the operation has executed and its answer is
 *                 ready (sandbox_faults_apply_after): latency/hang delay that answer, a
 *                 status replaces it — the vendor did the work, the client hears an error
 *     drop        (afterCommit only) the connection is closed without any answer
 *   An op may have one fault of each kind (before, afterCommit).
 *   One fault per op: posting an op again replaces its fault. A fault for the exact op wins
 *   over the "*" fault. Answers 201 with the stored fault; bad JSON, an unknown field or a
 *   value out of range → 400 {"success":false,"error":...,"errorCode":"VALIDATION_ERROR",
 *   "field":...}.
 *   GET /_sandbox/faults      {"down":false,"faults":[{"op",...,"remaining","hits"}]}
 *   DELETE /_sandbox/faults   clears every fault and "down" ({"cleared":N});
 *                             ?op=<name> clears only that op's fault
 *
 * Thread-safety: every function is thread-safe (one mutex guards the fault
 * table; delays happen outside it). Ownership: the caller owns the
 * sandbox_faults_t and frees it after the HTTP server that routes to it.
 */
#ifndef SANDBOX_FAULTS_H
#define SANDBOX_FAULTS_H

#include <stdbool.h>

#include "common/http_server.h"

#define SANDBOX_FAULTS_MAX 32
#define SANDBOX_FAULT_OP_MAX_LEN 63
#define SANDBOX_FAULT_MAX_DELAY_MS 120000
#define SANDBOX_FAULT_MAX_RETRY_AFTER_S 3600
#define SANDBOX_FAULT_MAX_FAIL_NEXT 1000000
#define SANDBOX_FAULTS_PATH "/_sandbox/faults"

typedef struct sandbox_faults sandbox_faults_t;

sandbox_faults_t *sandbox_faults_new(void);
void sandbox_faults_free(sandbox_faults_t *faults); /* accepts NULL */

/* Writes the vendor's own error body for `status` (a Stripe error object, a
 * Cloudbeds {"success":false,"message":..}). When the fault carries a
 * retryAfter, the Retry-After header has already been added to the response
 * and retry_after_s is that value (otherwise 0). */
typedef void (*sandbox_error_fn)(http_request_t *req, int status, const char *message,
                                 long retry_after_s, void *ctx);

/* Each vendor endpoint calls this with its operation name
 * ("postReservation", "payment_intents.create") before doing the
 * operation's work (first thing, or after its own auth and idempotency
 * checks when faults should act like a slow vendor holding the request):
 * applies injected latency and hangs; returns true when a fault response was
 * already sent (the handler must then return 0 without responding). */
bool sandbox_faults_apply(sandbox_faults_t *faults, http_request_t *req, const char *op,
                          sandbox_error_fn fn, void *ctx);

/* The afterCommit faults of `op`, called by a handler whose operation has
 * executed, before it sends the answer: true when a fault answered (or
 * dropped the connection) instead; false to send the real answer (possibly
 * late). Sandboxes that call it document which operations honour it. */
bool sandbox_faults_apply_after(sandbox_faults_t *faults, http_request_t *req, const char *op,
                                sandbox_error_fn fn, void *ctx);

/* Registers GET/POST/DELETE /_sandbox/faults on the server. 0 or -1. */
int sandbox_faults_routes(sandbox_faults_t *faults, http_server_t *srv);

/* Removes every fault and turns "down" off (sandbox reset). */
void sandbox_faults_clear(sandbox_faults_t *faults);

#endif /* SANDBOX_FAULTS_H */
