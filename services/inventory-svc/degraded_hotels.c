/*
 * degraded_hotels.c — the per-hotel degraded-mode keys (degraded_hotels.h).
 *
 * Writes go key first, index second, and removals key first, index last
 * and only when both keys are gone: a reader may then find an index entry
 * without a key (skipped), never a key the index does not name for long.
 * The index is a set outside the hotels' hash tags, so it is never touched
 * in the same command (or script) as a hotel's keys.
 */
#include "degraded_hotels.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/degraded_keys.h"

/* The stored JSON of a state; the caller owns (frees) it, NULL on OOM. */
static char *state_value(const char *reason, const char *since, const char *source)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "degraded", json_object_new_boolean(true));
    json_object_object_add(o, "reason", json_object_new_string(reason));
    json_object_object_add(o, "since", json_object_new_string(since));
    json_object_object_add(o, "source", json_object_new_string(source));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    char *copy = text ? strdup(text) : NULL;
    json_object_put(o);
    return copy;
}

/* Reads a stored state into reason/since; true when it says degraded. */
static bool state_parse(const char *text, char *reason, size_t reason_size, char *since,
                        size_t since_size)
{
    struct json_object *o = text ? json_tokener_parse(text) : NULL, *v;
    bool on = o && json_object_object_get_ex(o, "degraded", &v) && json_object_get_boolean(v);
    if (on) {
        snprintf(reason, reason_size, "%s",
                 json_object_object_get_ex(o, "reason", &v) ? json_object_get_string(v)
                                                            : "degraded");
        snprintf(since, since_size, "%s",
                 json_object_object_get_ex(o, "since", &v) ? json_object_get_string(v) : "");
    }
    json_object_put(o);
    return on;
}

/* SADD / SREM of the index; 0 or -1. */
static int index_change(redis_client_t *r, const char *op, const char *hotel_id)
{
    const char *argv[] = {op, DEGRADED_HOTELS_INDEX_KEY, hotel_id};
    return redis_command_argv(r, 3, argv, NULL, NULL) == REDIS_CLIENT_OK ? 0 : -1;
}

/* Deletes one key, then drops the hotel from the index when `other` is gone too. */
static int delete_and_unindex(redis_client_t *r, const char *key, const char *other,
                              const char *hotel_id)
{
    const char *keys[] = {key};
    if (redis_del(r, keys, 1, NULL) != REDIS_CLIENT_OK)
        return -1;
    char *v = NULL;
    if (redis_get(r, other, &v) != REDIS_CLIENT_OK)
        return -1;
    int rc = v ? 0 : index_change(r, "SREM", hotel_id);
    free(v);
    return rc;
}

int degraded_hotels_write_auto(redis_client_t *r, const char *hotel_id, const char *reason,
                               const char *since, int ttl_s)
{
    char key[DEGRADED_KEY_MAX];
    char *value = state_value(reason, since, "breaker");
    int rc = value && redis_set_ex(r, degraded_hotel_key(key, sizeof key, hotel_id), value,
                                   ttl_s) == REDIS_CLIENT_OK
                 ? index_change(r, "SADD", hotel_id)
                 : -1;
    free(value);
    return rc;
}

int degraded_hotels_clear_auto(redis_client_t *r, const char *hotel_id)
{
    char key[DEGRADED_KEY_MAX], other[DEGRADED_KEY_MAX];
    return delete_and_unindex(r, degraded_hotel_key(key, sizeof key, hotel_id),
                              degraded_hotel_admin_key(other, sizeof other, hotel_id), hotel_id);
}

int degraded_hotels_set_admin(redis_client_t *r, const char *hotel_id, bool on, const char *reason,
                              const char *since)
{
    char key[DEGRADED_KEY_MAX], other[DEGRADED_KEY_MAX];
    degraded_hotel_admin_key(key, sizeof key, hotel_id);
    if (!on)
        return delete_and_unindex(r, key, degraded_hotel_key(other, sizeof other, hotel_id),
                                  hotel_id);
    char *value = state_value(reason, since, "admin");
    const char *argv[] = {"SET", key, value};
    int rc = value && redis_command_argv(r, 3, argv, NULL, NULL) == REDIS_CLIENT_OK
                 ? index_change(r, "SADD", hotel_id)
                 : -1;
    free(value);
    return rc;
}

int degraded_hotels_read(redis_client_t *r, const char *hotel_id, degraded_hotel_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->hotel, sizeof out->hotel, "%s", hotel_id);
    char auto_key[DEGRADED_KEY_MAX], admin_key[DEGRADED_KEY_MAX];
    const char *keys[] = {degraded_hotel_key(auto_key, sizeof auto_key, hotel_id),
                          degraded_hotel_admin_key(admin_key, sizeof admin_key, hotel_id)};
    char *values[2] = {NULL, NULL};
    if (redis_mget(r, keys, 2, values) != REDIS_CLIENT_OK)
        return -1;
    out->automatic = state_parse(values[0], out->auto_reason, sizeof out->auto_reason,
                                 out->auto_since, sizeof out->auto_since);
    out->admin = state_parse(values[1], out->admin_reason, sizeof out->admin_reason,
                             out->admin_since, sizeof out->admin_since);
    redis_values_free(values, 2);
    return 0;
}

long degraded_hotels_list(redis_client_t *r, degraded_hotel_t *out, size_t max)
{
    char **members = NULL;
    size_t n = 0, found = 0;
    if (redis_smembers(r, DEGRADED_HOTELS_INDEX_KEY, &members, &n) != REDIS_CLIENT_OK)
        return -1;
    long rc = 0;
    for (size_t i = 0; i < n && found < max; i++) {
        if (strlen(members[i]) >= PMS_ID_MAX)
            continue; /* not one of ours */
        if (degraded_hotels_read(r, members[i], &out[found]) != 0) {
            rc = -1;
            break;
        }
        if (out[found].admin || out[found].automatic)
            found++;
    }
    redis_values_free(members, n);
    free(members);
    return rc == 0 ? (long)found : -1;
}
