/*
 * readiness.c — cached Kafka metadata probe (see readiness.h).
 */
#include "readiness.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/kafka.h"

struct readiness {
    char *brokers;
    pthread_mutex_t lock; /* guards the three fields below */
    int64_t checked_at_ms;
    bool has_result;
    bool ready;
};

readiness_t *readiness_new(const char *brokers)
{
    readiness_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->brokers = strdup(brokers);
    if (!r->brokers) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void readiness_free(readiness_t *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r->brokers);
    free(r);
}

bool readiness_kafka_check(void *ctx, const char **reason)
{
    readiness_t *r = ctx;
    pthread_mutex_lock(&r->lock);
    int64_t now = clock_now_ms();
    if (!r->has_result || now - r->checked_at_ms >= READINESS_CACHE_MS) {
        char err[256];
        r->ready = kafka_admin_wait_ready(r->brokers, NULL, READINESS_PROBE_TIMEOUT_MS, err,
                                          sizeof err) == 0;
        r->checked_at_ms = clock_now_ms();
        r->has_result = true;
    }
    bool ready = r->ready;
    pthread_mutex_unlock(&r->lock);
    if (!ready && reason)
        *reason = "kafka unreachable (no metadata)";
    return ready;
}
