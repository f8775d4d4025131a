/*
 * lodging-reconcile — the reconciliation (common/reconcile.h) of one hotel's
 * stays from a shell, cron or a Kubernetes CronJob:
 *
 *   lodging-reconcile --hotel H --from YYYY-MM-DD --to YYYY-MM-DD [--json]
 *                     [--ignore-other-channels]
 *
 * It reads the services' environment (MYSQL_URL, PMS_*, PAYMENT_*, TOSS_*, see
 * usage()) and talks to the vendors through their own APIs. The report goes
 * to stdout (text, or JSON with --json); diagnostics go to stderr. Exit
 * status: 0 all agree, 1 mismatches found, 2 usage or configuration error,
 * 3 a vendor or the database could not be read. Nothing printed carries card
 * data, guest contact details or keys (reports hold ids, statuses, amounts).
 *
 * PMS requests run at background priority under the hotel's request budget
 * (shared with the services when REDIS_URL is set), so a run never starves
 * checkouts; it waits up to RECONCILE_PMS_WAIT_MS for each of its turns.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"
#include "common/payment.h"
#include "common/pms.h"
#include "common/pms_keys.h"
#include "common/reconcile.h"
#include "common/redis.h"
#include "common/service.h"

#define EXIT_AGREE 0
#define EXIT_MISMATCHES 1
#define EXIT_USAGE 2
#define EXIT_UNREADABLE 3

#define RECONCILE_DEFAULT_PMS_WAIT_MS 30000
#define RECONCILE_KEY_CACHE_MS 60000
#define RECONCILE_DB_POOL_SIZE 2 /* the run's connection and the key store's */

typedef struct options {
    const char *hotel_id;
    dates_day_t from, to;
    bool json;
    bool ignore_other_channels;
} options_t;

/* Everything the run opened; closed by resources_free. */
typedef struct resources {
    config_t *cfg;
    db_pool_t *pool;
    db_t *db;
    redis_pool_t *redis;
    pms_keystore_t *keys;
    pms_connector_t *pms;
    payment_connector_t *pay;
    payment_connector_t *toss; /* NULL without TOSS_SECRET_KEY */
} resources_t;

/* Prints the usage to stderr; returns EXIT_USAGE. */
static int usage(void)
{
    fprintf(stderr,
            "usage: lodging-reconcile --hotel H --from YYYY-MM-DD --to YYYY-MM-DD [--json]\n"
            "                         [--ignore-other-channels]\n"
            "Compares the PMS's reservations, the booking table and the payment gateway for\n"
            "the stays of hotel H checking in from..to (inclusive).\n"
            "Environment: MYSQL_URL, PMS_VENDOR, PMS_BASE_URL, PMS_<hotel>_API_KEY (or the\n"
            "pms_config row with PMS_CONFIG_ENCRYPTION_KEYS), PAYMENT_GATEWAY, PAYMENT_BASE_URL,\n"
            "PAYMENT_API_KEY, TOSS_SECRET_KEY / TOSS_BASE_URL / TOSS_ACQUISITION (bookings paid\n"
            "through Toss Payments), REDIS_URL (optional: the shared PMS budget),\n"
            "RECONCILE_PMS_WAIT_MS (default %d).\n"
            "Exit: 0 all agree, 1 mismatches, 2 usage or configuration, 3 a ledger unreadable.\n",
            RECONCILE_DEFAULT_PMS_WAIT_MS);
    return EXIT_USAGE;
}

/* Parses argv into *o; returns 0, or -1 on a usage error (already printed). */
static int parse_args(int argc, char **argv, options_t *o)
{
    const char *from = NULL, *to = NULL;
    for (int i = 1; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--ignore-other-channels") == 0)
            o->ignore_other_channels = true;
        else if (strcmp(argv[i], "--hotel") == 0 && has_value)
            o->hotel_id = argv[++i];
        else if (strcmp(argv[i], "--from") == 0 && has_value)
            from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && has_value)
            to = argv[++i];
        else
            return -1;
    }
    if (!o->hotel_id || !*o->hotel_id || !from || !to || dates_parse_iso(from, &o->from) != 0 ||
        dates_parse_iso(to, &o->to) != 0 || o->to < o->from)
        return -1;
    return 0;
}

static void resources_free(resources_t *r)
{
    payment_connector_free(r->pay);
    payment_connector_free(r->toss);
    pms_connector_free(r->pms);
    pms_keystore_free(r->keys);
    if (r->db)
        db_pool_release(r->pool, r->db);
    db_pool_free(r->pool);
    redis_pool_free(r->redis);
    config_free(r->cfg);
}

/* Opens the database and both connectors from the environment. Returns
 * EXIT_AGREE, or EXIT_USAGE / EXIT_UNREADABLE with the reason on stderr. */
static int resources_open(resources_t *r)
{
    char err[256];
    config_t *cfg = r->cfg = config_new(NULL);
    if (!cfg)
        return EXIT_UNREADABLE;
    const char *mysql_url = config_get_str(cfg, "MYSQL_URL", SERVICE_DEFAULT_MYSQL_URL);
    const char *redis_url = config_get_str(cfg, "REDIS_URL", NULL);
    long wait_ms =
        config_get_int(cfg, "RECONCILE_PMS_WAIT_MS", RECONCILE_DEFAULT_PMS_WAIT_MS, 0, 600000);
    pms_config_t pc;
    const char *vendor = pms_config_from_env(cfg, &pc);
    payment_config_t payc, tossc;
    const char *gateway = payment_config_from_env(cfg, &payc);
    bool toss = payment_toss_config_from_env(cfg, &tossc);
    pms_keyring_t ring;
    bool have_ring = pms_keyring_from_config(cfg, &ring);
    if (config_error_count(cfg) > 0) {
        fprintf(stderr, "lodging-reconcile: %s\n", config_errors(cfg));
        return EXIT_USAGE;
    }
    if (!(r->pool = db_pool_new(mysql_url, RECONCILE_DB_POOL_SIZE, err, sizeof err)) ||
        !(r->db = db_pool_acquire(r->pool))) {
        fprintf(stderr, "lodging-reconcile: the database: %s\n", r->pool ? "no connection" : err);
        return EXIT_UNREADABLE;
    }
    if (have_ring) {
        r->keys = pms_keystore_new_ring(r->pool, &ring, RECONCILE_KEY_CACHE_MS);
        pms_keyring_wipe(&ring);
        if (!r->keys)
            return EXIT_UNREADABLE;
        pc.key_fn = pms_keystore_lookup;
        pc.key_ctx = r->keys;
    }
    if (redis_url && *redis_url &&
        !(r->redis = redis_pool_new(redis_url, 1, REDIS_DEFAULT_CONNECT_TIMEOUT_MS,
                                    REDIS_DEFAULT_COMMAND_TIMEOUT_MS, err, sizeof err)))
        log_kv(LOG_LEVEL_WARN, "PMS budget per process: Redis unavailable", "error", err, NULL);
    pc.budget_redis = r->redis;
    /* A reconciliation is not a checkout: it yields to them, but it has all
     * night, so it waits for its turn rather than give up. */
    pc.priority = PMS_PRIORITY_BACKGROUND;
    pc.background_wait_ms = wait_ms;
    if (!(r->pms = pms_connector_new(vendor, &pc, err, sizeof err)) ||
        !(r->pay = payment_connector_new(gateway, &payc, err, sizeof err)) ||
        (toss && !(r->toss = payment_connector_new("toss", &tossc, err, sizeof err)))) {
        fprintf(stderr, "lodging-reconcile: %s\n", err);
        return EXIT_USAGE;
    }
    return EXIT_AGREE;
}

/* Writes the report in the chosen form; returns 0, or -1 when out of memory. */
static int print_report(const reconcile_report_t *rep, bool json)
{
    if (!json) {
        reconcile_report_print(rep, stdout);
        return 0;
    }
    struct json_object *o = reconcile_report_json(rep);
    if (!o)
        return -1;
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return 0;
}

int main(int argc, char **argv)
{
    options_t o = {0};
    if (parse_args(argc, argv, &o) != 0)
        return usage();
    log_init("lodging-reconcile", LOG_LEVEL_WARN);
    resources_t r = {0};
    int rc = resources_open(&r);
    if (rc != EXIT_AGREE) {
        resources_free(&r);
        return rc;
    }
    reconcile_source_t src = {.hotel_id = o.hotel_id,
                              .from = o.from,
                              .to = o.to,
                              .db = r.db,
                              .pms = r.pms,
                              .pay = r.pay,
                              .toss = r.toss,
                              .ignore_other_channels = o.ignore_other_channels};
    reconcile_report_t rep;
    char why[512];
    reconcile_err_t e = reconcile_run(&src, &rep, why, sizeof why);
    if (e != RECONCILE_OK) {
        fprintf(stderr, "lodging-reconcile: cannot reconcile: %s\n", why);
        rc = e == RECONCILE_ERR_INVALID ? EXIT_USAGE : EXIT_UNREADABLE;
    } else if (print_report(&rep, o.json) != 0) {
        fprintf(stderr, "lodging-reconcile: out of memory\n");
        rc = EXIT_UNREADABLE;
    } else {
        rc = rep.count > 0 ? EXIT_MISMATCHES : EXIT_AGREE;
    }
    reconcile_report_free(&rep);
    resources_free(&r);
    return rc;
}
