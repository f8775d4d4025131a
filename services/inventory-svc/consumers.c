/*
 * consumers.c — pms.events and sync.jobs handlers (consumers.h).
 */
#include "consumers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int inv_consumers_start(inv_app_t *app)
{
    (void)app;
    return 0;
}

void inv_consumers_stop(inv_app_t *app)
{
    if (app->pms_events_consumer)
        kafka_consumer_stop(app->pms_events_consumer);
    if (app->sync_jobs_consumer)
        kafka_consumer_stop(app->sync_jobs_consumer);
}

void inv_consumers_free(inv_app_t *app)
{
    kafka_consumer_free(app->pms_events_consumer);
    kafka_consumer_free(app->sync_jobs_consumer);
    app->pms_events_consumer = NULL;
    app->sync_jobs_consumer = NULL;
}
