/*
 * toss_internal.h — the Toss Payments gateway's parsing of Toss' JSON,
 * exposed for unit tests against real-format responses
 * (proto/examples/payment/toss/). Not part of the public interface.
 *
 * All functions are pure: they read the text and fill the caller's structs.
 */
#ifndef TOSS_INTERNAL_H
#define TOSS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/payment.h"

/* A Payment object into *out. manual_settlement: the merchant's contract (an
 * approved payment not yet acquired is then an authorisation, otherwise it
 * is as good as captured). 0, or -1 with err set to PAY_ERR_PROTOCOL. */
int toss_parse_payment(const char *body, size_t len, bool manual_settlement, pay_payment_t *out,
                       pay_error_t *err);

/* The cancel in a Payment's cancels[] whose cancelReason carries `marker`
 * (our idempotency key): 1 found (*out filled: id = its transactionKey),
 * 0 none, -1 unreadable. */
int toss_find_cancel(const char *body, size_t len, const char *marker, pay_refund_t *out);

/* An error answer (HTTP status + Toss' {"code","message"}) into *err;
 * returns the typed error. An unreadable body is classified by the status. */
pay_err_t toss_parse_error(int http_status, const char *body, size_t len, pay_error_t *err);

/* The typed error for Toss' code (NULL: by status alone). */
pay_err_t toss_error_kind(int http_status, const char *code);

/* Codes whose outcome is unknown (the approval or cancel may have happened):
 * looked up before anything else is tried. */
bool toss_code_outcome_unknown(const char *code);

/* "2024-02-13T12:18:14+09:00" → Unix seconds; 0 when unreadable. */
int64_t toss_parse_time(const char *text);

#endif /* TOSS_INTERNAL_H */
