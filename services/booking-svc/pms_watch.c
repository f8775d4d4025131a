/*
 * pms_watch.c — status polling of our own bookings at PMSs without webhooks
 * (see pms_watch.h).
 */
#include "pms_watch.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cloudevents.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pms.h"
#include "outbox.h"
#include "pms_events.h"

#define SOURCE "booking-svc/pms-watch"
#define CANCELLED_TYPE "lodging.pms.booking.cancelled"

struct pms_watch {
    booking_app_t *app;
    int interval_s;
    char cursor[BOOKING_ID_MAX]; /* the last booking id of the previous pass */
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping */
    pthread_cond_t cond;
    bool stopping;
    metric_t *checks;
};

typedef struct watched {
    char booking_id[BOOKING_ID_MAX];
    char vendor[33];
    char hotel_id[PMS_ID_MAX + 1];
    char room_type_id[PMS_ID_MAX + 1];
    char reservation_id[PMS_ID_MAX + 1];
    char check_in[16], check_out[16];
} watched_t;

/* The next batch of confirmed bookings not checked out, after the cursor. */
static int next_batch(pms_watch_t *w, watched_t *out, int max)
{
    db_t *db = db_pool_acquire(w->app->db);
    if (!db)
        return -1;
    db_param_t p[] = {DB_STR(w->cursor)};
    db_result_t *res = NULL;
    int n = -1;
    if (db_query(db,
                 "SELECT booking_id, vendor, hotel_id, room_type_id, reservation_id, "
                 "DATE_FORMAT(check_in, '%Y-%m-%d'), DATE_FORMAT(check_out, '%Y-%m-%d') "
                 "FROM booking WHERE status = 'confirmed' AND reservation_id IS NOT NULL "
                 "AND reservation_id <> '' AND check_out >= UTC_DATE() AND booking_id > ? "
                 "ORDER BY booking_id LIMIT 50", /* PMS_WATCH_BATCH */
                 p, 1, &res) == DB_OK) {
        n = 0;
        for (size_t r = 0; r < db_result_rows(res) && n < max; r++, n++) {
            watched_t *x = &out[n];
            const char *cols[7];
            for (size_t c = 0; c < 7; c++) {
                cols[c] = db_result_text(res, r, c);
                if (!cols[c])
                    cols[c] = "";
            }
            snprintf(x->booking_id, sizeof x->booking_id, "%s", cols[0]);
            snprintf(x->vendor, sizeof x->vendor, "%s", cols[1]);
            snprintf(x->hotel_id, sizeof x->hotel_id, "%s", cols[2]);
            snprintf(x->room_type_id, sizeof x->room_type_id, "%s", cols[3]);
            snprintf(x->reservation_id, sizeof x->reservation_id, "%s", cols[4]);
            snprintf(x->check_in, sizeof x->check_in, "%s", cols[5]);
            snprintf(x->check_out, sizeof x->check_out, "%s", cols[6]);
        }
    } else {
        log_warn("pms watch: cannot read bookings: %s", db_error(db));
    }
    db_result_free(res);
    db_pool_release(w->app->db, db);
    return n;
}

/* lodging.pms.booking.cancelled for x, its id derived from the reservation,
 * written to the outbox (the relay publishes it on pms.events whenever Kafka
 * takes it). A cancel seen again by a later pass or another replica before
 * the booking was cancelled is the same row. 0 or -1 (seen again next time
 * around: the booking is still confirmed). */
static int announce_cancel(pms_watch_t *w, const watched_t *x)
{
    char id[160];
    snprintf(id, sizeof id, "pmswatch:%s:%s:cancelled", x->vendor, x->reservation_id);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "eventId", json_object_new_string(id));
    json_object_object_add(data, "vendor", json_object_new_string(x->vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(x->hotel_id));
    json_object_object_add(data, "reservationId", json_object_new_string(x->reservation_id));
    if (*x->room_type_id)
        json_object_object_add(data, "roomTypeId", json_object_new_string(x->room_type_id));
    json_object_object_add(data, "checkIn", json_object_new_string(x->check_in));
    json_object_object_add(data, "checkOut", json_object_new_string(x->check_out));
    json_object_object_add(data, "status", json_object_new_string("cancelled"));
    cloudevent_t *ev = cloudevent_new(CANCELLED_TYPE, SOURCE, x->reservation_id, data);
    if (!ev)
        return -1;
    free(ev->id);
    ev->id = strdup(id);
    int rc = -1;
    db_t *db = ev->id ? db_pool_acquire(w->app->db) : NULL;
    if (db && db_begin(db) == DB_OK) {
        rc = outbox_append_event(db, PMS_EVENTS_TOPIC, x->hotel_id, ev, NULL);
        if (rc == 0 && db_commit(db) != DB_OK)
            rc = -1;
        if (rc != 0)
            db_rollback(db);
    }
    if (rc != 0)
        log_warn("pms watch: cannot keep the cancel of %s: %s", x->booking_id,
                 db ? db_error(db) : "no database connection");
    if (db)
        db_pool_release(w->app->db, db);
    cloudevent_free(ev);
    if (rc == 0)
        outbox_relay_kick(w->app->relay);
    return rc;
}

int pms_watch_run_once(pms_watch_t *w)
{
    watched_t batch[PMS_WATCH_BATCH];
    int n = next_batch(w, batch, PMS_WATCH_BATCH);
    if (n < 0)
        return -1;
    /* a short batch reached the end: the next pass starts over */
    if (n < PMS_WATCH_BATCH)
        w->cursor[0] = '\0';
    else
        memcpy(w->cursor, batch[n - 1].booking_id, sizeof w->cursor);
    int announced = 0;
    for (int i = 0; i < n; i++) {
        const watched_t *x = &batch[i];
        pms_vendor_traits_t t;
        if (!pms_vendor_traits(pms_hotel_vendor(w->app->pms, x->hotel_id), &t) || t.webhooks)
            continue; /* its PMS tells us itself */
        pms_reservation_t r;
        pms_error_t e;
        pms_err_t pe = pms_get_reservation(w->app->pms, x->hotel_id, x->reservation_id, &r, &e);
        if (pe != PMS_OK) {
            metrics_counter_inc(w->checks, "error");
            continue;
        }
        if (r.status != PMS_RES_CANCELLED) {
            metrics_counter_inc(w->checks, "live");
            continue;
        }
        metrics_counter_inc(w->checks, "cancelled");
        log_kv(LOG_LEVEL_INFO, "reservation cancelled on the PMS side", "bookingId", x->booking_id,
               "hotel", x->hotel_id, "reservation", x->reservation_id, NULL);
        if (announce_cancel(w, x) == 0)
            announced++;
    }
    return announced;
}

static void *watch_main(void *arg)
{
    pms_watch_t *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->lock);
        pms_watch_run_once(w);
        pthread_mutex_lock(&w->lock);
        if (w->stopping)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->interval_s;
        pthread_cond_timedwait(&w->cond, &w->lock, &until);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

pms_watch_t *pms_watch_start(booking_app_t *app, int interval_s, char *err, size_t err_size)
{
    err[0] = '\0';
    if (interval_s <= 0)
        return NULL;
    pms_watch_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    w->app = app;
    w->interval_s = interval_s;
    w->checks = metrics_counter("booking_pms_watch_checks_total",
                                "Our bookings' status read from PMSs without webhooks, by what "
                                "it was (live, cancelled, error)",
                                1, "outcome");
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        snprintf(err, err_size, "pms watch thread");
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    return w;
}

void pms_watch_stop(pms_watch_t *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
