/*
 * sweeper.c — periodic hold expiry (see sweeper.h).
 */
#include "sweeper.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

struct sweeper {
    ledger_t *ledger;
    int interval_ms;
    pthread_mutex_t lock; /* guards stopping */
    pthread_cond_t wake;
    bool stopping;
    pthread_t thread;
};

static void *sweep_loop(void *arg)
{
    sweeper_t *sw = arg;
    pthread_mutex_lock(&sw->lock);
    while (!sw->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t ns = until.tv_nsec + (int64_t)sw->interval_ms * NS_PER_MS;
        until.tv_sec += (time_t)(ns / NS_PER_S);
        until.tv_nsec = (long)(ns % NS_PER_S);
        pthread_cond_timedwait(&sw->wake, &sw->lock, &until);
        if (sw->stopping)
            break;
        pthread_mutex_unlock(&sw->lock);
        int expired = ledger_expire_due(sw->ledger);
        if (expired > 0)
            log_info("expired %d hold(s)", expired);
        pthread_mutex_lock(&sw->lock);
    }
    pthread_mutex_unlock(&sw->lock);
    return NULL;
}

sweeper_t *sweeper_start(ledger_t *ledger, int interval_ms)
{
    sweeper_t *sw = calloc(1, sizeof *sw);
    if (!sw)
        return NULL;
    sw->ledger = ledger;
    sw->interval_ms = interval_ms > 0 ? interval_ms : SWEEPER_DEFAULT_INTERVAL_MS;
    pthread_mutex_init(&sw->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sw->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&sw->thread, NULL, sweep_loop, sw) != 0) {
        pthread_cond_destroy(&sw->wake);
        pthread_mutex_destroy(&sw->lock);
        free(sw);
        return NULL;
    }
    return sw;
}

void sweeper_stop(sweeper_t *sweeper)
{
    if (!sweeper)
        return;
    pthread_mutex_lock(&sweeper->lock);
    sweeper->stopping = true;
    pthread_cond_signal(&sweeper->wake);
    pthread_mutex_unlock(&sweeper->lock);
    pthread_join(sweeper->thread, NULL);
    pthread_cond_destroy(&sweeper->wake);
    pthread_mutex_destroy(&sweeper->lock);
    free(sweeper);
}
