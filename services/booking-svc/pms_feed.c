/*
 * pms_feed.c — PMS change feeds (OPERA Business Events) announced on
 * pms.events (see pms_feed.h).
 */
#include "pms_feed.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pms.h"
#include "outbox.h"
#include "pms_events.h"

#define SOURCE "booking-svc/pms-feed"
#define MAX_HOTELS 1000
#define INVENTORY_UPDATED_TYPE "lodging.pms.inventory.updated"

struct pms_feed {
    booking_app_t *app;
    int interval_s;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping */
    pthread_cond_t cond;
    bool stopping;
    metric_t *events;
};

typedef struct feed_hotel {
    char vendor[PMS_VENDOR_NAME_MAX + 1];
    char hotel_id[PMS_ID_MAX + 1];
} feed_hotel_t;

/* Hotels whose PMS sends no webhooks. The count, or -1. */
static int feed_hotels(pms_feed_t *f, feed_hotel_t *out, int max)
{
    db_t *db = db_pool_acquire(f->app->db);
    if (!db)
        return -1;
    db_result_t *res = NULL;
    int n = -1;
    if (db_query(db, "SELECT vendor, hotel_id FROM pms_config ORDER BY hotel_id LIMIT 1000", NULL,
                 0, &res) == DB_OK) {
        n = 0;
        for (size_t r = 0; r < db_result_rows(res) && n < max; r++) {
            const char *vendor = db_result_text(res, r, 0), *hotel = db_result_text(res, r, 1);
            pms_vendor_traits_t t;
            if (!vendor || !hotel || !pms_vendor_traits(vendor, &t) || t.webhooks ||
                strlen(vendor) > PMS_VENDOR_NAME_MAX || strlen(hotel) > PMS_ID_MAX)
                continue;
            snprintf(out[n].vendor, sizeof out[n].vendor, "%s", vendor);
            snprintf(out[n].hotel_id, sizeof out[n].hotel_id, "%s", hotel);
            n++;
        }
    } else {
        log_warn("pms feed: cannot read hotels: %s", db_error(db));
    }
    db_result_free(res);
    db_pool_release(f->app->db, db);
    return n;
}

/* The feed event's CloudEvents id: derived from the vendor's event, so the
 * same event kept twice is one outbox row and one change for consumers. */
static int event_id_of(const feed_hotel_t *h, const pms_booking_event_t *e, char *id, size_t size)
{
    char key[3 * PMS_ID_MAX + PMS_VENDOR_NAME_MAX], digest[CRYPTO_SHA256_HEX_LEN + 1];
    int len = snprintf(key, sizeof key, "%s\n%s\n%s", h->vendor, h->hotel_id, e->event_id);
    if (len < 0 || (size_t)len >= sizeof key || crypto_sha256_hex(key, (size_t)len, digest) != 0)
        return -1;
    snprintf(id, size, "pmsfeed-%.40s", digest);
    return 0;
}

/* The change as lodging.pms.booking.confirmed / .cancelled, or NULL. */
static cloudevent_t *change_event(const feed_hotel_t *h, const pms_booking_event_t *e,
                                  const char *id)
{
    bool cancelled = e->status == PMS_RES_CANCELLED;
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "eventId", json_object_new_string(id));
    json_object_object_add(data, "vendor", json_object_new_string(h->vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(h->hotel_id));
    json_object_object_add(data, "reservationId", json_object_new_string(e->reservation_id));
    if (e->room_type_id[0])
        json_object_object_add(data, "roomTypeId", json_object_new_string(e->room_type_id));
    if (e->check_out > e->check_in) {
        char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
        dates_format_iso(e->check_in, in);
        dates_format_iso(e->check_out, out);
        json_object_object_add(data, "checkIn", json_object_new_string(in));
        json_object_object_add(data, "checkOut", json_object_new_string(out));
    }
    json_object_object_add(data, "status",
                           json_object_new_string(cancelled ? "cancelled" : "confirmed"));
    cloudevent_t *ev =
        cloudevent_new(cancelled ? PMS_EVENT_BOOKING_CANCELLED : PMS_EVENT_BOOKING_CONFIRMED,
                       SOURCE, e->reservation_id, data);
    if (!ev)
        return NULL;
    free(ev->id);
    ev->id = strdup(id);
    if (!ev->id) {
        cloudevent_free(ev);
        return NULL;
    }
    return ev;
}

/* Writes the batch's changes to the outbox in one transaction on db. 0 or -1
 * (nothing written). */
static int keep_batch_once(db_t *db, const feed_hotel_t *h, const pms_booking_events_t *batch)
{
    if (db_begin(db) != DB_OK)
        return -1;
    for (size_t k = 0; k < batch->count; k++) {
        char id[64];
        cloudevent_t *ev = event_id_of(h, &batch->items[k], id, sizeof id) == 0
                               ? change_event(h, &batch->items[k], id)
                               : NULL;
        int rc = ev ? outbox_append_event(db, PMS_EVENTS_TOPIC, h->hotel_id, ev, NULL) : -1;
        cloudevent_free(ev);
        if (rc != 0) {
            db_rollback(db);
            return -1;
        }
    }
    if (db_commit(db) != DB_OK) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

/* Keeps a dequeued batch: the vendor has deleted it from its queue, so the
 * outbox is now its only copy. A failed write is tried again on a fresh
 * connection; *db is the connection in hand (replaced when it failed). 0 or
 * -1 (the batch is lost, and logged event by event). */
static int keep_batch(pms_feed_t *f, db_t **db, const feed_hotel_t *h,
                      const pms_booking_events_t *batch)
{
    for (int attempt = 0; attempt < PMS_FEED_KEEP_ATTEMPTS; attempt++) {
        if (attempt > 0) {
            struct timespec pause = {0, 100000000L * attempt};
            nanosleep(&pause, NULL);
            if (*db)
                db_pool_release(f->app->db, *db);
            *db = db_pool_acquire(f->app->db);
        }
        if (*db && keep_batch_once(*db, h, batch) == 0)
            return 0;
        log_kv(LOG_LEVEL_WARN, "pms feed: cannot keep the hotel's changes yet", "hotel",
               h->hotel_id, "error", *db ? db_error(*db) : "no database connection", NULL);
    }
    for (size_t k = 0; k < batch->count; k++)
        log_kv(LOG_LEVEL_ERROR, "pms feed: a reservation change is lost (not kept)", "hotel",
               h->hotel_id, "reservation", batch->items[k].reservation_id, "vendorEvent",
               batch->items[k].event_id, NULL);
    return -1;
}

/* A change moved the stay: the nights it gave back are announced as
 * lodging.pms.inventory.updated with their counts as the PMS tells them now
 * (as a webhook of an inventory change would), so the cache and
 * room_inventory follow — the booking event names only the new stay. Best
 * effort, after the change itself was kept: the poller's next sync re-reads
 * those nights anyway. */
static void announce_given_back(pms_feed_t *f, const feed_hotel_t *h, const pms_booking_event_t *e)
{
    const char *room = e->prev_room_type_id[0] ? e->prev_room_type_id : e->room_type_id;
    if (!room[0] || e->prev_check_out <= e->prev_check_in ||
        (strcmp(room, e->room_type_id) == 0 && e->prev_check_in == e->check_in &&
         e->prev_check_out == e->check_out))
        return;
    int nights = (int)(e->prev_check_out - e->prev_check_in);
    char base_id[64];
    if (nights > PMS_MAX_NIGHTS || event_id_of(h, e, base_id, sizeof base_id) != 0)
        return;
    pms_nights_t counts = {0};
    pms_error_t pe = {0};
    if (pms_get_inventory(f->app->pms, h->hotel_id, room, e->prev_check_in, nights, &counts, &pe) !=
        PMS_OK) {
        log_kv(LOG_LEVEL_WARN, "pms feed: nights given back not re-read; the next sync has them",
               "hotel", h->hotel_id, "error", pe.message, NULL);
        pms_nights_free(&counts);
        return;
    }
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], id[72];
    dates_format_iso(e->prev_check_in, from);
    dates_format_iso(e->prev_check_out - 1, to);
    snprintf(id, sizeof id, "%.55s-prev", base_id);
    struct json_object *data = json_object_new_object(), *list = json_object_new_array();
    json_object_object_add(data, "eventId", json_object_new_string(id));
    json_object_object_add(data, "vendor", json_object_new_string(h->vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(h->hotel_id));
    json_object_object_add(data, "roomTypeId", json_object_new_string(room));
    json_object_object_add(data, "from", json_object_new_string(from));
    json_object_object_add(data, "to", json_object_new_string(to));
    for (size_t i = 0; i < counts.count; i++) {
        char d[DATES_ISO_LEN + 1];
        dates_format_iso(counts.items[i].date, d);
        struct json_object *n = json_object_new_object();
        json_object_object_add(n, "date", json_object_new_string(d));
        json_object_object_add(
            n, "available",
            json_object_new_int(counts.items[i].available > 0 ? counts.items[i].available : 0));
        if (counts.items[i].total > 0)
            json_object_object_add(n, "total", json_object_new_int(counts.items[i].total));
        json_object_array_add(list, n);
    }
    json_object_object_add(data, "nights", list);
    pms_nights_free(&counts);
    cloudevent_t *ev = cloudevent_new(INVENTORY_UPDATED_TYPE, SOURCE, h->hotel_id, data);
    if (!ev)
        return;
    free(ev->id);
    ev->id = strdup(id);
    db_t *db = ev->id ? db_pool_acquire(f->app->db) : NULL;
    int rc = -1;
    if (db && db_begin(db) == DB_OK) {
        rc = outbox_append_event(db, PMS_EVENTS_TOPIC, h->hotel_id, ev, NULL);
        if (rc == 0 && db_commit(db) != DB_OK)
            rc = -1;
        if (rc != 0)
            db_rollback(db);
    }
    if (db)
        db_pool_release(f->app->db, db);
    if (rc != 0)
        log_kv(LOG_LEVEL_WARN, "pms feed: nights given back not announced", "hotel", h->hotel_id,
               NULL);
    cloudevent_free(ev);
}

/* Reads one hotel's feed: up to PMS_FEED_CALLS_PER_HOTEL dequeues, each
 * batch kept before the next is asked for. The number of changes kept. */
static int read_hotel(pms_feed_t *f, const feed_hotel_t *h)
{
    int kept = 0;
    for (int call = 0; call < PMS_FEED_CALLS_PER_HOTEL; call++) {
        /* A connection in hand before anything is dequeued: while the
         * database cannot be reached the events wait in the vendor's queue. */
        db_t *db = db_pool_acquire(f->app->db);
        if (!db || db_ping(db) != DB_OK) {
            log_kv(LOG_LEVEL_WARN, "pms feed: database unreachable; the hotel's changes wait",
                   "hotel", h->hotel_id, NULL);
            if (db)
                db_pool_release(f->app->db, db);
            break;
        }
        pms_booking_events_t batch;
        pms_error_t e = {0};
        pms_err_t pe = pms_take_booking_events(f->app->pms, h->hotel_id, &batch, &e);
        if (pe != PMS_OK || batch.count == 0) {
            db_pool_release(f->app->db, db);
            /* REJECTED: no feed for this hotel (pms_watch covers our own bookings) */
            if (pe != PMS_OK && pe != PMS_ERR_REJECTED)
                log_kv(LOG_LEVEL_WARN, "pms feed: cannot read the hotel's changes", "hotel",
                       h->hotel_id, "error", e.message, NULL);
            break;
        }
        int rc = keep_batch(f, &db, h, &batch);
        if (db)
            db_pool_release(f->app->db, db);
        if (rc != 0) {
            metrics_counter_add(f->events, (double)batch.count, "failed");
            break;
        }
        metrics_counter_add(f->events, (double)batch.count, "announced");
        kept += (int)batch.count;
        outbox_relay_kick(f->app->relay);
        for (size_t k = 0; k < batch.count; k++)
            announce_given_back(f, h, &batch.items[k]);
        outbox_relay_kick(f->app->relay);
    }
    return kept;
}

int pms_feed_run_once(pms_feed_t *f)
{
    feed_hotel_t *hotels = calloc(MAX_HOTELS, sizeof *hotels);
    if (!hotels)
        return -1;
    int n = feed_hotels(f, hotels, MAX_HOTELS);
    int kept = 0;
    for (int i = 0; i < n; i++)
        kept += read_hotel(f, &hotels[i]);
    free(hotels);
    return n < 0 ? -1 : kept;
}

static void *feed_main(void *arg)
{
    pms_feed_t *f = arg;
    pthread_mutex_lock(&f->lock);
    while (!f->stopping) {
        pthread_mutex_unlock(&f->lock);
        pms_feed_run_once(f);
        pthread_mutex_lock(&f->lock);
        if (f->stopping)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += f->interval_s;
        pthread_cond_timedwait(&f->cond, &f->lock, &until);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

pms_feed_t *pms_feed_start(booking_app_t *app, int interval_s, char *err, size_t err_size)
{
    err[0] = '\0';
    if (interval_s <= 0)
        return NULL;
    pms_feed_t *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    f->app = app;
    f->interval_s = interval_s;
    f->events = metrics_counter("booking_pms_feed_events_total",
                                "Reservation changes taken from PMS change feeds, by whether "
                                "they were kept for pms.events (announced: in the outbox; "
                                "failed: lost)",
                                1, "outcome");
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
        snprintf(err, err_size, "pms feed thread");
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->cond);
        free(f);
        return NULL;
    }
    return f;
}

void pms_feed_stop(pms_feed_t *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}
