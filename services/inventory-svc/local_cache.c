/*
 * local_cache.c — short-lived in-process answers (local_cache.h): a fixed
 * table of slots, a key's slot chosen by its hash; a newer answer for
 * another key that lands in the same slot replaces the older one.
 */
#include "local_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    pthread_mutex_t mu;
    char *key;
    char *body;
    size_t len, cap;
    uint64_t gen;
    int64_t expires_ms;
} slot_t;

struct local_cache {
    int ttl_ms;
    size_t mask;
    const clock_source_t *clk;
    _Atomic uint64_t gen;
    slot_t *slots;
};

/* FNV-1a: the keys are short and this is one pass over them. */
static uint64_t hash_of(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

local_cache_t *lc_new(int ttl_ms, size_t slots, const clock_source_t *clk)
{
    if (ttl_ms <= 0)
        return NULL;
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    local_cache_t *lc = calloc(1, sizeof *lc);
    if (!lc)
        return NULL;
    lc->slots = calloc(n, sizeof *lc->slots);
    if (!lc->slots) {
        free(lc);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        pthread_mutex_init(&lc->slots[i].mu, NULL);
    lc->ttl_ms = ttl_ms;
    lc->mask = n - 1;
    lc->clk = clk ? clk : clock_source_system();
    atomic_init(&lc->gen, 1);
    return lc;
}

void lc_free(local_cache_t *lc)
{
    if (!lc)
        return;
    for (size_t i = 0; i <= lc->mask; i++) {
        pthread_mutex_destroy(&lc->slots[i].mu);
        free(lc->slots[i].key);
        free(lc->slots[i].body);
    }
    free(lc->slots);
    free(lc);
}

uint64_t lc_generation(local_cache_t *lc)
{
    return lc ? atomic_load(&lc->gen) : 0;
}

void lc_invalidate(local_cache_t *lc)
{
    if (lc)
        atomic_fetch_add(&lc->gen, 1);
}

bool lc_get(local_cache_t *lc, const char *key, char **body, size_t *len)
{
    if (!lc)
        return false;
    slot_t *s = &lc->slots[hash_of(key) & lc->mask];
    bool hit = false;
    pthread_mutex_lock(&s->mu);
    /* the generation is read after the lock: an invalidation that finished
     * before this call always wins */
    if (s->key && s->gen == atomic_load(&lc->gen) &&
        lc->clk->now_ms(lc->clk->ctx) < s->expires_ms && strcmp(s->key, key) == 0) {
        *body = malloc(s->len ? s->len : 1);
        if (*body) {
            memcpy(*body, s->body, s->len);
            *len = s->len;
            hit = true;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

void lc_put(local_cache_t *lc, const char *key, uint64_t gen, const char *body, size_t len)
{
    if (!lc || len == 0 || gen != atomic_load(&lc->gen))
        return;
    slot_t *s = &lc->slots[hash_of(key) & lc->mask];
    pthread_mutex_lock(&s->mu);
    if (!s->key || strcmp(s->key, key) != 0) {
        char *k = strdup(key);
        if (!k)
            goto out;
        free(s->key);
        s->key = k;
        s->gen = 0; /* not an answer for the new key until its body is in */
    }
    if (len > s->cap) {
        char *b = realloc(s->body, len);
        if (!b) {
            s->gen = 0;
            goto out;
        }
        s->body = b;
        s->cap = len;
    }
    memcpy(s->body, body, len);
    s->len = len;
    s->gen = gen; /* lc_get compares it with the generation then current */
    s->expires_ms = lc->clk->now_ms(lc->clk->ctx) + lc->ttl_ms;
out:
    pthread_mutex_unlock(&s->mu);
}
