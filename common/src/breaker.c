/*
 * breaker.c — circuit breaker state machine (see breaker.h).
 */
#include "common/breaker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"

struct breaker {
    char *name;
    breaker_config_t cfg;
    pthread_mutex_t lock; /* guards everything below */
    breaker_state_t state;
    int consecutive_failures;  /* CLOSED */
    int consecutive_successes; /* HALF_OPEN */
    int trials_in_flight;      /* HALF_OPEN */
    int64_t opened_at_ms;
};

static metric_t *state_gauge(void)
{
    return metrics_gauge("circuit_breaker_state",
                         "Circuit breaker state: 0 closed, 1 open, 2 half-open", 1, "breaker");
}

static metric_t *transitions_counter(void)
{
    return metrics_counter("circuit_breaker_transitions_total",
                           "Circuit breaker state changes by target state", 2, "breaker", "to");
}

const char *breaker_state_name(breaker_state_t s)
{
    switch (s) {
    case BREAKER_CLOSED:
        return "closed";
    case BREAKER_OPEN:
        return "open";
    case BREAKER_HALF_OPEN:
        return "half_open";
    }
    return "unknown";
}

breaker_t *breaker_new(const breaker_config_t *cfg)
{
    breaker_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = *cfg;
    b->name = strdup(cfg->name ? cfg->name : "unnamed");
    if (!b->name) {
        free(b);
        return NULL;
    }
    b->cfg.name = b->name;
    if (b->cfg.failure_threshold <= 0)
        b->cfg.failure_threshold = BREAKER_FAILURE_THRESHOLD;
    if (b->cfg.open_ms <= 0)
        b->cfg.open_ms = BREAKER_OPEN_MS;
    if (b->cfg.half_open_successes <= 0)
        b->cfg.half_open_successes = BREAKER_HALF_OPEN_SUCCESSES;
    if (b->cfg.half_open_max_trials <= 0)
        b->cfg.half_open_max_trials = BREAKER_HALF_OPEN_MAX_TRIALS;
    if (!b->cfg.clock)
        b->cfg.clock = clock_source_system();
    pthread_mutex_init(&b->lock, NULL);
    b->state = BREAKER_CLOSED;
    metrics_gauge_set(state_gauge(), BREAKER_CLOSED, b->name);
    return b;
}

void breaker_free(breaker_t *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    free(b->name);
    free(b);
}

const char *breaker_name(const breaker_t *b)
{
    return b->name;
}

static int64_t now_ms(const breaker_t *b)
{
    return b->cfg.clock->now_ms(b->cfg.clock->ctx);
}

/* Moves to `to`; called with the lock held. Returns the previous state. */
static breaker_state_t transition(breaker_t *b, breaker_state_t to)
{
    breaker_state_t from = b->state;
    b->state = to;
    b->consecutive_failures = 0;
    b->consecutive_successes = 0;
    b->trials_in_flight = 0;
    if (to == BREAKER_OPEN)
        b->opened_at_ms = now_ms(b);
    return from;
}

/* After unlocking: metrics and the callback, only when the state changed. */
static void announce(breaker_t *b, breaker_state_t from, breaker_state_t to)
{
    if (from == to)
        return;
    metrics_gauge_set(state_gauge(), to, b->name);
    metrics_counter_inc(transitions_counter(), b->name, breaker_state_name(to));
    if (b->cfg.on_change)
        b->cfg.on_change(b->name, from, to, b->cfg.on_change_ctx);
}

/* OPEN → HALF_OPEN once the open period is over; lock held. */
static breaker_state_t refresh(breaker_t *b, breaker_state_t *from)
{
    *from = b->state;
    if (b->state == BREAKER_OPEN && now_ms(b) - b->opened_at_ms >= b->cfg.open_ms)
        transition(b, BREAKER_HALF_OPEN);
    return b->state;
}

breaker_state_t breaker_state(breaker_t *b)
{
    breaker_state_t from;
    pthread_mutex_lock(&b->lock);
    breaker_state_t s = refresh(b, &from);
    pthread_mutex_unlock(&b->lock);
    announce(b, from, s);
    return s;
}

bool breaker_allow(breaker_t *b)
{
    breaker_state_t from;
    bool allowed = false;
    pthread_mutex_lock(&b->lock);
    breaker_state_t s = refresh(b, &from);
    if (s == BREAKER_CLOSED) {
        allowed = true;
    } else if (s == BREAKER_HALF_OPEN && b->trials_in_flight < b->cfg.half_open_max_trials) {
        b->trials_in_flight++;
        allowed = true;
    }
    pthread_mutex_unlock(&b->lock);
    announce(b, from, s);
    return allowed;
}

void breaker_record_success(breaker_t *b)
{
    breaker_state_t from = BREAKER_CLOSED, to = BREAKER_CLOSED;
    pthread_mutex_lock(&b->lock);
    from = to = b->state;
    if (b->state == BREAKER_CLOSED) {
        b->consecutive_failures = 0;
    } else if (b->state == BREAKER_HALF_OPEN) {
        if (b->trials_in_flight > 0)
            b->trials_in_flight--;
        if (++b->consecutive_successes >= b->cfg.half_open_successes)
            transition(b, to = BREAKER_CLOSED);
    }
    pthread_mutex_unlock(&b->lock);
    announce(b, from, to);
}

void breaker_record_failure(breaker_t *b)
{
    breaker_state_t from = BREAKER_CLOSED, to = BREAKER_CLOSED;
    pthread_mutex_lock(&b->lock);
    from = to = b->state;
    if (b->state == BREAKER_CLOSED) {
        if (++b->consecutive_failures >= b->cfg.failure_threshold)
            transition(b, to = BREAKER_OPEN);
    } else if (b->state == BREAKER_HALF_OPEN) {
        transition(b, to = BREAKER_OPEN);
    }
    pthread_mutex_unlock(&b->lock);
    announce(b, from, to);
}
