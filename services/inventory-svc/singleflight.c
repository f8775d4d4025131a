/*
 * singleflight.c — in-process coalescing of identical fetches (singleflight.h).
 */
#include "singleflight.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sf_call {
    char *key;
    bool done;
    bool in_table; /* still joinable */
    int refs;      /* holders: leader + waiters */
    int joined;
    void *result;
    void (*free_fn)(void *);
    struct sf_call *next;
};

struct sf_group {
    pthread_mutex_t mu; /* guards calls and every call's fields */
    pthread_cond_t done;
    sf_call_t *calls; /* joinable calls */
};

sf_group_t *sf_group_new(void)
{
    sf_group_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->done, NULL);
    return g;
}

void sf_group_free(sf_group_t *g)
{
    if (!g)
        return;
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->done);
    free(g);
}

sf_call_t *sf_join(sf_group_t *g, const char *key, bool *leader)
{
    pthread_mutex_lock(&g->mu);
    sf_call_t *c = g->calls;
    while (c && strcmp(c->key, key) != 0)
        c = c->next;
    if (c) {
        c->refs++;
        c->joined++;
        *leader = false;
    } else if ((c = calloc(1, sizeof *c)) && (c->key = strdup(key))) {
        c->refs = 1;
        c->joined = 1;
        c->in_table = true;
        c->next = g->calls;
        g->calls = c;
        *leader = true;
    } else {
        free(c);
        c = NULL;
    }
    pthread_mutex_unlock(&g->mu);
    return c;
}

/* Unlinks c from the joinable list (caller holds the lock). */
static void unlink_call(sf_group_t *g, sf_call_t *c)
{
    for (sf_call_t **p = &g->calls; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    c->in_table = false;
}

void sf_complete(sf_group_t *g, sf_call_t *call, void *result, void (*free_fn)(void *))
{
    pthread_mutex_lock(&g->mu);
    call->result = result;
    call->free_fn = free_fn;
    call->done = true;
    unlink_call(g, call);
    pthread_cond_broadcast(&g->done);
    pthread_mutex_unlock(&g->mu);
}

void *sf_wait(sf_group_t *g, sf_call_t *call)
{
    pthread_mutex_lock(&g->mu);
    while (!call->done)
        pthread_cond_wait(&g->done, &g->mu);
    void *r = call->result;
    pthread_mutex_unlock(&g->mu);
    return r;
}

int sf_joined(sf_group_t *g, sf_call_t *call)
{
    pthread_mutex_lock(&g->mu);
    int n = call->joined;
    pthread_mutex_unlock(&g->mu);
    return n;
}

void sf_release(sf_group_t *g, sf_call_t *call)
{
    if (!call)
        return;
    pthread_mutex_lock(&g->mu);
    bool last = --call->refs == 0;
    if (last && call->in_table)
        unlink_call(g, call);
    pthread_mutex_unlock(&g->mu);
    if (last) {
        if (call->free_fn)
            call->free_fn(call->result);
        free(call->key);
        free(call);
    }
}
