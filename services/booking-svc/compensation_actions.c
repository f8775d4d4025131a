/*
 * compensation_actions.c — runs one compensation action once against the
 * vendors (see compensation_actions.h). Every action is idempotent: the
 * payment calls carry the Idempotency-Key "<bookingId>:<action>", and an
 * action whose effect is already there (a hold or pre-authorisation that
 * does not exist or is already released, a capture or refund already made)
 * counts as done — Temporal's rule: a compensation must be safe when the
 * step never ran.
 */
#include "compensation_actions.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "payment_route.h"

/* Runs one action once: 0 done (or nothing left to do), -1 with why in error. */
typedef int (*action_fn)(const compensation_connectors_t *vendors, const compensation_command_t *t,
                         char *error, size_t size);

static void idempotency_key(const compensation_command_t *t, char *out, size_t size)
{
    snprintf(out, size, "%s:%s", t->booking_id, t->action);
}

/* The connector of the command's booking's payment provider. */
static payment_connector_t *payment_of(const compensation_connectors_t *vendors,
                                       const compensation_command_t *t)
{
    if (!vendors->db || !vendors->toss)
        return vendors->payment;
    booking_payment_t bp = {0};
    db_t *db = db_pool_acquire(vendors->db);
    int rc = db ? booking_payment_load(db, t->booking_id, &bp) : -1;
    if (db)
        db_pool_release(vendors->db, db);
    return rc == 0 && strcmp(bp.provider, BOOKING_PROVIDER_TOSS) == 0 ? vendors->toss
                                                                      : vendors->payment;
}

static int pms_failed(pms_err_t e, const pms_error_t *err, char *error, size_t size)
{
    snprintf(error, size, "%s: %s", pms_err_name(e), err->message[0] ? err->message : "failed");
    return -1;
}

static int pay_failed(pay_err_t e, const pay_error_t *err, char *error, size_t size)
{
    snprintf(error, size, "%s: %s", pay_err_name(e), err->message[0] ? err->message : "failed");
    return -1;
}

/* Releasing a hold the PMS does not know is success: it may never have been made. */
static int run_release_hold(const compensation_connectors_t *vendors,
                            const compensation_command_t *t, char *error, size_t size)
{
    pms_error_t err = {0};
    pms_err_t e = pms_release_hold(vendors->pms, t->hotel_id, t->hold_id, &err);
    return e == PMS_OK || e == PMS_ERR_NOT_FOUND ? 0 : pms_failed(e, &err, error, size);
}

static int run_cancel_reservation(const compensation_connectors_t *vendors,
                                  const compensation_command_t *t, char *error, size_t size)
{
    pms_error_t err = {0};
    pms_err_t e = pms_cancel_reservation(vendors->pms, t->hotel_id, t->reservation_id, &err);
    if (e == PMS_OK || e == PMS_ERR_NOT_FOUND)
        return 0;
    if (e == PMS_ERR_CONFLICT) { /* already cancelled? */
        pms_reservation_t r = {0};
        pms_error_t gerr = {0};
        if (pms_get_reservation(vendors->pms, t->hotel_id, t->reservation_id, &r, &gerr) ==
                PMS_OK &&
            r.status == PMS_RES_CANCELLED)
            return 0;
    }
    return pms_failed(e, &err, error, size);
}

/* After PAY_ERR_STATE: is the payment already where the action wanted it? */
static bool payment_already(const compensation_connectors_t *vendors,
                            const compensation_command_t *t, pay_status_t wanted)
{
    pay_payment_t p = {0};
    pay_error_t err = {0};
    if (payment_get(payment_of(vendors, t), t->payment_auth_id, &p, &err) != PAY_OK)
        return false;
    if (wanted == PAY_STATUS_CAPTURED && strcmp(t->action, "refund") == 0)
        return p.amount_received > 0 &&
               p.amount_refunded >= (t->amount > 0 ? t->amount : p.amount_received);
    return p.status == wanted;
}

/* Voiding a pre-authorisation the gateway does not know, or one already cancelled, is success. */
static int run_void_preauth(const compensation_connectors_t *vendors,
                            const compensation_command_t *t, char *error, size_t size)
{
    char key[160];
    idempotency_key(t, key, sizeof key);
    pay_payment_t out = {0};
    pay_error_t err = {0};
    payment_connector_t *pay = payment_of(vendors, t);
    pay_err_t e = payment_void(pay, t->payment_auth_id, key, &out, &err);
    if (e == PAY_OK || e == PAY_ERR_NOT_FOUND)
        return 0;
    if (e == PAY_ERR_STATE && payment_already(vendors, t, PAY_STATUS_CANCELED))
        return 0;
    if (e == PAY_ERR_STATE && payment_connector_approves(pay) &&
        payment_already(vendors, t, PAY_STATUS_CAPTURED)) {
        /* Toss acquired the approval meanwhile: the money comes back by
         * refund, under the refund's own key so it is made once */
        char rkey[160];
        snprintf(rkey, sizeof rkey, "%s:refund", t->booking_id);
        pay_refund_t rf = {0};
        e = payment_refund(pay, t->payment_auth_id, 0, rkey, &rf, &err);
        if (e == PAY_OK)
            return 0;
    }
    return pay_failed(e, &err, error, size);
}

static int run_refund(const compensation_connectors_t *vendors, const compensation_command_t *t,
                      char *error, size_t size)
{
    char key[160];
    idempotency_key(t, key, sizeof key);
    pay_refund_t out = {0};
    pay_error_t err = {0};
    pay_err_t e =
        payment_refund(payment_of(vendors, t), t->payment_auth_id, t->amount, key, &out, &err);
    if (e == PAY_OK && out.status != PAY_REFUND_FAILED && out.status != PAY_REFUND_CANCELED)
        return 0;
    if (e == PAY_ERR_STATE && payment_already(vendors, t, PAY_STATUS_CAPTURED))
        return 0;
    if (e == PAY_OK) {
        snprintf(error, size, "refund %s", out.status == PAY_REFUND_FAILED ? "failed" : "canceled");
        return -1;
    }
    return pay_failed(e, &err, error, size);
}

static int run_retry_capture(const compensation_connectors_t *vendors,
                             const compensation_command_t *t, char *error, size_t size)
{
    char key[160];
    idempotency_key(t, key, sizeof key);
    pay_payment_t out = {0};
    pay_error_t err = {0};
    pay_err_t e =
        payment_capture(payment_of(vendors, t), t->payment_auth_id, t->amount, key, &out, &err);
    if (e == PAY_OK)
        return 0;
    if (e == PAY_ERR_STATE && payment_already(vendors, t, PAY_STATUS_CAPTURED))
        return 0;
    return pay_failed(e, &err, error, size);
}

static const struct {
    const char *name;
    action_fn run;
} RUNNERS[] = {
    {"release_hold", run_release_hold},
    {"void_preauth", run_void_preauth},
    {"cancel_reservation", run_cancel_reservation},
    {"refund", run_refund},
    {"retry_capture", run_retry_capture},
};

int compensation_action_run(const compensation_connectors_t *vendors,
                            const compensation_command_t *c, char *error, size_t size)
{
    for (size_t i = 0; i < sizeof RUNNERS / sizeof RUNNERS[0]; i++)
        if (strcmp(RUNNERS[i].name, c->action) == 0)
            return RUNNERS[i].run(vendors, c, error, size);
    snprintf(error, size, "unknown action %s", c->action);
    return -1;
}
