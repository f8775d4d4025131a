/*
 * browser_admin.c — runs the admin page's browser tests (admin.test.mjs:
 * playwright-core driving Debian's chromium, headless) against a real stack
 * made for them: a migrated database, a Redis database, Kafka topics under a
 * unique prefix, the pms-sandbox (its seed has a hotel whose texts are
 * HTML), the pay-sandbox, inventory-svc (which serves the page), booking-svc and the
 * poller, each on a free port; accounts of every kind of person the tests
 * log in as. Node gets the addresses in its environment and its exit status
 * is this test's verdict. Screenshots go to <build>/tests/browser/screenshots.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "common/kafka.h"
#include "testsupport.h"
#include "ts_sandbox.h"
#include "ts_session.h"

#define START_TIMEOUT_MS 30000
#define NODE_TIMEOUT_S 420
#define PASSWORD "browser-test-password-1"
/* The data key of pms_config in this test (not a secret: the test's own). */
#define DATA_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define MAX_ENV 40

typedef struct svc {
    const char *name, *port_env;
    int port;
    ts_proc_t *proc;
    char log[320];
} svc_t;

static char db_name[96], db_url[256], redis_url[160], prefix[64], shots[320];
static int redis_db;
static ts_sandbox_t pms, pay;
static svc_t inventory = {"inventory-svc", "INVENTORY_SVC_PORT", 0, NULL, ""};
static svc_t booking = {"booking-svc", "BOOKING_SVC_PORT", 0, NULL, ""};
static svc_t poller = {"poller", "POLLER_PORT", 0, NULL, ""};

static void make_topics(void)
{
    const char *bases[] = {
        "pms.events", "sync.jobs", "sync.results", "booking.events", "booking.compensations",
        "ops.alerts"};
    enum { N = sizeof bases / sizeof *bases };
    char names[N][128], err[256];
    const char *list[N];
    for (int i = 0; i < N; i++) {
        kafka_topic_name(prefix, bases[i], names[i], sizeof names[i]);
        list[i] = names[i];
    }
    ck_assert_msg(kafka_admin_create_topics(ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS), list,
                                            N, 1, 1, 15000, err, sizeof err) == 0,
                  "%s", err);
}

/* Starts one service with the stack's environment plus `extra`; waits for /readyz. */
static void start_service(svc_t *s, const char *const *extra)
{
    char vars[10][360], path[320];
    if (s->port == 0)
        s->port = ts_free_port();
    snprintf(vars[0], sizeof vars[0], "%s=%d", s->port_env, s->port);
    snprintf(vars[1], sizeof vars[1], "MYSQL_URL=%s", db_url);
    snprintf(vars[2], sizeof vars[2], "REDIS_URL=%s", redis_url);
    snprintf(vars[3], sizeof vars[3], "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(vars[4], sizeof vars[4], "PMS_BASE_URL=%s", pms.base_url);
    snprintf(vars[5], sizeof vars[5], "PAYMENT_BASE_URL=%s", pay.base_url);
    snprintf(vars[6], sizeof vars[6], "INVENTORY_BASE_URL=http://127.0.0.1:%d", inventory.port);
    snprintf(vars[7], sizeof vars[7], "BOOKING_DATA_KEY=%s", DATA_KEY);
    snprintf(vars[8], sizeof vars[8], "BOOKING_SVC_URL=http://127.0.0.1:%d", booking.port);
    snprintf(vars[9], sizeof vars[9], "KAFKA_BROKERS=%s",
             ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS));
    const char *env[MAX_ENV] = {vars[0],
                                vars[1],
                                vars[2],
                                vars[3],
                                vars[4],
                                vars[5],
                                vars[6],
                                vars[7],
                                vars[8],
                                vars[9],
                                TS_SERVICE_TOKEN_ENV,
                                "PMS_CONFIG_ENCRYPTION_KEY=" DATA_KEY,
                                "LOG_LEVEL=info",
                                "PAYMENT_API_KEY=sk_test_sandbox",
                                "PMS_TIMEOUT_MS=1500",
                                "PMS_MAX_RETRIES=1",
                                "PMS_RETRY_BASE_MS=50",
                                "PMS_RATE_LIMIT_PER_SECOND=1000",
                                "LOGIN_RATE_LIMIT_PER_MINUTE=0",
                                "ADMIN_API_RATE_LIMIT_PER_MINUTE=0",
                                "CHECKOUT_RATE_LIMIT_PER_MINUTE=0"};
    size_t n = 21;
    for (size_t i = 0; extra && extra[i] && n < MAX_ENV - 1; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    snprintf(path, sizeof path, "%s/services/%s/%s", LODGING_BINARY_DIR, s->name, s->name);
    snprintf(s->log, sizeof s->log, "%s/tests/browser/%s-%d.log", LODGING_BINARY_DIR, s->name,
             s->port);
    s->proc = ts_proc_start(path, env, s->log);
    ck_assert_msg(s->proc != NULL, "cannot start %s", path);
    ck_assert_msg(ts_http_wait_ok(s->port, "/readyz", START_TIMEOUT_MS), "%s not ready (log: %s)",
                  s->name, s->log);
}

static void stop_service(svc_t *s)
{
    if (!s->proc)
        return;
    int st = ts_proc_stop(s->proc, SIGTERM, 15000);
    s->proc = NULL;
    ck_assert_msg(st == 0, "%s exit status %d (log: %s)", s->name, st, s->log);
}

static void setup(void)
{
    ck_assert_int_eq(
        ts_db_create_migrated("adminui", db_name, sizeof db_name, db_url, sizeof db_url), 0);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    ts_unique_name("adminui", prefix, sizeof prefix);
    strcat(prefix, ".");
    make_topics();
    ts_sandbox_start(&pms, "pms-sandbox", "PMS_SANDBOX_PORT", NULL);
    ts_sandbox_start(&pay, "pay-sandbox", "PAY_SANDBOX_PORT", NULL);
    /* booking-svc's address is needed by inventory-svc and the other way
     * round: its port is chosen first, inventory-svc started, then it */
    booking.port = ts_free_port();
    start_service(&inventory, NULL);
    start_service(&booking, NULL);
    start_service(&poller, (const char *const[]){"POLLER_TICK_MS=500", NULL});
    ck_assert_int_eq(ts_account_create(db_url, "admin@browser.test", "admin", NULL, PASSWORD), 0);
    ck_assert_int_eq(ts_account_create(db_url, "viewer@browser.test", "viewer", NULL, PASSWORD), 0);
    ck_assert_int_eq(
        ts_account_create(db_url, "busan-desk@browser.test", "operator", "hotel_busan", PASSWORD),
        0);
    snprintf(shots, sizeof shots, "%s/tests/browser/screenshots", LODGING_BINARY_DIR);
    mkdir(shots, 0755);
}

static void teardown(void)
{
    stop_service(&poller);
    stop_service(&booking);
    stop_service(&inventory);
    ts_sandbox_stop(&pms);
    ts_sandbox_stop(&pay);
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

/* Runs node's test runner on admin.test.mjs with the stack's addresses;
 * its output goes to ours. The exit status, or -1 after a timeout. */
static int run_node(void)
{
    char vars[10][1100];
    snprintf(vars[0], sizeof vars[0], "ADMIN_BASE_URL=http://127.0.0.1:%d", inventory.port);
    snprintf(vars[1], sizeof vars[1], "BOOKING_BASE_URL=http://127.0.0.1:%d", booking.port);
    snprintf(vars[2], sizeof vars[2], "PMS_SANDBOX_URL=%s", pms.base_url);
    snprintf(vars[3], sizeof vars[3], "PAY_SANDBOX_URL=%s", pay.base_url);
    snprintf(vars[4], sizeof vars[4], "TEST_MYSQL_URL=%s", db_url);
    snprintf(vars[5], sizeof vars[5], "SCREENSHOT_DIR=%s", shots);
    snprintf(vars[6], sizeof vars[6], "SERVICE_LOGS=%s:%s:%s", inventory.log, booking.log,
             poller.log);
    snprintf(vars[7], sizeof vars[7], "TEST_PASSWORD=%s", PASSWORD);
    snprintf(vars[8], sizeof vars[8], "PMS_SEED=%s",
             LODGING_SOURCE_DIR "/sandbox/pms-sandbox/seed.json");
    snprintf(vars[9], sizeof vars[9], "CHROMIUM=%s", ts_env("CHROMIUM", "/usr/bin/chromium"));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (int i = 0; i < 10; i++)
            putenv(vars[i]);
        if (chdir(LODGING_SOURCE_DIR "/tests/browser") != 0)
            _exit(126);
        /* BROWSER_TEST_PATTERN: run only the tests whose names match (a regex) */
        char pattern[300];
        snprintf(pattern, sizeof pattern, "--test-name-pattern=%s",
                 ts_env("BROWSER_TEST_PATTERN", "."));
        execlp("node", "node", "--test", "--test-reporter=spec", pattern, "admin.test.mjs",
               (char *)NULL);
        fprintf(stderr, "cannot run node: %s (deploy/local/setup installs it)\n", strerror(errno));
        _exit(127);
    }
    int64_t deadline = ts_now_ms() + NODE_TIMEOUT_S * 1000LL;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (ts_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        ts_poll_pause();
    }
}

START_TEST(test_admin_page_in_a_real_browser)
{
    struct stat sb;
    ck_assert_msg(stat(LODGING_SOURCE_DIR "/tests/browser/node_modules/playwright-core", &sb) == 0,
                  "tests/browser/node_modules is missing: run deploy/local/setup (npm ci)");
    ck_assert_msg(access(ts_env("CHROMIUM", "/usr/bin/chromium"), X_OK) == 0,
                  "no chromium: run deploy/local/setup (apt package chromium)");
    int rc = run_node();
    ck_assert_msg(rc == 0, "the browser tests failed (exit %d); service logs: %s %s %s", rc,
                  inventory.log, booking.log, poller.log);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("browser_admin");
    TCase *tc = tcase_create("browser");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, NODE_TIMEOUT_S + 60);
    tcase_add_test(tc, test_admin_page_in_a_real_browser);
    suite_add_tcase(s, tc);
    return check_run(s);
}
