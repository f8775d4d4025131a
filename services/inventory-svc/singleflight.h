/*
 * singleflight.h — in-process coalescing of identical cache fills (against a
 * cache stampede): while one thread (the leader) fetches a key range from the
 * PMS, every other thread asking for the same key joins its call and waits
 * for its result instead of making a PMS call of its own. Across replicas a
 * short Redis lock does the same job (fetch.c).
 *
 * Usage:
 *     bool leader;
 *     sf_call_t *call = sf_join(group, "inv:hotel_123:room_456:2025-11-01:2025-11-30", &leader);
 *     if (leader) sf_complete(group, call, result, free_result);   // result now owned by call
 *     const my_result_t *r = sf_wait(call);                        // leader returns at once
 *     ... copy what you need from r ...
 *     sf_release(group, call);                                     // last one frees the result
 *
 * The leader MUST call sf_complete exactly once on every path. Results are
 * immutable once published, so waiters read them without a lock.
 * Thread-safety: all functions are thread-safe (one mutex and condition
 * variable per group). Ownership: the group owns calls; a call owns its result.
 */
#ifndef INVENTORY_SINGLEFLIGHT_H
#define INVENTORY_SINGLEFLIGHT_H

#include <stdbool.h>

typedef struct sf_group sf_group_t;
typedef struct sf_call sf_call_t;

sf_group_t *sf_group_new(void);
/* Frees the group; every call must have been released. Accepts NULL. */
void sf_group_free(sf_group_t *g);

/* The call in flight for `key`, or a new one whose leader is the caller
 * (*leader = true). The caller holds a reference until sf_release. NULL on OOM. */
sf_call_t *sf_join(sf_group_t *g, const char *key, bool *leader);
/* Publishes the leader's result and wakes the waiters; later joiners start a
 * new call. free_fn (may be NULL) frees the result with the last reference. */
void sf_complete(sf_group_t *g, sf_call_t *call, void *result, void (*free_fn)(void *));
/* Blocks until the call is complete; returns its result. */
void *sf_wait(sf_group_t *g, sf_call_t *call);
/* How many callers joined the call (the leader included) so far. */
int sf_joined(sf_group_t *g, sf_call_t *call);
void sf_release(sf_group_t *g, sf_call_t *call);

#endif /* INVENTORY_SINGLEFLIGHT_H */
