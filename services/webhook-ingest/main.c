/*
 * webhook-ingest — receives PMS webhooks, verifies their HMAC signature,
 * de-duplicates, normalises and publishes them to pms.events.
 *
 * main.c is wiring only: settings, the secret table, the
 * producer, the Redis de-duplication pool, the route and the readiness check.
 * The logic lives in signature.c, secrets.c, normalize.c (with
 * cloudbeds_webhook.c and normalize_fields.c), envelope.c, dedup.c, ingest.c
 * and readiness.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/kafka.h"
#include "common/log.h"
#include "common/service.h"
#include "dedup.h"
#include "ingest.h"
#include "readiness.h"
#include "secrets.h"

extern char **environ;

#define PUBLISH_TIMEOUT_MIN_MS 100
#define PUBLISH_TIMEOUT_MAX_MS 300000
/* HTTP threads claim, the ingest workers mark seen / release. */
#define DEDUP_POOL_SIZE (16 + INGEST_WORKERS)
#define TOPIC_MAX 256

typedef struct app {
    secrets_t *secrets;
    kafka_producer_t *producer;
    dedup_t *dedup;
    readiness_t *readiness;
    ingest_t *ingest;
    char topic[TOPIC_MAX];
} app_t;

static void app_stop(void *ctx)
{
    app_t *app = ctx;
    /* The producer first: its flush delivers every outstanding report, which
     * the ingest workers answer (marking seen in Redis) before they stop. */
    kafka_producer_free(app->producer);
    ingest_free(app->ingest);
    dedup_free(app->dedup);
    readiness_free(app->readiness);
    secrets_free(app->secrets);
}

/* The vendor's HMAC signature is the credential: verified by ingest_handle. */
static const http_route_t ROUTES[] = {
    {"POST", "/api/webhooks/pms/:vendor", AUTH_RULE_WEBHOOK, ingest_handle},
};
#define ROUTE_COUNT (sizeof ROUTES / sizeof *ROUTES)

static int wire(service_t *svc, void *ctx)
{
    app_t *app = ctx;
    config_t *cfg = service_config(svc);
    const service_settings_t *st = service_settings(svc);
    long timeout_ms =
        config_get_int(cfg, "WEBHOOK_PUBLISH_TIMEOUT_MS", INGEST_DEFAULT_PUBLISH_TIMEOUT_MS,
                       PUBLISH_TIMEOUT_MIN_MS, PUBLISH_TIMEOUT_MAX_MS);
    bool allow_unsigned = config_get_bool(cfg, "WEBHOOK_ALLOW_UNSIGNED", false);
    app->secrets = secrets_new(environ);
    if (!app->secrets)
        return -1;
    if (secrets_count(app->secrets) == 0 && !allow_unsigned)
        config_add_error(cfg, "PMS_WEBHOOK_SECRET",
                         "no webhook secret is set (PMS_WEBHOOK_SECRET or "
                         "PMS_WEBHOOK_SECRET_<VENDOR>); WEBHOOK_ALLOW_UNSIGNED=true is for "
                         "development only");
    if (config_error_count(cfg) > 0) { /* service_run reports them and exits 2 */
        secrets_free(app->secrets);
        app->secrets = NULL;
        return 0;
    }
    if (allow_unsigned)
        log_warn("WEBHOOK_ALLOW_UNSIGNED=true: vendors without a secret are accepted unsigned "
                 "(development only)");

    char err[512], timeout_text[16];
    snprintf(timeout_text, sizeof timeout_text, "%ld", timeout_ms);
    /* reconnect.backoff.max.ms: librdkafka's default (10 s) lets a producer
     * that saw the broker down wait up to that long after it is back before
     * trying again — webhooks answered 503 all that time */
    /* linger.ms: many webhooks are in flight at once, so their events travel
     * in one batch per linger instead of one request each */
    const char *extra[] = {"message.timeout.ms",
                           timeout_text,
                           "reconnect.backoff.max.ms",
                           INGEST_RECONNECT_BACKOFF_MAX_MS,
                           "linger.ms",
                           INGEST_LINGER_MS,
                           NULL};
    app->producer = kafka_producer_new(st->kafka_brokers, "webhook-ingest", extra, err, sizeof err);
    if (!app->producer) {
        log_error("kafka producer: %s", err);
        goto fail;
    }
    if (st->redis_url && *st->redis_url) {
        app->dedup = dedup_new(st->redis_url, DEDUP_POOL_SIZE, err, sizeof err);
        if (!app->dedup)
            log_warn("webhook de-duplication off (%s): consumers dedup by event id", err);
    }
    kafka_topic_name(st->kafka_topic_prefix, "pms.events", app->topic, sizeof app->topic);
    ingest_config_t ic = {.producer = app->producer,
                          .topic = app->topic,
                          .secrets = app->secrets,
                          .dedup = app->dedup,
                          .allow_unsigned = allow_unsigned,
                          .publish_timeout_ms = (int)timeout_ms};
    app->ingest = ingest_new(&ic);
    app->readiness = readiness_new(st->kafka_brokers);
    if (!app->ingest || !app->readiness ||
        http_server_routes(service_http(svc), ROUTES, ROUTE_COUNT, app->ingest) != 0 ||
        service_add_ready_check(svc, "kafka", readiness_kafka_check, app->readiness) != 0 ||
        service_on_shutdown(svc, app_stop, app) != 0)
        goto fail;
    return 0;
fail:
    app_stop(app);
    return -1;
}

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "webhook-ingest",
        .description = "receives PMS webhooks, verifies their HMAC signature, de-duplicates and "
                       "publishes them to pms.events.",
        .port_env = "WEBHOOK_INGEST_PORT",
        .default_port = 8083,
        .env_help =
            "  PMS_WEBHOOK_SECRET                  webhook secret of every vendor\n"
            "  PMS_WEBHOOK_SECRET_<VENDOR>[_<HOTEL>] a vendor's (hotel's) secret; the most "
            "specific wins;\n"
            "                                      <NAME>_PREVIOUS is accepted too (rotation)\n"
            "  WEBHOOK_ALLOW_UNSIGNED              true: accept vendors without a secret "
            "(development only; default false)\n"
            "  WEBHOOK_PUBLISH_TIMEOUT_MS          how long a webhook waits for the Kafka ack "
            "before 503 (default 5000)\n",
        /* A webhook waits for the Kafka ack without holding an HTTP thread. */
        .http_deferred_responses = true,
        .routes = ROUTES,
        .route_count = ROUTE_COUNT,
    };
    static app_t app;
    return service_main(&info, argc, argv, wire, &app);
}
