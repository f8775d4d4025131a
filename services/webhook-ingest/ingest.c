/*
 * ingest.c — the webhook route (see ingest.h).
 *
 * Order matters for security: the signature is checked before the body is
 * validated, so an unsigned caller learns nothing but 401 (the body is only
 * peeked at for a hotel id, to pick a per-hotel secret). Secrets, the
 * signature header and the body never reach a log line.
 */
#include "ingest.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/cloudevents.h"
#include "common/log.h"
#include "common/metrics.h"
#include "envelope.h"
#include "normalize.h"
#include "signature.h"

#define MS_PER_S 1000.0

struct ingest {
    ingest_config_t cfg;
};

/* ------------------------------------------------------------ metrics -- */

static metric_t *received_metric(void)
{
    return metrics_counter("webhook_received_total", "PMS webhooks by vendor and outcome", 2,
                           "vendor", "outcome");
}

static metric_t *rejects_metric(void)
{
    return metrics_counter("webhook_rejects_total", "Rejected PMS webhooks by reason", 1, "reason");
}

static metric_t *duplicates_metric(void)
{
    return metrics_counter("webhook_duplicates_total",
                           "PMS webhooks acknowledged as duplicates (not published again)", 1,
                           "vendor");
}

static metric_t *publish_metric(void)
{
    return metrics_histogram("webhook_publish_duration_seconds",
                             "Time from publish to Kafka acknowledgement (or failure)",
                             METRICS_LATENCY_BUCKETS_S, METRICS_LATENCY_BUCKET_COUNT, 1, "outcome");
}

/* The vendor label: only known vendors, so a scanner cannot inflate series. */
static const char *vendor_label(const char *vendor)
{
    return normalize_vendor_known(vendor) ? vendor : "unknown";
}

/* ---------------------------------------------------------- responses -- */

static int reject(http_request_t *req, const char *vendor, int status, const char *code,
                  const char *reason, const char *field, const char *message)
{
    metrics_counter_inc(received_metric(), vendor_label(vendor), "rejected");
    metrics_counter_inc(rejects_metric(), reason);
    log_kv(LOG_LEVEL_INFO, "webhook rejected", "vendor", vendor_label(vendor), "reason", reason,
           "field", field ? field : "", NULL);
    return http_respond_error(req, status, code, field, message);
}

static int respond_received(http_request_t *req, const normalized_t *n, bool duplicate,
                            bool ignored)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "received", json_object_new_boolean(1));
    json_object_object_add(o, "duplicate", json_object_new_boolean(duplicate));
    if (ignored)
        json_object_object_add(o, "ignored", json_object_new_boolean(1));
    json_object_object_add(o, "eventId", json_object_new_string(n->event_id));
    json_object_object_add(o, "events", json_object_new_int((int)n->event_count));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* ---------------------------------------------------------- the steps -- */

/* Verifies the signature with the secrets of (vendor, hotel). 0, or responds 401. */
static int verify_signature(ingest_t *in, http_request_t *req, const char *vendor, const char *body,
                            size_t len)
{
    char hotel[NORMALIZE_ID_MAX + 1] = "";
    normalize_peek_hotel_id(body, len, hotel, sizeof hotel);
    const char *candidates[SECRETS_MAX_CANDIDATES];
    size_t n = secrets_for(in->cfg.secrets, vendor, hotel[0] ? hotel : NULL, candidates);
    if (n == 0) {
        if (in->cfg.allow_unsigned)
            return 0;
        reject(req, vendor, 401, "UNAUTHORIZED", "no_secret", "x-pms-signature",
               "no webhook secret is configured for this vendor");
        return -1;
    }
    long tolerance = in->cfg.tolerance_s > 0 ? in->cfg.tolerance_s : SIGNATURE_TOLERANCE_S;
    signature_result_t r = signature_verify(http_request_header(req, "x-pms-signature"), body, len,
                                            candidates, n, (int64_t)time(NULL), tolerance);
    if (r == SIGNATURE_OK)
        return 0;
    reject(req, vendor, 401, "UNAUTHORIZED", signature_result_reason(r), "x-pms-signature",
           signature_result_text(r));
    return -1;
}

/* Publishes every event of n and waits for each acknowledgement. 0 or -1 (err). */
static int publish_all(ingest_t *in, normalized_t *n, char *err, size_t err_size)
{
    int timeout_ms = in->cfg.publish_timeout_ms > 0 ? in->cfg.publish_timeout_ms
                                                    : INGEST_DEFAULT_PUBLISH_TIMEOUT_MS;
    int64_t deadline = clock_now_ms() + timeout_ms; /* for the whole webhook */
    for (size_t i = 0; i < n->event_count; i++) {
        cloudevent_t *ev = envelope_new(n, i);
        int rc = -1;
        if (!ev) {
            snprintf(err, err_size, "out of memory building the event");
        } else {
            int64_t t0 = clock_now_ms();
            int64_t left = deadline - t0;
            rc = cloudevent_send_wait(in->cfg.producer, in->cfg.topic, n->hotel_id, ev,
                                      left > 0 ? (int)left : 0, err, err_size);
            metrics_histogram_observe(publish_metric(), (double)(clock_now_ms() - t0) / MS_PER_S,
                                      rc == 0 ? "ok" : "error");
        }
        cloudevent_free(ev);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Claim → publish → mark done (or release), and the answer. */
static int publish_and_answer(ingest_t *in, http_request_t *req, normalized_t *n)
{
    const char *vendor = n->vendor;
    dedup_result_t claim =
        in->cfg.dedup ? dedup_claim(in->cfg.dedup, vendor, n->event_id) : DEDUP_UNAVAILABLE;
    if (claim == DEDUP_DUPLICATE) {
        metrics_counter_inc(received_metric(), vendor, "duplicate");
        metrics_counter_inc(duplicates_metric(), vendor);
        log_kv(LOG_LEVEL_INFO, "webhook duplicate acknowledged", "vendor", vendor, "eventId",
               n->event_id, NULL);
        return respond_received(req, n, true, false);
    }
    if (claim == DEDUP_IN_PROGRESS) {
        metrics_counter_inc(received_metric(), vendor, "in_progress");
        http_response_header(req, "Retry-After", "1");
        return http_respond_error(req, 409, "IDEMPOTENCY_IN_PROGRESS", "eventId",
                                  "this event is being published by another delivery; retry");
    }
    char err[256] = "";
    if (publish_all(in, n, err, sizeof err) != 0) {
        if (claim == DEDUP_NEW)
            dedup_release(in->cfg.dedup, vendor, n->event_id);
        metrics_counter_inc(received_metric(), vendor, "unavailable");
        log_kv(LOG_LEVEL_WARN, "webhook not published: Kafka unavailable", "vendor", vendor,
               "eventId", n->event_id, "error", err, NULL);
        http_response_header(req, "Retry-After", INGEST_RETRY_AFTER_S);
        return http_respond_error(req, 503, "KAFKA_UNAVAILABLE", NULL,
                                  "the event could not be stored; retry later");
    }
    if (claim == DEDUP_NEW)
        dedup_mark_done(in->cfg.dedup, vendor, n->event_id);
    metrics_counter_inc(received_metric(), vendor, "accepted");
    log_kv(LOG_LEVEL_INFO, "webhook published", "vendor", vendor, "eventId", n->event_id, "hotelId",
           n->hotel_id, "event", n->source_event, NULL);
    return respond_received(req, n, false, false);
}

/* ------------------------------------------------------------- public -- */

ingest_t *ingest_new(const ingest_config_t *cfg)
{
    ingest_t *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->cfg = *cfg;
    if (in->cfg.max_body_bytes == 0)
        in->cfg.max_body_bytes = INGEST_MAX_BODY_BYTES;
    return in;
}

void ingest_free(ingest_t *in)
{
    free(in);
}

int ingest_handle(http_request_t *req, void *ctx)
{
    ingest_t *in = ctx;
    const char *vendor = http_request_param(req, "vendor");
    if (!normalize_vendor_known(vendor))
        return reject(req, vendor, 400, "UNKNOWN_VENDOR", "unknown_vendor", "vendor",
                      "unknown vendor: webhooks are accepted for cloudbeds and sandbox");
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    if (len > in->cfg.max_body_bytes) {
        char message[128];
        snprintf(message, sizeof message, "the webhook body is larger than %zu bytes",
                 in->cfg.max_body_bytes);
        return reject(req, vendor, 413, "PAYLOAD_TOO_LARGE", "oversize", "body", message);
    }
    if (verify_signature(in, req, vendor, body, len) != 0)
        return 0;
    normalized_t n;
    normalize_error_t e;
    if (normalize_webhook(vendor, body, len, &n, &e) != 0)
        return reject(req, vendor, 400, e.code, e.reason, e.field, e.message);
    int rc;
    if (n.event_count == 0) {
        metrics_counter_inc(received_metric(), vendor, "ignored");
        log_kv(LOG_LEVEL_INFO, "webhook acknowledged, nothing to publish", "vendor", vendor,
               "event", n.source_event, "reason", n.ignored_reason, NULL);
        rc = respond_received(req, &n, false, true);
    } else {
        rc = publish_and_answer(in, req, &n);
    }
    normalized_clear(&n);
    return rc;
}
