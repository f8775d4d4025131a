/* Every service binary starts, answers /healthz /readyz /metrics and a JSON
 * 404, exits 0 on SIGTERM, and refuses to start (exit 2, naming the variable)
 * on a malformed configuration value. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/http_client.h"
#include "testsupport.h"
#include "check_run.h"

#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 15000

typedef struct service_case {
    const char *name;
    const char *port_env;
} service_case_t;

static const service_case_t SERVICES[] = {
    {"booking-svc", "BOOKING_SVC_PORT"},
    {"inventory-svc", "INVENTORY_SVC_PORT"},
    {"webhook-ingest", "WEBHOOK_INGEST_PORT"},
    {"poller", "POLLER_PORT"},
};

/* A database of this run with the whole schema, so the services' readiness
 * (which checks their tables) does not depend on another run's database. */
static char db_name[96], db_url[512];

/* Starts the binary with one extra env var; stderr goes to `stderr_path`. */
static pid_t spawn(const char *name, const char *env_name, const char *env_value,
                   const char *stderr_path)
{
    char path[512];
    snprintf(path, sizeof path, "%s/services/%s/%s", LODGING_BINARY_DIR, name, name);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Dies with the test, so a failed assertion leaves nothing running. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setenv(env_name, env_value, 1);
        setenv("LOG_LEVEL", "warn", 1);
        /* webhook-ingest refuses to start without a webhook secret. */
        setenv("PMS_WEBHOOK_SECRET", "whsec_lifecycle", 0);
        /* booking-svc refuses to start without a payment gateway key. */
        setenv("PAYMENT_API_KEY", "sk_test_lifecycle", 0);
        setenv("MYSQL_URL", db_url, 1);
        int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execl(path, path, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits for the child with a deadline; returns its wait status or -1. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    int status = 0;
    bool done = TS_POLL_UNTIL(waitpid(pid, &status, WNOHANG) == pid, timeout_ms);
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return status;
}

static int get_status(http_client_t *c, const char *path, char **body)
{
    http_client_response_t r;
    int status = http_client_get(c, path, NULL, NULL, &r) == HTTP_CLIENT_OK ? r.status : 0;
    if (body)
        *body = r.body ? strdup(r.body) : NULL;
    http_client_response_clear(&r);
    return status;
}

START_TEST(test_each_service_serves_health_and_stops_cleanly_on_sigterm)
{
    const service_case_t *sc = &SERVICES[_i];
    int port = ts_free_port();
    char port_text[16], base[64], err_path[256];
    snprintf(port_text, sizeof port_text, "%d", port);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    snprintf(err_path, sizeof err_path, "%s/it_lifecycle_%s.log", LODGING_BINARY_DIR, sc->name);
    pid_t pid = spawn(sc->name, sc->port_env, port_text, err_path);
    ck_assert_int_gt(pid, 0);

    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 5000};
    http_client_t *c = http_client_new(&cc);
    bool up = TS_POLL_UNTIL(get_status(c, "/healthz", NULL) == 200, START_TIMEOUT_MS);
    if (!up)
        kill(pid, SIGKILL);
    ck_assert_msg(up, "%s did not answer /healthz", sc->name);

    char *body = NULL;
    ck_assert_int_eq(get_status(c, "/readyz", NULL), 200);
    ck_assert_int_eq(get_status(c, "/metrics", &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "service_info{service=\""));
    ck_assert_ptr_nonnull(strstr(body, sc->name));
    free(body);
    ck_assert_int_eq(get_status(c, "/no/such/path", &body), 404);
    ck_assert_ptr_nonnull(strstr(body, "\"errorCode\":\"NOT_FOUND\""));
    free(body);
    http_client_free(c);

    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status = wait_exit(pid, STOP_TIMEOUT_MS);
    ck_assert_msg(status != -1, "%s did not exit after SIGTERM", sc->name);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    unlink(err_path);
}
END_TEST

START_TEST(test_each_service_refuses_a_malformed_port_with_exit_code_2)
{
    const service_case_t *sc = &SERVICES[_i];
    char err_path[256];
    snprintf(err_path, sizeof err_path, "%s/it_lifecycle_bad_%s.log", LODGING_BINARY_DIR, sc->name);
    pid_t pid = spawn(sc->name, sc->port_env, "80a", err_path);
    int status = wait_exit(pid, STOP_TIMEOUT_MS);
    ck_assert(status != -1 && WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 2);
    FILE *f = fopen(err_path, "r");
    ck_assert_ptr_nonnull(f);
    char buf[4096] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(buf, sc->port_env) != NULL, "stderr does not name %s: %s", sc->port_env,
                  buf);
    unlink(err_path);
}
END_TEST

static void setup(void)
{
    ck_assert(ts_db_create_migrated("lifecycle", db_name, sizeof db_name, db_url, sizeof db_url) ==
              0);
}

static void teardown(void)
{
    ts_db_drop(db_name);
}

int main(void)
{
    Suite *s = suite_create("service lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    int n = (int)(sizeof SERVICES / sizeof *SERVICES);
    tcase_add_loop_test(tc, test_each_service_serves_health_and_stops_cleanly_on_sigterm, 0, n);
    tcase_add_loop_test(tc, test_each_service_refuses_a_malformed_port_with_exit_code_2, 0, n);
    suite_add_tcase(s, tc);
    return check_run(s);
}
