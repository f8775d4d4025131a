/* compensation.c — see compensation.h. */
#include "compensation.h"

int compensation_request(db_t *tx, const char *booking_id, const char *action, const char *hotel_id,
                         const char *hold_id, const char *payment_auth_id,
                         const char *reservation_id, int64_t amount, const char *currency,
                         const char *reason, int attempt)
{
    (void)tx, (void)booking_id, (void)action, (void)hotel_id, (void)hold_id, (void)payment_auth_id;
    (void)reservation_id, (void)amount, (void)currency, (void)reason, (void)attempt;
    return -1;
}
compensation_worker_t *compensation_worker_start(const compensation_config_t *cfg, char *err,
                                                 size_t err_size)
{
    (void)cfg, (void)err, (void)err_size;
    return NULL;
}
void compensation_worker_stop(compensation_worker_t *w)
{
    (void)w;
}
long compensation_pending(db_t *db)
{
    (void)db;
    return -1;
}
