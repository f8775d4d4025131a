/*
 * reconcile_report.c — a reconciliation report (reconcile.h) written out:
 * JSON for the admin page and for cron jobs that parse it, text for people.
 * Both carry only ids, statuses and amounts (nothing about the guest).
 */
#include <stdio.h>

#include "common/reconcile.h"

/* Adds a string member; returns 0, or -1 when out of memory. */
static int add_text(struct json_object *o, const char *key, const char *value)
{
    struct json_object *v = json_object_new_string(value ? value : "");
    if (!v || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

static struct json_object *mismatch_json(const reconcile_mismatch_t *m)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    if (add_text(o, "kind", reconcile_kind_name(m->kind)) != 0 ||
        add_text(o, "bookingId", m->booking_id) != 0 ||
        add_text(o, "reservationId", m->reservation_id) != 0 ||
        add_text(o, "paymentId", m->payment_id) != 0 || add_text(o, "ours", m->ours) != 0 ||
        add_text(o, "theirs", m->theirs) != 0 || add_text(o, "action", m->action) != 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

struct json_object *reconcile_report_json(const reconcile_report_t *rep)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(rep->from, from);
    dates_format_iso(rep->to, to);
    struct json_object *o = json_object_new_object();
    struct json_object *checked = json_object_new_object();
    struct json_object *list = json_object_new_array();
    if (!o || !checked || !list)
        goto fail;
    json_object_object_add(checked, "bookings", json_object_new_int64((int64_t)rep->bookings));
    json_object_object_add(checked, "reservations",
                           json_object_new_int64((int64_t)rep->reservations));
    json_object_object_add(checked, "payments", json_object_new_int64((int64_t)rep->payments));
    for (size_t i = 0; i < rep->count; i++) {
        struct json_object *m = mismatch_json(&rep->items[i]);
        if (!m || json_object_array_add(list, m) != 0) {
            json_object_put(m);
            goto fail;
        }
    }
    if (add_text(o, "hotelId", rep->hotel_id) != 0 || add_text(o, "from", from) != 0 ||
        add_text(o, "to", to) != 0)
        goto fail;
    json_object_object_add(o, "checked", checked);
    json_object_object_add(o, "mismatches", list);
    return o;
fail:
    json_object_put(o);
    json_object_put(checked);
    json_object_put(list);
    return NULL;
}

/* "-" for an empty id, so columns stay readable. */
static const char *or_dash(const char *s)
{
    return *s ? s : "-";
}

void reconcile_report_print(const reconcile_report_t *rep, FILE *out)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(rep->from, from);
    dates_format_iso(rep->to, to);
    fprintf(out, "hotel %s, check-in %s to %s: %zu bookings, %zu PMS reservations, %zu payments",
            rep->hotel_id, from, to, rep->bookings, rep->reservations, rep->payments);
    if (rep->count == 0) {
        fprintf(out, " — all agree\n");
        return;
    }
    fprintf(out, " — %zu mismatch%s\n", rep->count, rep->count == 1 ? "" : "es");
    for (size_t i = 0; i < rep->count; i++) {
        const reconcile_mismatch_t *m = &rep->items[i];
        fprintf(out, "\n%s\n  booking %s  reservation %s  payment %s\n",
                reconcile_kind_name(m->kind), or_dash(m->booking_id), or_dash(m->reservation_id),
                or_dash(m->payment_id));
        fprintf(out, "  ours: %s  theirs: %s\n  action: %s\n", m->ours, m->theirs, m->action);
    }
}
