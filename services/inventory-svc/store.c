/*
 * store.c — MariaDB upserts of room_inventory, rate_plan and room_types (store.h).
 */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/money.h"

struct inv_store {
    pthread_mutex_t mu; /* guards pool creation */
    char *url;
    size_t pool_size;
    db_pool_t *pool;
};

inv_store_t *inv_store_new(const char *mysql_url, size_t pool_size)
{
    inv_store_t *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(mysql_url))) {
        free(s);
        return NULL;
    }
    s->pool_size = pool_size ? pool_size : 1;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void inv_store_free(inv_store_t *s)
{
    if (!s)
        return;
    db_pool_free(s->pool);
    pthread_mutex_destroy(&s->mu);
    free(s->url);
    free(s);
}

db_pool_t *inv_store_pool(inv_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    if (!s->pool) {
        char err[256];
        s->pool = db_pool_new(s->url, s->pool_size, err, sizeof err);
        if (!s->pool)
            log_kv(LOG_LEVEL_WARN, "MariaDB unavailable", "error", err, NULL);
    }
    db_pool_t *p = s->pool;
    pthread_mutex_unlock(&s->mu);
    return p;
}

/* Runs `row(i)` statements for n nights in one transaction. */
typedef db_err_t (*row_fn)(db_t *db, size_t i, void *ctx);

static int in_transaction(inv_store_t *s, size_t n, row_fn row, void *ctx, const char *what)
{
    db_pool_t *pool = inv_store_pool(s);
    if (!pool)
        return -1;
    db_t *db = db_pool_acquire(pool);
    db_err_t e = db_begin(db);
    for (size_t i = 0; e == DB_OK && i < n; i++)
        e = row(db, i, ctx);
    if (e == DB_OK)
        e = db_commit(db);
    if (e != DB_OK) {
        log_kv(LOG_LEVEL_ERROR, "database upsert failed", "table", what, "error", db_error(db),
               NULL);
        db_rollback(db);
    }
    db_pool_release(pool, db);
    return e == DB_OK ? 0 : -1;
}

typedef struct nights_ctx {
    const char *vendor, *hotel_id, *room_type_id;
    const pms_nights_t *nights;
} nights_ctx_t;

static db_err_t inventory_row(db_t *db, size_t i, void *arg)
{
    nights_ctx_t *c = arg;
    const pms_night_t *n = &c->nights->items[i];
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(n->date, day);
    /* without a count (count_known FALSE) available is "bookable" 1 / 0 */
    int available = n->available < 0 ? 0 : n->count_unknown && n->available > 1 ? 1 : n->available;
    int total = n->count_unknown ? available : n->total > available ? n->total : available;
    db_param_t p[] = {DB_STR(c->vendor), DB_STR(c->hotel_id), DB_STR(c->room_type_id),
                      DB_STR(day),       DB_INT(available),   DB_INT(total),
                      DB_INT(n->count_unknown ? 0 : 1)};
    return db_exec(db,
                   "INSERT INTO room_inventory (vendor, hotel_id, room_type_id, stay_date, "
                   "available, total, count_known) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY "
                   "UPDATE available = VALUES(available), total = VALUES(total), "
                   "count_known = VALUES(count_known), synced_at = CURRENT_TIMESTAMP(3)",
                   p, 7, NULL, NULL);
}

int inv_store_upsert_inventory(inv_store_t *s, const char *vendor, const char *hotel_id,
                               const char *room_type_id, const pms_nights_t *nights)
{
    nights_ctx_t c = {vendor, hotel_id, room_type_id, nights};
    return in_transaction(s, nights->count, inventory_row, &c, "room_inventory");
}

static db_err_t rate_row(db_t *db, size_t i, void *arg)
{
    nights_ctx_t *c = arg;
    const pms_night_t *n = &c->nights->items[i];
    char day[DATES_ISO_LEN + 1], price[32];
    dates_format_iso(n->date, day);
    if (money_to_decimal_text(n->rate, c->nights->currency, price, sizeof price) != 0)
        return DB_ERR_INVALID;
    db_param_t p[] = {DB_STR(c->vendor),
                      DB_STR(c->hotel_id),
                      DB_STR(c->room_type_id),
                      DB_STR(INV_BASE_RATE_PLAN_ID),
                      DB_STR(day),
                      DB_STR(price),
                      DB_STR(c->nights->currency)};
    return db_exec(db,
                   "INSERT INTO rate_plan (vendor, hotel_id, room_type_id, rate_plan_id, "
                   "stay_date, price, currency) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY "
                   "UPDATE price = VALUES(price), currency = VALUES(currency), "
                   "synced_at = CURRENT_TIMESTAMP(3)",
                   p, 7, NULL, NULL);
}

int inv_store_upsert_rates(inv_store_t *s, const char *vendor, const char *hotel_id,
                           const char *room_type_id, const pms_nights_t *nights)
{
    nights_ctx_t c = {vendor, hotel_id, room_type_id, nights};
    return in_transaction(s, nights->count, rate_row, &c, "rate_plan");
}

typedef struct plans_ctx {
    const char *vendor, *hotel_id, *room_type_id;
    const pms_rate_plans_t *plans;
} plans_ctx_t;

/* Row i: plan i / nights, night i % nights, its restrictions in `rules`. */
static db_err_t plan_row(db_t *db, size_t i, void *arg)
{
    plans_ctx_t *c = arg;
    size_t nights = (size_t)c->plans->nights;
    const pms_rate_plan_t *plan = &c->plans->items[i / nights];
    const pms_plan_night_t *n = &plan->nights[i % nights];
    char day[DATES_ISO_LEN + 1], price[32], rules[256];
    dates_format_iso(c->plans->first + (dates_day_t)(i % nights), day);
    if (money_to_decimal_text(n->rate, c->plans->currency, price, sizeof price) != 0)
        return DB_ERR_INVALID;
    /* a night the PMS did not price under the plan says so (priced false):
     * its row keeps the price last known, a new row's 0 stands for none */
    snprintf(rules, sizeof rules,
             "{\"closed\":%s,\"closedToArrival\":%s,\"closedToDeparture\":%s,\"minLos\":%d,"
             "\"maxLos\":%d%s}",
             n->rules.closed ? "true" : "false", n->rules.closed_to_arrival ? "true" : "false",
             n->rules.closed_to_departure ? "true" : "false", n->rules.min_los, n->rules.max_los,
             n->unpriced ? ",\"priced\":false" : "");
    /* the base plan keeps the id its rows always had */
    db_param_t p[] = {DB_STR(c->vendor),
                      DB_STR(c->hotel_id),
                      DB_STR(c->room_type_id),
                      DB_STR(plan->is_base ? INV_BASE_RATE_PLAN_ID : plan->id),
                      DB_STR(day),
                      DB_STR(price),
                      DB_STR(c->plans->currency),
                      DB_STR(rules)};
    if (n->unpriced)
        return db_exec(db,
                       "INSERT INTO rate_plan (vendor, hotel_id, room_type_id, rate_plan_id, "
                       "stay_date, price, currency, rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON "
                       "DUPLICATE KEY UPDATE rules = VALUES(rules), "
                       "synced_at = CURRENT_TIMESTAMP(3)",
                       p, 8, NULL, NULL);
    return db_exec(db,
                   "INSERT INTO rate_plan (vendor, hotel_id, room_type_id, rate_plan_id, "
                   "stay_date, price, currency, rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON "
                   "DUPLICATE KEY UPDATE price = VALUES(price), currency = VALUES(currency), "
                   "rules = VALUES(rules), synced_at = CURRENT_TIMESTAMP(3)",
                   p, 8, NULL, NULL);
}

int inv_store_upsert_rate_plans(inv_store_t *s, const char *vendor, const char *hotel_id,
                                const char *room_type_id, const pms_rate_plans_t *plans)
{
    plans_ctx_t c = {vendor, hotel_id, room_type_id, plans};
    return in_transaction(s, plans->count * (size_t)plans->nights, plan_row, &c, "rate_plan");
}

struct json_object *inv_store_cancel_policies(inv_store_t *s, const char *vendor,
                                              const char *hotel_id)
{
    db_pool_t *pool = inv_store_pool(s);
    if (!pool)
        return NULL;
    db_t *db = db_pool_acquire(pool);
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    struct json_object *out = NULL;
    if (db_query(db,
                 "SELECT rate_plan_id, policy FROM cancellation_policy WHERE vendor = ? AND "
                 "hotel_id = ?",
                 p, 2, &res) == DB_OK &&
        db_result_rows(res) > 0) {
        out = json_object_new_object();
        for (size_t i = 0; i < db_result_rows(res); i++) {
            const char *id = db_result_text(res, i, 0), *policy = db_result_text(res, i, 1);
            if (id && policy)
                json_object_object_add(out, id, json_object_new_string(policy));
        }
    }
    db_result_free(res);
    db_pool_release(pool, db);
    return out;
}

typedef struct rooms_ctx {
    const char *vendor, *hotel_id;
    const pms_room_types_t *rt;
} rooms_ctx_t;

static db_err_t room_type_row(db_t *db, size_t i, void *arg)
{
    rooms_ctx_t *c = arg;
    const pms_room_type_t *t = &c->rt->items[i];
    struct json_object *photos = json_object_new_array();
    for (size_t k = 0; k < t->photo_count; k++)
        json_object_array_add(photos, json_object_new_string(t->photos[k]));
    char *photos_json = json_to_string_dup(photos);
    json_object_put(photos);
    db_param_t p[] = {DB_STR(c->vendor),
                      DB_STR(c->hotel_id),
                      DB_STR(t->id),
                      DB_STR(t->name),
                      DB_INT(t->max_occupancy > 0 ? t->max_occupancy : 1),
                      DB_INT(t->total_rooms > 0 ? t->total_rooms : 0),
                      DB_STR(photos_json)};
    db_err_t e = db_exec(db,
                         "INSERT INTO room_types (vendor, hotel_id, room_type_id, name, "
                         "max_occupancy, total_rooms, photos, active) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, TRUE) "
                         "ON DUPLICATE KEY UPDATE name = VALUES(name), "
                         "max_occupancy = VALUES(max_occupancy), "
                         "total_rooms = VALUES(total_rooms), photos = VALUES(photos), "
                         "active = TRUE",
                         p, 7, NULL, NULL);
    free(photos_json);
    return e;
}

/* The hotel's room types the list leaves out: inactive (kept: bookings name them). */
#define DEACTIVATE_MAX 256
static db_err_t deactivate_missing(db_t *db, const rooms_ctx_t *c)
{
    size_t n = c->rt->count;
    if (n > DEACTIVATE_MAX)
        return DB_OK; /* beyond any hotel's room types: leave them as they are */
    char sql[96 + DEACTIVATE_MAX * 3];
    int len = snprintf(sql, sizeof sql,
                       "UPDATE room_types SET active = FALSE WHERE vendor = ? AND hotel_id = ?");
    if (n > 0) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND room_type_id NOT IN (");
        for (size_t i = 0; i < n; i++)
            len += snprintf(sql + len, sizeof sql - (size_t)len, i ? ",?" : "?");
        snprintf(sql + len, sizeof sql - (size_t)len, ")");
    }
    db_param_t p[2 + DEACTIVATE_MAX];
    p[0] = DB_STR(c->vendor);
    p[1] = DB_STR(c->hotel_id);
    for (size_t i = 0; i < n; i++)
        p[2 + i] = DB_STR(c->rt->items[i].id);
    return db_exec(db, sql, p, 2 + n, NULL, NULL);
}

static db_err_t room_type_or_deactivate(db_t *db, size_t i, void *arg)
{
    rooms_ctx_t *c = arg;
    return i < c->rt->count ? room_type_row(db, i, arg) : deactivate_missing(db, c);
}

int inv_store_upsert_room_types(inv_store_t *s, const char *vendor, const char *hotel_id,
                                const pms_room_types_t *rt)
{
    /* every hotel the PMS serves, listed yet or not: onboarding and listings
     * read what the PMS says it sells */
    rooms_ctx_t c = {vendor, hotel_id, rt};
    return in_transaction(s, rt->count + 1, room_type_or_deactivate, &c, "room_types");
}
