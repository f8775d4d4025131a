/*
 * settings.c — POLLER_* variables (see settings.h).
 */
#include "settings.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYNC_DAYS_MAX 365
#define MAX_FAILURES_MAX 1000
#define INTERVAL_S_MAX 86400
#define TICK_MS_MIN 10
#define TICK_MS_MAX 60000

const char POLLER_SETTINGS_HELP[] =
    "  POLLER_SYNC_DAYS           days after today each sync job covers (default 30)\n"
    "  POLLER_MAX_FAILURES        consecutive failed syncs that stop a hotel (default 5)\n"
    "  POLLER_DEFAULT_INTERVAL_S  interval for a hotel whose row has none (default 300)\n"
    "  POLLER_INSTANCE_ID         this replica's lease owner name (default hostname-pid)\n"
    "  POLLER_TICK_MS             longest scheduler sleep between table checks (default 1000)\n";

void poller_settings_read(config_t *cfg, poller_settings_t *out)
{
    out->sync_days =
        (int)config_get_int(cfg, "POLLER_SYNC_DAYS", POLLER_DEFAULT_SYNC_DAYS, 0, SYNC_DAYS_MAX);
    out->max_failures = (int)config_get_int(cfg, "POLLER_MAX_FAILURES", POLLER_DEFAULT_MAX_FAILURES,
                                            1, MAX_FAILURES_MAX);
    out->default_interval_s = (int)config_get_int(cfg, "POLLER_DEFAULT_INTERVAL_S",
                                                  POLLER_DEFAULT_INTERVAL_S, 1, INTERVAL_S_MAX);
    out->tick_ms = (int)config_get_int(cfg, "POLLER_TICK_MS", POLLER_DEFAULT_TICK_MS, TICK_MS_MIN,
                                       TICK_MS_MAX);

    const char *id = config_get_str(cfg, "POLLER_INSTANCE_ID", NULL);
    if (id && strlen(id) >= sizeof out->instance_id) {
        config_add_error(cfg, "POLLER_INSTANCE_ID", "must be at most 127 characters");
        id = NULL;
    }
    if (id) {
        snprintf(out->instance_id, sizeof out->instance_id, "%s", id);
        return;
    }
    char host[64] = "poller";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "poller");
    host[sizeof host - 1] = '\0';
    snprintf(out->instance_id, sizeof out->instance_id, "%s-%ld", host, (long)getpid());
}
