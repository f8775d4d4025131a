/*
 * poller — per-hotel polling schedules for PMSs without webhooks:
 * emits 30-day sync jobs on sync.jobs, tracks sync.results, stops a hotel and
 * raises an alert after consecutive failures.
 *
 * main.c is wiring only: settings, the database pool, the
 * producer, the scheduler thread (scheduler.c), the sync.results consumer
 * (results.c) and the routes (api.c); the common runtime gives
 * configuration, logging, /healthz /readyz /metrics and graceful shutdown.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "common/db.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/service.h"
#include "results.h"
#include "scheduler.h"
#include "settings.h"

#define TOPIC_MAX 256
#define POOL_EXTRA_CONNECTIONS 3 /* scheduler, consumer, readiness */
#define PRODUCER_MESSAGE_TIMEOUT_MS "10000"
#define RESULTS_MAX_ATTEMPTS 60 /* a database outage of about a minute is waited out */
#define RESULTS_RETRY_BACKOFF_MS 1000

typedef struct poller {
    poller_settings_t settings;
    char jobs_topic[TOPIC_MAX], results_topic[TOPIC_MAX], alerts_topic[TOPIC_MAX];
    char group_id[TOPIC_MAX];
    db_pool_t *pool;
    kafka_producer_t *producer;
    scheduler_t *scheduler;
    kafka_consumer_t *consumer;
    results_t results;
    api_t api;
} poller_t;

/* Stops the workers first, then releases what they used. */
static void poller_shutdown(void *ctx)
{
    poller_t *p = ctx;
    kafka_consumer_free(p->consumer);
    scheduler_free(p->scheduler);
    kafka_producer_free(p->producer);
    db_pool_free(p->pool);
    p->consumer = NULL;
    p->scheduler = NULL;
    p->producer = NULL;
    p->pool = NULL;
}

static bool database_ready(void *ctx, const char **reason)
{
    poller_t *p = ctx;
    db_t *db = db_pool_acquire(p->pool);
    bool ok = db_ping(db) == DB_OK;
    db_pool_release(p->pool, db);
    if (!ok)
        *reason = "database unreachable";
    else if (!scheduler_healthy(p->scheduler))
        *reason = "scheduler cannot read pms_config";
    return ok && scheduler_healthy(p->scheduler);
}

static int start_consumer(poller_t *p, const service_settings_t *ss)
{
    char err[256];
    const char *topics[] = {p->results_topic, NULL};
    kafka_consumer_config_t cc = {.brokers = ss->kafka_brokers,
                                  .group_id = p->group_id,
                                  .topics = topics,
                                  .handler = results_handle,
                                  .ctx = &p->results,
                                  .max_attempts = RESULTS_MAX_ATTEMPTS,
                                  .retry_backoff_ms = RESULTS_RETRY_BACKOFF_MS,
                                  .dlq_producer = p->producer};
    p->consumer = kafka_consumer_new(&cc, err, sizeof err);
    if (!p->consumer) {
        log_error("sync.results consumer: %s", err);
        return -1;
    }
    return kafka_consumer_start(p->consumer);
}

static int wire(service_t *svc, void *ctx)
{
    poller_t *p = ctx;
    config_t *cfg = service_config(svc);
    poller_settings_read(cfg, &p->settings);
    if (config_error_count(cfg) > 0)
        return 0; /* service_run names every bad variable and exits 2 */
    const service_settings_t *ss = service_settings(svc);
    kafka_topic_name(ss->kafka_topic_prefix, "sync.jobs", p->jobs_topic, TOPIC_MAX);
    kafka_topic_name(ss->kafka_topic_prefix, "sync.results", p->results_topic, TOPIC_MAX);
    kafka_topic_name(ss->kafka_topic_prefix, "ops.alerts", p->alerts_topic, TOPIC_MAX);
    kafka_topic_name(ss->kafka_topic_prefix, "poller", p->group_id, TOPIC_MAX);

    char err[256];
    static const char *const producer_extra[] = {"message.timeout.ms", PRODUCER_MESSAGE_TIMEOUT_MS,
                                                 NULL};
    p->pool =
        db_pool_new(ss->mysql_url, ss->http_threads + POOL_EXTRA_CONNECTIONS, err, sizeof err);
    if (!p->pool) {
        log_error("database: %s", err);
        goto fail;
    }
    p->producer = kafka_producer_new(ss->kafka_brokers, "poller", producer_extra, err, sizeof err);
    if (!p->producer) {
        log_error("kafka producer: %s", err);
        goto fail;
    }
    scheduler_config_t sc = {.pool = p->pool,
                             .producer = p->producer,
                             .jobs_topic = p->jobs_topic,
                             .settings = &p->settings};
    p->scheduler = scheduler_new(&sc);
    p->results = (results_t){.pool = p->pool,
                             .producer = p->producer,
                             .alerts_topic = p->alerts_topic,
                             .settings = &p->settings};
    results_init(&p->results);
    p->api = (api_t){.pool = p->pool, .scheduler = p->scheduler};
    if (!p->scheduler || api_register(service_http(svc), &p->api) != 0 ||
        service_add_ready_check(svc, "database", database_ready, p) != 0 ||
        start_consumer(p, ss) != 0 || scheduler_start(p->scheduler) != 0)
        goto fail;
    log_info("poller instance %s: jobs to %s, results from %s, alerts to %s",
             p->settings.instance_id, p->jobs_topic, p->results_topic, p->alerts_topic);
    return service_on_shutdown(svc, poller_shutdown, p);
fail:
    poller_shutdown(p);
    return -1;
}

int main(int argc, char **argv)
{
    const service_info_t info = {
        .name = "poller",
        .description = "per-hotel polling schedules for PMSs without webhooks: emits 30-day sync "
                       "jobs, tracks results, raises alerts.",
        .port_env = "POLLER_PORT",
        .default_port = 8084,
        .env_help = POLLER_SETTINGS_HELP,
        .routes = API_ROUTES,
        .route_count = API_ROUTE_COUNT,
    };
    static poller_t poller;
    return service_main(&info, argc, argv, wire, &poller);
}
