/*
 * testsupport.c — see testsupport.h.
 */
#include "testsupport.h"

#include "common/auth_store.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/db.h"
#include "common/http_client.h"
#include "common/migrate.h"
#include "common/redis.h"

const char *ts_env(const char *name, const char *def)
{
    const char *v = getenv(name);
    return (v && *v) ? v : def;
}

char *ts_unique_name(const char *prefix, char *out, size_t out_size)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)ts_now_ms();
    snprintf(out, out_size, "%s_%d_%08x", prefix, (int)getpid(), r);
    return out;
}

int64_t ts_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ts_poll_pause(void)
{
    struct timespec ts = {0, TS_POLL_INTERVAL_MS * 1000000L};
    nanosleep(&ts, NULL);
}

char *ts_copy_bytes(const void *p, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (n)
        memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

char *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_ge(size, 0);
    ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
    char *text = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)size;
    return text;
}

int ts_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* The MYSQL_URL without its database part ("mysql://u:p@host:port"). */
static void server_url(char *out, size_t size)
{
    const char *url = ts_env("MYSQL_URL", TS_DEFAULT_MYSQL_URL);
    const char *slash = strrchr(url, '/');
    if (slash && slash > url && slash[-1] != '/')
        snprintf(out, size, "%.*s", (int)(slash - url), url);
    else
        snprintf(out, size, "%s", url);
}

/* Runs one administrative statement on the server. */
static int admin_exec(const char *sql)
{
    char url[512], err[256];
    server_url(url, sizeof url);
    db_t *db = db_new(url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "testsupport: %s\n", err);
        return -1;
    }
    int rc = db_exec_script_statement(db, sql) == DB_OK ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "testsupport: %s\n", db_error(db));
    db_free(db);
    return rc;
}

int ts_db_create(const char *prefix, char *name_out, size_t name_size, char *url_out,
                 size_t url_size)
{
    char sql[256], url[512];
    ts_unique_name(prefix, name_out, name_size);
    snprintf(sql, sizeof sql, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", name_out);
    if (admin_exec(sql) != 0)
        return -1;
    server_url(url, sizeof url);
    snprintf(url_out, url_size, "%s/%s", url, name_out);
    return 0;
}

void ts_db_drop(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`", name);
    admin_exec(sql);
}

int ts_db_create_migrated(const char *prefix, char *name_out, size_t name_size, char *url_out,
                          size_t url_size)
{
    if (ts_db_create(prefix, name_out, name_size, url_out, url_size) != 0)
        return -1;
    char err[512];
    db_t *db = db_new(url_out, err, sizeof err);
    int applied = 0;
    int rc =
        db ? migrate_apply(db, LODGING_SOURCE_DIR "/db/migrations", &applied, err, sizeof err) : -1;
    db_free(db);
    if (rc != 0) {
        fprintf(stderr, "testsupport: migrating %s: %s\n", name_out, err);
        ts_db_drop(name_out);
        return -1;
    }
    return 0;
}

/* The REDIS_URL without a database index ("redis://host:port"). */
static void redis_server_url(char *out, size_t size)
{
    const char *url = ts_env("REDIS_URL", TS_DEFAULT_REDIS_URL);
    const char *scheme = strstr(url, "://");
    const char *slash = strchr(scheme ? scheme + 3 : url, '/');
    if (slash)
        snprintf(out, size, "%.*s", (int)(slash - url), url);
    else
        snprintf(out, size, "%s", url);
}

static int redis_flush_db(int index)
{
    char base[256], url[300];
    redis_server_url(base, sizeof base);
    snprintf(url, sizeof url, "%s/%d", base, index);
    redis_client_t *r = redis_client_new(url, 2000, 5000, NULL, 0);
    if (!r)
        return -1;
    const char *argv[] = {"FLUSHDB"};
    int rc = redis_command_argv(r, 1, argv, NULL, NULL) == REDIS_CLIENT_OK ? 0 : -1;
    redis_client_free(r);
    return rc;
}

int ts_redis_db_acquire(char *url_out, size_t url_size)
{
    char base[256], url[300], key[64], owner[32];
    redis_server_url(base, sizeof base);
    snprintf(url, sizeof url, "%s/0", base);
    redis_client_t *r = redis_client_new(url, 2000, 5000, NULL, 0);
    if (!r) {
        fprintf(stderr, "testsupport: cannot reach redis at %s\n", base);
        return -1;
    }
    snprintf(owner, sizeof owner, "%d", (int)getpid());
    uint32_t start = 0;
    if (getrandom(&start, sizeof start, 0) != (ssize_t)sizeof start)
        start = (uint32_t)getpid();
    int found = -1;
    for (int i = 0; i < TS_REDIS_DBS - 1 && found < 0; i++) {
        int n = 1 + (int)((start + (uint32_t)i) % (TS_REDIS_DBS - 1));
        snprintf(key, sizeof key, "lodging:test:redis-db:%d", n);
        int set = 0;
        if (redis_set_nx_ex(r, key, owner, 3600, &set) != REDIS_CLIENT_OK)
            break;
        if (set)
            found = n;
    }
    redis_client_free(r);
    if (found < 0 || redis_flush_db(found) != 0) {
        fprintf(stderr,
                "testsupport: no free redis database (is redis running with "
                "--databases %d?)\n",
                TS_REDIS_DBS);
        if (found >= 0)
            ts_redis_db_release(found);
        return -1;
    }
    snprintf(url_out, url_size, "%s/%d", base, found);
    return found;
}

void ts_redis_db_release(int db_index)
{
    if (db_index <= 0)
        return;
    redis_flush_db(db_index);
    char base[256], url[300], key[64];
    redis_server_url(base, sizeof base);
    snprintf(url, sizeof url, "%s/0", base);
    redis_client_t *r = redis_client_new(url, 2000, 5000, NULL, 0);
    if (!r)
        return;
    snprintf(key, sizeof key, "lodging:test:redis-db:%d", db_index);
    const char *keys[] = {key};
    redis_del(r, keys, 1, NULL);
    redis_client_free(r);
}

struct ts_proc {
    pid_t pid;
    bool exited;
    int status;
};

ts_proc_t *ts_proc_start(const char *path, const char *const *env, const char *log_path)
{
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "testsupport: %s is not an executable: %s\n", path, strerror(errno));
        return NULL;
    }
    ts_proc_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pid_t parent = getpid();
    p->pid = fork();
    if (p->pid < 0) {
        free(p);
        return NULL;
    }
    if (p->pid == 0) {
        /* A test that dies (an assertion, a sanitizer abort) takes its
         * services with it instead of leaving them running. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(path, path, (char *)NULL);
        _exit(127);
    }
    return p;
}

pid_t ts_proc_pid(const ts_proc_t *p)
{
    return p ? p->pid : -1;
}

bool ts_proc_alive(ts_proc_t *p)
{
    if (!p || p->exited)
        return false;
    if (waitpid(p->pid, &p->status, WNOHANG) == p->pid)
        p->exited = true;
    return !p->exited;
}

int ts_proc_stop(ts_proc_t *p, int sig, int timeout_ms)
{
    if (!p)
        return -1;
    int status = -1;
    if (!p->exited) {
        kill(p->pid, sig ? sig : SIGTERM);
        if (TS_POLL_UNTIL(!ts_proc_alive(p), timeout_ms)) {
            status = p->status;
        } else {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &p->status, 0);
        }
    } else {
        status = p->status;
    }
    free(p);
    return status;
}

bool ts_http_wait_ok(int port, const char *path, int timeout_ms)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    http_client_config_t cc = {
        .base_url = base, .connect_timeout_ms = 500, .total_timeout_ms = 2000};
    http_client_t *c = http_client_new(&cc);
    if (!c)
        return false;
    bool ok = TS_POLL_UNTIL(
        ({
            http_client_response_t r;
            bool up = http_client_get(c, path, NULL, NULL, &r) == HTTP_CLIENT_OK && r.status == 200;
            http_client_response_clear(&r);
            up;
        }),
        timeout_ms);
    http_client_free(c);
    return ok;
}

int ts_api_key_header(const char *db_url, const char *role, const char *hotels_csv,
                      char *header_out, char *key_id_out)
{
    char err[256], key[AUTH_API_KEY_LEN + 1], key_id[AUTH_KEY_ID_LEN + 1];
    auth_api_key_spec_t spec = {.name = "test", .hotels_csv = hotels_csv, .created_by = "test"};
    if (auth_role_parse(role, &spec.role) != 0)
        return -1;
    db_t *db = db_new(db_url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "ts_api_key_header: %s\n", err);
        return -1;
    }
    int rc = auth_api_key_create(db, &spec, key, key_id);
    db_free(db);
    if (rc != 0)
        return -1;
    snprintf(header_out, TS_AUTH_HEADER_MAX, "Authorization: Bearer %s", key);
    if (key_id_out)
        snprintf(key_id_out, AUTH_KEY_ID_LEN + 1, "%s", key_id);
    return 0;
}
