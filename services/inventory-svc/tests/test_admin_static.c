/* admin_static.c: the admin page's files — only the loaded table is ever
 * served, whatever path a client sends, with the security headers. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_static.h"
#include "check_run.h"
#include "common/http_server.h"

static char dir[64], outside[96];

static void write_file(const char *name, const char *text)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A folder with the page, a dot file, a file of an unknown type and a
 * sub-folder; beside it a secret that must never be served. */
static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/admin_static_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_file("index.html", "<!doctype html><title>admin</title>");
    write_file("app.js", "export const x = 1;\n");
    write_file("app.css", "body{}\n");
    write_file(".env.js", "secret\n");
    write_file("notes.md", "not served\n");
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    snprintf(outside, sizeof outside, "%s.secret.txt", dir);
    FILE *f = fopen(outside, "w");
    ck_assert_ptr_nonnull(f);
    fputs("outside\n", f);
    fclose(f);
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, outside);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_names_that_could_leave_the_folder_are_refused)
{
    ck_assert(admin_static_name_ok("app.js"));
    ck_assert(admin_static_name_ok("i18n-ko_KR.json"));
    ck_assert(!admin_static_name_ok(NULL));
    ck_assert(!admin_static_name_ok(""));
    ck_assert(!admin_static_name_ok(".."));
    ck_assert(!admin_static_name_ok("."));
    ck_assert(!admin_static_name_ok(".env.js"));
    ck_assert(!admin_static_name_ok("../app.js"));
    ck_assert(!admin_static_name_ok("a/b.js"));
    ck_assert(!admin_static_name_ok("a\\b.js"));
    ck_assert(!admin_static_name_ok("%2e%2e"));
    ck_assert(!admin_static_name_ok("app.js\n"));
    char long_name[ADMIN_STATIC_NAME_MAX + 1];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    ck_assert(!admin_static_name_ok(long_name));
}
END_TEST

START_TEST(test_only_known_types_are_loaded)
{
    ck_assert_str_eq(admin_static_content_type("app.js"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(admin_static_content_type("index.html"), "text/html; charset=utf-8");
    ck_assert_ptr_null(admin_static_content_type("notes.md"));
    ck_assert_ptr_null(admin_static_content_type("Makefile"));
    admin_static_t *st = admin_static_load(dir);
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(admin_static_count(st), 3);
    const admin_static_file_t *f = admin_static_find(st, "app.js");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->body, "export const x = 1;\n");
    ck_assert_uint_eq(strlen(f->etag), 18);
    ck_assert_ptr_null(admin_static_find(st, ".env.js"));
    ck_assert_ptr_null(admin_static_find(st, "notes.md"));
    ck_assert_ptr_null(admin_static_find(st, "sub"));
    ck_assert_ptr_null(admin_static_find(st, ".."));
    admin_static_free(st);
}
END_TEST

START_TEST(test_a_missing_folder_gives_an_empty_table)
{
    admin_static_t *st = admin_static_load("/nonexistent/admin");
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(admin_static_count(st), 0);
    ck_assert_str_eq(admin_static_dir(st), "");
    admin_static_free(st);
}
END_TEST

/* ------------------------------------------------- over real HTTP -- */

static admin_static_t *served;

static int page(http_request_t *req, void *ctx)
{
    return admin_static_respond(ctx, req, NULL);
}

static int asset(http_request_t *req, void *ctx)
{
    return admin_static_respond(ctx, req, http_request_param(req, "asset"));
}

/* Sends `head` as it is (no client normalises the path) and reads the whole
 * answer into out. */
static void raw_request(int port, const char *head, char *out, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    size_t used = 0;
    ssize_t n;
    while (used + 1 < size && (n = read(fd, out + used, size - used - 1)) > 0)
        used += (size_t)n;
    out[used] = '\0';
    close(fd);
}

static void get(int port, const char *path, const char *extra, char *out, size_t size)
{
    char head[512];
    snprintf(head, sizeof head, "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n", path,
             extra ? extra : "");
    raw_request(port, head, out, size);
}

START_TEST(test_served_with_strict_headers_and_no_way_out_of_the_folder)
{
    served = admin_static_load(dir);
    http_server_config_t hc = {.service = "test", .bind_address = "127.0.0.1", .port = 0};
    http_server_t *srv = http_server_new(&hc);
    ck_assert_int_eq(http_server_route(srv, "GET", "/admin", AUTH_RULE_OPEN, page, served), 0);
    ck_assert_int_eq(http_server_route(srv, "GET", "/admin/:asset", AUTH_RULE_OPEN, asset, served),
                     0);
    ck_assert_int_eq(http_server_start(srv), 0);
    int port = http_server_port(srv);
    static char r[8192];

    get(port, "/admin", NULL, r, sizeof r);
    ck_assert_msg(strstr(r, "HTTP/1.1 200") == r, "%s", r);
    ck_assert(strstr(r, "<title>admin</title>"));
    ck_assert(strstr(r, "text/html; charset=utf-8"));
    ck_assert(strstr(r, "Content-Security-Policy: default-src 'self'; script-src 'self'; "
                        "style-src 'self';"));
    ck_assert(strstr(r, "frame-ancestors 'none'"));
    ck_assert(strstr(r, "X-Content-Type-Options: nosniff"));
    ck_assert(strstr(r, "Cache-Control: no-cache"));
    get(port, "/admin/", NULL, r, sizeof r);
    ck_assert_msg(strstr(r, "HTTP/1.1 200") == r, "%s", r);

    get(port, "/admin/app.js", NULL, r, sizeof r);
    ck_assert_msg(strstr(r, "HTTP/1.1 200") == r, "%s", r);
    ck_assert(strstr(r, "text/javascript"));
    const char *etag = strstr(r, "ETag: ");
    ck_assert_ptr_nonnull(etag);
    char if_none[64];
    snprintf(if_none, sizeof if_none, "If-None-Match: %.18s\r\n", etag + 6);
    get(port, "/admin/app.js", if_none, r, sizeof r);
    ck_assert_msg(strstr(r, "HTTP/1.1 304") == r, "%s", r);

    const char *refused[] = {"/admin/..",
                             "/admin/../admin_static_x.secret.txt",
                             "/admin/..%2f..%2fetc%2fpasswd",
                             "/admin/%2e%2e",
                             "/admin/.env.js",
                             "/admin/notes.md",
                             "/admin/sub",
                             "/admin/sub/../app.js",
                             "/admin//etc/passwd"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        get(port, refused[i], NULL, r, sizeof r);
        ck_assert_msg(strstr(r, "HTTP/1.1 404") == r || strstr(r, "HTTP/1.1 400") == r, "%s: %.40s",
                      refused[i], r);
        ck_assert_msg(!strstr(r, "outside") && !strstr(r, "secret\n") && !strstr(r, "root:"),
                      "%s leaked: %s", refused[i], r);
    }
    /* a NUL decoded from the path ends the name: still only that file, as its own type */
    get(port, "/admin/app.js%00.html", NULL, r, sizeof r);
    ck_assert(strstr(r, "HTTP/1.1 404") == r || strstr(r, "text/javascript"));
    http_server_free(srv);
    admin_static_free(served);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admin_static");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_names_that_could_leave_the_folder_are_refused);
    tcase_add_test(tc, test_only_known_types_are_loaded);
    tcase_add_test(tc, test_a_missing_folder_gives_an_empty_table);
    tcase_add_test(tc, test_served_with_strict_headers_and_no_way_out_of_the_folder);
    suite_add_tcase(s, tc);
    return check_run(s);
}
