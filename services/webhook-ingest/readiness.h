/*
 * readiness.h — /readyz for webhook-ingest: ready while the Kafka cluster
 * answers metadata requests (Redis is optional, so it is not checked).
 * The answer is cached for READINESS_CACHE_MS so frequent probes do not open
 * a Kafka connection each.
 *
 * Usage:
 *     readiness_t *r = readiness_new(brokers);
 *     service_add_ready_check(svc, "kafka", readiness_kafka_check, r);
 *     readiness_free(r);
 *
 * Thread-safety: the check may run on several HTTP threads; one mutex guards
 * the cache and serialises the probe. Ownership: brokers is copied.
 */
#ifndef WEBHOOK_READINESS_H
#define WEBHOOK_READINESS_H

#include <stdbool.h>

#define READINESS_CACHE_MS 5000
#define READINESS_PROBE_TIMEOUT_MS 2000

typedef struct readiness readiness_t;

readiness_t *readiness_new(const char *brokers); /* NULL on OOM */
void readiness_free(readiness_t *r);             /* accepts NULL */

/* A service_check_fn: true while Kafka answers metadata. */
bool readiness_kafka_check(void *ctx, const char **reason);

#endif /* WEBHOOK_READINESS_H */
