/*
 * ingest.c — the webhook route (see ingest.h).
 *
 * Order matters for security: the signature is checked before the body is
 * validated, so an unsigned caller learns nothing but 401 (the body is only
 * peeked at for a hotel id, to pick a per-hotel secret). Secrets, the
 * signature header and the body never reach a log line.
 *
 * Publishing does not hold an HTTP thread: the handler defers the request
 * (http_request_defer) and queues the webhook for a claim. One of
 * INGEST_WORKERS threads claims every webhook queued by then in one Redis
 * call (a single server's round trip per 64 webhooks instead of one each),
 * answers duplicates and deliveries in progress, and queues the CloudEvents
 * of the others in Kafka. The
 * producer's delivery reports count the acknowledgements down; when the last
 * arrives (or one fails) the webhook goes to the ready queue, where one of
 * INGEST_WORKERS threads marks it seen (or releases the claim) in Redis and
 * answers. Our own deadline (publish_timeout_ms) is kept by those workers
 * too: pending webhooks are queued in arrival order, which with one timeout
 * for all is deadline order, so the oldest is the next to expire. A report
 * that arrives after its webhook was answered 503 only frees it (the event
 * may be written anyway: consumers de-duplicate by its deterministic id).
 */
#include "ingest.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/cloudevents.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "envelope.h"
#include "normalize.h"
#include "signature.h"

#define MS_PER_S 1000.0

/* A webhook whose events are queued in Kafka; guarded by ingest.lock. */
typedef enum {
    PENDING_CLAIMING = 1, /* on the claiming list, or a worker is claiming it */
    PENDING_WAITING,      /* reports outstanding, on the waiting list */
    PENDING_READY,        /* every report in (or one failed), on the ready queue */
    PENDING_ANSWERING,    /* a worker has it */
    PENDING_ANSWERED,     /* answered; freed by whoever sees outstanding reach 0 */
} pending_state_t;

typedef struct pending {
    ingest_t *in;
    http_request_t *req; /* deferred: ours until its one respond call */
    char vendor[16];
    char event_id[NORMALIZE_ID_MAX + 1];
    char hotel_id[NORMALIZE_ID_MAX + 1];
    const char *source_event; /* static */
    size_t event_count;
    normalized_t n; /* the events, each taken when it is queued in Kafka */
    dedup_result_t claim;
    int64_t started_ms, deadline_ms;
    size_t outstanding; /* delivery reports still to come */
    bool failed;        /* a report (or a send) failed */
    bool ok;            /* decided when a worker takes it */
    char err[256];
    pending_state_t state;
    struct pending *next; /* the list it is on */
} pending_t;

typedef struct pending_list {
    pending_t *head, *tail;
} pending_list_t;

struct ingest {
    ingest_config_t cfg;
    pthread_mutex_t lock; /* the lists and every pending_t's state */
    pthread_cond_t wake;  /* CLOCK_MONOTONIC: a webhook ready, or a deadline */
    pending_list_t claiming, waiting, ready;
    size_t claims_running; /* batches taken off claiming, not yet queued in Kafka */
    bool stopping;
    size_t worker_count;
    pthread_t workers[INGEST_WORKERS];
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

static int respond_received(http_request_t *req, const char *event_id, size_t events,
                            bool duplicate, bool ignored)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "received", json_object_new_boolean(1));
    json_object_object_add(o, "duplicate", json_object_new_boolean(duplicate));
    if (ignored)
        json_object_object_add(o, "ignored", json_object_new_boolean(1));
    json_object_object_add(o, "eventId", json_object_new_string(event_id));
    json_object_object_add(o, "events", json_object_new_int((int)events));
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

/* ---------------------------------------------- the pending webhooks -- */

static void list_push(pending_list_t *l, pending_t *p)
{
    p->next = NULL;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
}

static pending_t *list_pop(pending_list_t *l)
{
    pending_t *p = l->head;
    if (p) {
        l->head = p->next;
        if (!l->head)
            l->tail = NULL;
        p->next = NULL;
    }
    return p;
}

/* Unlinks p from l (a singly linked list: a walk, but p is nearly always the head). */
static void list_remove(pending_list_t *l, pending_t *p)
{
    pending_t *prev = NULL;
    for (pending_t *q = l->head; q; prev = q, q = q->next) {
        if (q != p)
            continue;
        if (prev)
            prev->next = q->next;
        else
            l->head = q->next;
        if (l->tail == q)
            l->tail = prev;
        q->next = NULL;
        return;
    }
}

/* A waiting webhook whose reports are all in, or one failed: to the ready
 * queue. The caller holds in->lock. */
static void settle_if_done(ingest_t *in, pending_t *p)
{
    if (p->state != PENDING_WAITING || (p->outstanding > 0 && !p->failed))
        return;
    list_remove(&in->waiting, p);
    p->state = PENDING_READY;
    list_push(&in->ready, p);
    pthread_cond_signal(&in->wake);
}

/* The producer's delivery report for one event of a webhook (its poll thread). */
static void on_delivered(void *opaque, int err, const char *errstr)
{
    pending_t *p = opaque;
    ingest_t *in = p->in;
    pthread_mutex_lock(&in->lock);
    p->outstanding--;
    if (err && !p->failed) {
        p->failed = true;
        snprintf(p->err, sizeof p->err, "delivery failed: %s", errstr ? errstr : "unknown");
    }
    settle_if_done(in, p);
    bool release = p->state == PENDING_ANSWERED && p->outstanding == 0;
    pthread_mutex_unlock(&in->lock);
    if (release)
        free(p);
}

/* Makes the calling worker's log lines carry p's request id and trace, as
 * its handler's did (the request's own, no copy kept per webhook); NULL
 * clears them. */
static void log_context(const pending_t *p)
{
    log_set_request_id(p ? http_request_id(p->req) : NULL);
    trace_set_current(p ? http_request_trace(p->req) : NULL);
}

/* Marks the acknowledged webhooks of a batch seen, in one Redis call (whose
 * one warning, when Redis fails, carries the webhook's ids if it is alone). */
static void mark_batch(ingest_t *in, pending_t *const *batch, size_t n)
{
    const char *vendors[INGEST_BATCH_MAX], *ids[INGEST_BATCH_MAX];
    const pending_t *last = NULL;
    size_t marked = 0;
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->ok && batch[i]->claim == DEDUP_NEW) {
            vendors[marked] = batch[i]->vendor;
            ids[marked] = batch[i]->event_id;
            last = batch[i];
            marked++;
        }
    }
    if (marked == 0)
        return;
    if (marked == 1)
        log_context(last);
    dedup_mark_done_many(in->cfg.dedup, vendors, ids, marked);
    log_context(NULL);
}

/* Releases the claim of a failed webhook, or (acknowledged: marked seen
 * before) counts it; then answers. On a worker thread. */
static void answer(ingest_t *in, pending_t *p)
{
    http_request_t *req = p->req;
    log_context(p);
    metrics_histogram_observe(publish_metric(), (double)(clock_now_ms() - p->started_ms) / MS_PER_S,
                              p->ok ? "ok" : "error");
    if (!p->ok) {
        if (p->claim == DEDUP_NEW)
            dedup_release(in->cfg.dedup, p->vendor, p->event_id);
        metrics_counter_inc(received_metric(), p->vendor, "unavailable");
        log_kv(LOG_LEVEL_WARN, "webhook not published: Kafka unavailable", "vendor", p->vendor,
               "eventId", p->event_id, "error", p->err, NULL);
        http_response_header(req, "Retry-After", INGEST_RETRY_AFTER_S);
        http_respond_error(req, 503, "KAFKA_UNAVAILABLE", NULL,
                           "the event could not be stored; retry later");
    } else { /* marked seen already (mark_batch) */
        metrics_counter_inc(received_metric(), p->vendor, "accepted");
        log_kv(LOG_LEVEL_INFO, "webhook published", "vendor", p->vendor, "eventId", p->event_id,
               "hotelId", p->hotel_id, "event", p->source_event, NULL);
        respond_received(req, p->event_id, p->event_count, false, false);
    }
    log_context(NULL);
}

/* Absolute CLOCK_MONOTONIC time of a clock_now_ms() instant. */
static struct timespec monotonic_at(int64_t at_ms)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t wait_ms = at_ms - clock_now_ms();
    if (wait_ms < 0)
        wait_ms = 0;
    now.tv_sec += (time_t)(wait_ms / 1000);
    now.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (now.tv_nsec >= 1000000000L) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000L;
    }
    return now;
}

/* Takes up to INGEST_BATCH_MAX ready webhooks, or the oldest waiting one
 * once past its deadline, into batch; the caller holds in->lock. The count. */
static size_t take_batch(ingest_t *in, pending_t **batch)
{
    size_t n = 0;
    pending_t *p;
    while (n < INGEST_BATCH_MAX && (p = list_pop(&in->ready))) {
        p->ok = !p->failed && p->outstanding == 0;
        batch[n++] = p;
    }
    if (n == 0 && in->waiting.head && in->waiting.head->deadline_ms <= clock_now_ms()) {
        p = list_pop(&in->waiting);
        p->ok = false;
        snprintf(p->err, sizeof p->err, "no acknowledgement from Kafka within %d ms",
                 in->cfg.publish_timeout_ms);
        batch[n++] = p;
    }
    for (size_t i = 0; i < n; i++)
        batch[i]->state = PENDING_ANSWERING;
    return n;
}

/* Answers ready webhooks (those that came in together in one batch, marked
 * seen in one Redis call), expires the oldest waiting one at its deadline
 * and claims the webhooks queued for it; at stop, goes on until nothing is
 * pending. */
static size_t take_claims(ingest_t *in, pending_t **batch);
static void claim_batch(ingest_t *in, pending_t *const *batch, size_t n);

static void *worker_loop(void *arg)
{
    ingest_t *in = arg;
    pending_t *batch[INGEST_BATCH_MAX];
    pthread_mutex_lock(&in->lock);
    for (;;) {
        size_t n = take_batch(in, batch);
        if (n == 0 && (n = take_claims(in, batch)) > 0) {
            pthread_mutex_unlock(&in->lock);
            claim_batch(in, batch, n);
            pthread_mutex_lock(&in->lock);
            continue;
        }
        if (n == 0) {
            /* a batch being claimed may still add waiting webhooks */
            if (in->stopping && !in->waiting.head && in->claims_running == 0)
                break;
            if (in->waiting.head) {
                struct timespec until = monotonic_at(in->waiting.head->deadline_ms);
                pthread_cond_timedwait(&in->wake, &in->lock, &until);
            } else {
                pthread_cond_wait(&in->wake, &in->lock);
            }
            continue;
        }
        pthread_mutex_unlock(&in->lock);
        if (in->cfg.dedup)
            mark_batch(in, batch, n);
        for (size_t i = 0; i < n; i++)
            answer(in, batch[i]);
        pthread_mutex_lock(&in->lock);
        size_t done = 0;
        for (size_t i = 0; i < n; i++) {
            batch[i]->state = PENDING_ANSWERED;
            if (batch[i]->outstanding == 0) /* else the last report frees it */
                batch[done++] = batch[i];
        }
        pthread_mutex_unlock(&in->lock);
        for (size_t i = 0; i < done; i++)
            free(batch[i]);
        pthread_mutex_lock(&in->lock);
    }
    pthread_mutex_unlock(&in->lock);
    return NULL;
}

/* A deferred webhook holding n's events (n keeps none); NULL when the
 * answer cannot be deferred (the caller answers). */
static pending_t *pending_new(ingest_t *in, http_request_t *req, normalized_t *n)
{
    pending_t *p = calloc(1, sizeof *p);
    if (!p || http_request_defer(req) != 0) {
        free(p);
        return NULL;
    }
    p->in = in;
    p->req = req;
    snprintf(p->vendor, sizeof p->vendor, "%s", n->vendor);
    snprintf(p->event_id, sizeof p->event_id, "%s", n->event_id);
    snprintf(p->hotel_id, sizeof p->hotel_id, "%s", n->hotel_id);
    p->source_event = n->source_event;
    p->event_count = n->event_count;
    p->n = *n;
    n->event_count = 0; /* the events are p's now */
    return p;
}

/* Queues every event of p with a delivery report each; a worker answers once
 * they are in (or at the deadline). p may be gone when this returns. */
static void publish(ingest_t *in, pending_t *p)
{
    p->started_ms = clock_now_ms();
    p->deadline_ms = p->started_ms + in->cfg.publish_timeout_ms; /* for the whole webhook */
    p->outstanding = p->event_count;
    pthread_mutex_lock(&in->lock);
    p->state = PENDING_WAITING;
    list_push(&in->waiting, p);
    if (in->waiting.head == p) /* the workers had no deadline to wait for */
        pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->lock);
    size_t count = p->event_count;
    for (size_t i = 0; i < count; i++) {
        char err[256] = "";
        cloudevent_t *ev = envelope_new(&p->n, i);
        int rc = ev ? cloudevent_send(in->cfg.producer, in->cfg.topic, p->hotel_id, ev,
                                      on_delivered, p, err, sizeof err)
                    : -1;
        if (!ev)
            snprintf(err, sizeof err, "out of memory building the event");
        cloudevent_free(ev);
        if (rc != 0) { /* this one and the rest will never be reported */
            pthread_mutex_lock(&in->lock);
            for (size_t j = i + 1; j < count; j++) { /* p lives: its reports are not all in */
                json_object_put(p->n.events[j].data);
                p->n.events[j].data = NULL;
            }
            p->outstanding -= count - i;
            if (!p->failed) {
                p->failed = true;
                snprintf(p->err, sizeof p->err, "%s", err);
            }
            settle_if_done(in, p);
            pthread_mutex_unlock(&in->lock);
            break;
        }
    }
}

/* Answers a webhook its claim settles (already published, or being
 * published by another delivery) and frees it. On a worker thread. */
static void answer_claimed(pending_t *p)
{
    if (p->claim == DEDUP_DUPLICATE) {
        metrics_counter_inc(received_metric(), p->vendor, "duplicate");
        metrics_counter_inc(duplicates_metric(), p->vendor);
        log_kv(LOG_LEVEL_INFO, "webhook duplicate acknowledged", "vendor", p->vendor, "eventId",
               p->event_id, NULL);
        respond_received(p->req, p->event_id, p->event_count, true, false);
    } else {
        metrics_counter_inc(received_metric(), p->vendor, "in_progress");
        http_response_header(p->req, "Retry-After", "1");
        http_respond_error(p->req, 409, "IDEMPOTENCY_IN_PROGRESS", "eventId",
                           "this event is being published by another delivery; retry");
    }
    normalized_clear(&p->n);
    free(p);
}

/* Takes up to INGEST_BATCH_MAX webhooks to claim into batch; the caller
 * holds in->lock. The count. */
static size_t take_claims(ingest_t *in, pending_t **batch)
{
    size_t n = 0;
    pending_t *p;
    while (n < INGEST_BATCH_MAX && (p = list_pop(&in->claiming)))
        batch[n++] = p;
    if (n > 0)
        in->claims_running++;
    return n;
}

/* Claims a batch in one Redis call, answers the webhooks the claim settles
 * and publishes the others. On a worker thread, without in->lock. */
static void claim_batch(ingest_t *in, pending_t *const *batch, size_t n)
{
    const char *vendors[INGEST_BATCH_MAX], *ids[INGEST_BATCH_MAX];
    dedup_result_t claims[INGEST_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        vendors[i] = batch[i]->vendor;
        ids[i] = batch[i]->event_id;
    }
    if (n == 1) /* a Redis warning then names the webhook */
        log_context(batch[0]);
    dedup_claim_many(in->cfg.dedup, vendors, ids, n, claims);
    for (size_t i = 0; i < n; i++) {
        pending_t *p = batch[i];
        p->claim = claims[i];
        log_context(p); /* the answer's log lines and the events' trace */
        if (p->claim == DEDUP_DUPLICATE || p->claim == DEDUP_IN_PROGRESS)
            answer_claimed(p);
        else
            publish(in, p);
    }
    log_context(NULL);
    pthread_mutex_lock(&in->lock);
    in->claims_running--;
    if (in->stopping && in->claims_running == 0) /* workers waiting to stop may go */
        pthread_cond_broadcast(&in->wake);
    pthread_mutex_unlock(&in->lock);
}

/* Defers the answer: a worker claims the event (with others that came in
 * meanwhile) and publishes it; without de-duplication it is published here. */
static int publish_and_answer(ingest_t *in, http_request_t *req, normalized_t *n)
{
    pending_t *p = pending_new(in, req, n);
    if (!p) {
        log_error("webhook not published: cannot defer the answer");
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "internal error");
    }
    if (!in->cfg.dedup) {
        p->claim = DEDUP_UNAVAILABLE;
        publish(in, p);
        return 0; /* answered by a worker */
    }
    pthread_mutex_lock(&in->lock);
    p->state = PENDING_CLAIMING;
    list_push(&in->claiming, p);
    pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->lock);
    return 0; /* answered by a worker */
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
    if (in->cfg.publish_timeout_ms <= 0)
        in->cfg.publish_timeout_ms = INGEST_DEFAULT_PUBLISH_TIMEOUT_MS;
    pthread_mutex_init(&in->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&in->wake, &attr);
    pthread_condattr_destroy(&attr);
    for (; in->worker_count < INGEST_WORKERS; in->worker_count++)
        if (pthread_create(&in->workers[in->worker_count], NULL, worker_loop, in) != 0)
            break;
    if (in->worker_count == 0) {
        ingest_free(in);
        return NULL;
    }
    return in;
}

void ingest_free(ingest_t *in)
{
    if (!in)
        return;
    pthread_mutex_lock(&in->lock);
    in->stopping = true;
    pthread_cond_broadcast(&in->wake);
    pthread_mutex_unlock(&in->lock);
    for (size_t i = 0; i < in->worker_count; i++)
        pthread_join(in->workers[i], NULL);
    pthread_cond_destroy(&in->wake);
    pthread_mutex_destroy(&in->lock);
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
        rc = respond_received(req, n.event_id, n.event_count, false, true);
    } else {
        rc = publish_and_answer(in, req, &n);
    }
    normalized_clear(&n);
    return rc;
}
