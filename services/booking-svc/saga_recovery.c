/*
 * saga_recovery.c — one saga left mid-way by a process that died, driven to
 * its end from its step log (recovery.c finds them
 * and takes their lease): resumed when the PMS has the booking confirmed and
 * a pre-authorisation exists (a lapsed hold is never confirmed), compensated
 * otherwise. The card token kept encrypted in saga_instance.data lets
 * compensation replay a pre-authorisation whose id was never recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "payment_route.h"
#include "saga_internal.h"

/* The card token from saga_instance.data (NULL when gone). */
static void decrypt_card_token(saga_run_t *run, db_t *db)
{
    run->card_token = NULL;
    char *data = store_saga_data(db, run->rec.booking_id);
    if (!data)
        return;
    json_error_t je;
    struct json_object *o = json_parse_object(data, strlen(data), &je), *v;
    if (o && json_object_object_get_ex(o, "cardTokenEnc", &v)) {
        size_t blob_len = 0;
        uint8_t *blob = crypto_base64_decode(json_object_get_string(v), &blob_len);
        uint8_t *pt = NULL;
        size_t pt_len = 0;
        char aad[BOOKING_ID_MAX + 8];
        snprintf(aad, sizeof aad, "card:%s", run->rec.booking_id);
        if (blob &&
            crypto_decrypt(run->app->data_key, blob, blob_len, aad, strlen(aad), &pt, &pt_len) ==
                0 &&
            pt_len < sizeof run->card_token_buf) {
            memcpy(run->card_token_buf, pt, pt_len);
            run->card_token_buf[pt_len] = '\0';
            run->card_token = run->card_token_buf;
        }
        if (pt) {
            crypto_wipe(pt, pt_len);
            free(pt);
        }
        free(blob);
    }
    json_object_put(o);
    free(data);
}

/* The reservation the PMS has for this booking: by hold id, else by our
 * reference. PMS_OK, PMS_ERR_NOT_FOUND, or a failure (try later). */
static pms_err_t find_in_pms(saga_run_t *run, pms_reservation_t *res)
{
    pms_error_t e;
    booking_record_t *rec = &run->rec;
    if (rec->hold_id[0])
        return pms_get_reservation(run->app->pms, rec->hotel_id, rec->hold_id, res, &e);
    pms_err_t pe =
        pms_find_reservation(run->app->pms, rec->hotel_id, rec->booking_id, rec->check_in, res, &e);
    if (pe == PMS_OK && !rec->hold_id[0])
        snprintf(rec->hold_id, sizeof rec->hold_id, "%s", res->reservation_id);
    return pe;
}

int saga_recover(booking_app_t *app, const char *booking_id, const char *owner, saga_result_t *out)
{
    memset(out, 0, sizeof *out);
    saga_run_t run = {.app = app, .out = out};
    snprintf(run.owner, sizeof run.owner, "%s", owner);
    db_t *db = db_pool_acquire(app->db);
    if (!db)
        return -1;
    /* the lease was taken a moment ago, maybe before other sagas of the
     * same pass were driven: renewed now, it holds for a whole lease from
     * here (or is found lost, and nothing is done) */
    int64_t asked = clock_now_ms();
    int rc = store_lease_renew(db, booking_id, owner, app->saga_lease_s) == 1 ? 0 : -1;
    if (rc == 0) {
        run.lease_written_ms = asked;
        rc = store_booking_load(db, booking_id, &run.rec);
    }
    if (rc == 0)
        rc = store_step_flags(db, booking_id, &run.flags);
    booking_payment_t bp;
    if (rc == 0 && booking_payment_load(db, booking_id, &bp) < 0)
        rc = -1;
    if (rc == 0) {
        snprintf(run.rec.payment_provider, sizeof run.rec.payment_provider, "%s", bp.provider);
        snprintf(run.rec.payment_order_id, sizeof run.rec.payment_order_id, "%s", bp.order_id);
        decrypt_card_token(&run, db);
    }
    db_pool_release(app->db, db);
    if (rc != 0)
        return -1;
    snprintf(out->booking_id, sizeof out->booking_id, "%s", booking_id);
    saga_active_add(app->active, booking_id, owner);
    log_kv(LOG_LEVEL_INFO, "recovering a saga left mid-way", "bookingId", booking_id, "state",
           run.rec.saga_state, "step", run.rec.current_step, NULL);

    int result = 0;
    if (strcmp(run.rec.saga_state, "running") == 0 && run.flags.hold_started) {
        pms_reservation_t res;
        pms_err_t pe = find_in_pms(&run, &res);
        if (pe != PMS_OK && pe != PMS_ERR_NOT_FOUND) {
            result = 1; /* the PMS cannot say now */
        } else if (pe == PMS_OK && res.status == PMS_RES_CONFIRMED &&
                   (run.rec.payment_auth_id[0] || run.flags.preauth_succeeded)) {
            /* confirmed in the PMS and authorised: finish forward */
            metrics_counter_inc(metrics_counter("booking_recovery_total",
                                                "Sagas recovered after a crash, by action", 1,
                                                "action"),
                                "resumed");
            if (!run.flags.confirm_succeeded) {
                snprintf(run.rec.reservation_id, sizeof run.rec.reservation_id, "%s",
                         res.reservation_id);
                snprintf(run.rec.confirmation_number, sizeof run.rec.confirmation_number, "%s",
                         res.confirmation_number[0] ? res.confirmation_number : res.reservation_id);
                snprintf(run.rec.status, sizeof run.rec.status, "confirmed");
                run.flags.confirm_succeeded = true;
                if (saga_record(&run, "confirm", "succeeded", "found confirmed by recovery", true,
                                NULL, "confirmed") != 0)
                    result = -1;
            }
            if (result == 0)
                saga_capture_and_finish(&run);
        } else {
            if (pe == PMS_OK && res.status == PMS_RES_CANCELLED && run.rec.hold_expires_at_ms > 0)
                saga_count_hold("expired");
            metrics_counter_inc(metrics_counter("booking_recovery_total",
                                                "Sagas recovered after a crash, by action", 1,
                                                "action"),
                                "compensated");
            saga_fail(&run, run.rec.error_code[0] ? run.rec.error_code : "INTERNAL_ERROR",
                      run.rec.error_message[0]
                          ? run.rec.error_message
                          : "내부 오류 (internal error: interrupted; the booking was rolled back)");
        }
    } else {
        /* nothing external happened yet, or it was compensating already */
        saga_fail(&run, run.rec.error_code[0] ? run.rec.error_code : "INTERNAL_ERROR",
                  run.rec.error_message[0]
                      ? run.rec.error_message
                      : "내부 오류 (internal error: interrupted; the booking was rolled back)");
    }
    if (out->retry_later)
        result = 1;
    crypto_wipe(run.card_token_buf, sizeof run.card_token_buf);
    saga_finish_lease(&run);
    saga_active_remove(app->active, booking_id);
    return result;
}
