/*
 * idempotency.c — the sandbox's idempotency-key table (see idempotency.h):
 * a chained hash table of records guarded by one mutex, pruned of expired
 * records whenever it has grown by a bucket count since the last sweep.
 */
#include "idempotency.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

#define BUCKETS 1024

typedef struct record {
    struct record *next;
    char *key;
    char *fingerprint;
    bool done; /* false while the first request runs */
    int status;
    char *body;
    size_t body_len;
    int64_t created_ms; /* wall clock */
} record_t;

struct idem_store {
    pthread_mutex_t mu; /* guards everything below */
    record_t *buckets[BUCKETS];
    size_t count;
    size_t count_at_sweep;
    int64_t ttl_ms;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void record_free(record_t *r)
{
    free(r->key);
    free(r->fingerprint);
    free(r->body);
    free(r);
}

idem_store_t *idem_store_new(int64_t ttl_s)
{
    idem_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    s->ttl_ms = (ttl_s > 0 ? ttl_s : IDEM_DEFAULT_TTL_S) * 1000;
    return s;
}

/* Drops every record, or only expired finished ones. Caller holds the lock. */
static void sweep(idem_store_t *s, bool all, int64_t now_ms)
{
    for (size_t b = 0; b < BUCKETS; b++) {
        record_t **link = &s->buckets[b];
        while (*link) {
            record_t *r = *link;
            if (all || (r->done && now_ms - r->created_ms >= s->ttl_ms)) {
                *link = r->next;
                record_free(r);
                s->count--;
            } else {
                link = &r->next;
            }
        }
    }
    s->count_at_sweep = s->count;
}

void idem_store_free(idem_store_t *s)
{
    if (!s)
        return;
    sweep(s, true, 0);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The record for key and the link that points at it. Caller holds the lock. */
static record_t **find(idem_store_t *s, const char *key)
{
    record_t **link = &s->buckets[hash(key) % BUCKETS];
    while (*link && strcmp((*link)->key, key) != 0)
        link = &(*link)->next;
    return link;
}

idem_outcome_t idem_begin(idem_store_t *s, const char *key, const char *fingerprint,
                          idem_result_t *out)
{
    memset(out, 0, sizeof *out);
    int64_t now = clock_wall_ms();
    idem_outcome_t outcome = IDEM_NEW;
    pthread_mutex_lock(&s->mu);
    if (s->count >= s->count_at_sweep + BUCKETS)
        sweep(s, false, now);
    record_t **link = find(s, key);
    record_t *r = *link;
    if (r && r->done && now - r->created_ms >= s->ttl_ms) { /* pruned: start afresh */
        *link = r->next;
        record_free(r);
        s->count--;
        r = NULL;
        link = find(s, key);
    }
    if (r && strcmp(r->fingerprint, fingerprint) != 0) {
        outcome = IDEM_MISMATCH;
    } else if (r && !r->done) {
        outcome = IDEM_IN_FLIGHT;
    } else if (r) {
        out->body = malloc(r->body_len + 1);
        if (out->body) {
            memcpy(out->body, r->body, r->body_len + 1);
            out->body_len = r->body_len;
            out->status = r->status;
            outcome = IDEM_REPLAY;
        } else {
            outcome = IDEM_ERROR;
        }
    } else {
        r = calloc(1, sizeof *r);
        if (r && (r->key = strdup(key)) && (r->fingerprint = strdup(fingerprint))) {
            r->created_ms = now;
            *link = r;
            s->count++;
        } else {
            if (r)
                record_free(r);
            outcome = IDEM_ERROR;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return outcome;
}

void idem_finish(idem_store_t *s, const char *key, int status, const char *body, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    pthread_mutex_lock(&s->mu);
    record_t **link = find(s, key);
    record_t *r = *link;
    if (r && !r->done && copy) {
        r->done = true;
        r->status = status;
        r->body = copy;
        r->body_len = len;
        r->created_ms = clock_wall_ms();
        copy = NULL;
    } else if (r && !r->done) { /* out of memory: forget rather than replay garbage */
        *link = r->next;
        record_free(r);
        s->count--;
    }
    pthread_mutex_unlock(&s->mu);
    free(copy);
}

void idem_abandon(idem_store_t *s, const char *key)
{
    pthread_mutex_lock(&s->mu);
    record_t **link = find(s, key);
    if (*link && !(*link)->done) {
        record_t *r = *link;
        *link = r->next;
        record_free(r);
        s->count--;
    }
    pthread_mutex_unlock(&s->mu);
}

size_t idem_count(idem_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->count;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void idem_clear(idem_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    sweep(s, true, 0);
    pthread_mutex_unlock(&s->mu);
}

void idem_result_clear(idem_result_t *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}
