/*
 * compensation_api.h — POST /internal/compensations/:compensationId/retry
 * (SERVICE; proto/openapi.yaml): the admin console's "retry now" for a
 * pending compensation task. The task is made due at once (a task another
 * replica is running keeps its lease), then the handler waits a few seconds
 * for the worker's next attempt and answers the task as it is then:
 * {compensationId, state, attempts, lastError}. 404 NOT_FOUND for no such
 * task, 409 COMPENSATION_DONE for a finished one. inventory-svc checks the
 * person and writes the audit row.
 *
 * Thread-safety: re-entrant (pooled connections).
 */
#ifndef BOOKING_COMPENSATION_API_H
#define BOOKING_COMPENSATION_API_H

#include "common/http_server.h"

/* How long the answer waits for the worker's attempt. */
#define COMPENSATION_RETRY_WAIT_MS 5000

int compensation_retry_internal(http_request_t *req, void *app);

#endif /* BOOKING_COMPENSATION_API_H */
