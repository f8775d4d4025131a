/* outbox.c — see outbox.h. */
#include "outbox.h"

#include <stdlib.h>

int outbox_append(db_t *tx, const char *topic, const char *aggregate_id, const char *type,
                  struct json_object *data, char *event_id_out)
{
    (void)tx, (void)topic, (void)aggregate_id, (void)type, (void)data, (void)event_id_out;
    return -1;
}
outbox_relay_t *outbox_relay_start(const outbox_relay_config_t *cfg, char *err, size_t err_size)
{
    (void)cfg, (void)err, (void)err_size;
    return NULL;
}
void outbox_relay_kick(outbox_relay_t *r)
{
    (void)r;
}
void outbox_relay_kick_cb(void *relay)
{
    outbox_relay_kick(relay);
}
int outbox_relay_flush(outbox_relay_t *r, int timeout_ms)
{
    (void)r, (void)timeout_ms;
    return -1;
}
void outbox_relay_stop(outbox_relay_t *r)
{
    (void)r;
}
long outbox_unpublished(db_t *db)
{
    (void)db;
    return -1;
}
