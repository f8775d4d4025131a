/*
 * admin_static.c — the admin page's files from memory (admin_static.h).
 */
#include "admin_static.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"

struct admin_static {
    char dir[PATH_MAX];
    admin_static_file_t files[ADMIN_STATIC_MAX_FILES];
    size_t count;
};

static const struct {
    const char *ext;
    const char *type;
} CONTENT_TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

/* ------------------------------------------------------------ names -- */

bool admin_static_name_ok(const char *name)
{
    if (!name || !name[0] || name[0] == '.')
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n + 1 >= ADMIN_STATIC_NAME_MAX)
            return false;
    }
    return true;
}

const char *admin_static_content_type(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof CONTENT_TYPES / sizeof *CONTENT_TYPES; i++)
        if (strcmp(dot, CONTENT_TYPES[i].ext) == 0)
            return CONTENT_TYPES[i].type;
    return NULL;
}

/* ---------------------------------------------------------- loading -- */

/* The whole regular file at `path` into *out (malloc'd, NUL-terminated).
 * 0, or -1 (logged). */
static int read_whole(const char *path, char **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_warn("admin page: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size > ADMIN_STATIC_MAX_FILE_BYTES) {
        log_warn("admin page: %s is not a regular file of at most %d bytes; not served", path,
                 ADMIN_STATIC_MAX_FILE_BYTES);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)sb.st_size;
    char *buf = malloc(n + 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        log_warn("admin page: cannot read %s", path);
        return -1;
    }
    buf[n] = '\0';
    fclose(f);
    *out = buf;
    *size = n;
    return 0;
}

static void add_file(admin_static_t *st, const char *name)
{
    const char *type = admin_static_content_type(name);
    if (!admin_static_name_ok(name) || !type)
        return; /* dot files, editor backups, unknown types: never served */
    if (st->count == ADMIN_STATIC_MAX_FILES) {
        log_warn("admin page: more than %d files in %s; %s not served", ADMIN_STATIC_MAX_FILES,
                 st->dir, name);
        return;
    }
    char path[PATH_MAX + ADMIN_STATIC_NAME_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", st->dir, name);
    admin_static_file_t *f = &st->files[st->count];
    if (read_whole(path, &f->body, &f->size) != 0)
        return;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->content_type = type;
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    crypto_sha256_hex(f->body, f->size, hex);
    snprintf(f->etag, sizeof f->etag, "\"%.16s\"", hex);
    st->count++;
}

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The default folder: admin/ beside the executable, else the installed
 * share/lodging/admin. "" when neither exists. */
static void default_dir(char *out, size_t size)
{
    out[0] = '\0';
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    char candidate[PATH_MAX + 32];
    snprintf(candidate, sizeof candidate, "%s/admin", exe);
    if (is_dir(candidate) && strlen(candidate) < size) {
        snprintf(out, size, "%s", candidate);
        return;
    }
    snprintf(candidate, sizeof candidate, "%s/../share/lodging/admin", exe);
    if (is_dir(candidate) && strlen(candidate) < size)
        snprintf(out, size, "%s", candidate);
}

admin_static_t *admin_static_load(const char *dir)
{
    admin_static_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    if (dir && dir[0])
        snprintf(st->dir, sizeof st->dir, "%s", dir);
    else
        default_dir(st->dir, sizeof st->dir);
    DIR *d = st->dir[0] ? opendir(st->dir) : NULL;
    if (!d) {
        log_warn("admin page: no folder of its files (%s); /admin answers 404 — set "
                 "ADMIN_STATIC_DIR",
                 st->dir[0] ? st->dir : "none beside the executable");
        st->dir[0] = '\0';
        return st;
    }
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        add_file(st, e->d_name);
    closedir(d);
    log_kv(LOG_LEVEL_INFO, "admin page loaded", "dir", st->dir, NULL);
    return st;
}

void admin_static_free(admin_static_t *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->count; i++)
        free(st->files[i].body);
    free(st);
}

const char *admin_static_dir(const admin_static_t *st)
{
    return st ? st->dir : "";
}

size_t admin_static_count(const admin_static_t *st)
{
    return st ? st->count : 0;
}

const admin_static_file_t *admin_static_find(const admin_static_t *st, const char *name)
{
    if (!st || !admin_static_name_ok(name))
        return NULL;
    for (size_t i = 0; i < st->count; i++)
        if (strcmp(st->files[i].name, name) == 0)
            return &st->files[i];
    return NULL;
}

/* -------------------------------------------------------- answering -- */

static void security_headers(http_request_t *req)
{
    http_response_header(req, "Content-Security-Policy", ADMIN_STATIC_CSP);
    http_response_header(req, "X-Content-Type-Options", "nosniff");
    http_response_header(req, "X-Frame-Options", "DENY");
    http_response_header(req, "Referrer-Policy", "no-referrer");
    http_response_header(req, "Cross-Origin-Opener-Policy", "same-origin");
}

/* True when the If-None-Match header lists `etag` (or is "*"). */
static bool etag_matches(const char *header, const char *etag)
{
    if (!header)
        return false;
    if (strcmp(header, "*") == 0)
        return true;
    const char *p = strstr(header, etag);
    return p != NULL;
}

int admin_static_respond(const admin_static_t *st, http_request_t *req, const char *name)
{
    security_headers(req);
    const admin_static_file_t *f = admin_static_find(st, name ? name : ADMIN_STATIC_INDEX);
    if (!f) {
        const char *why = admin_static_count(st) == 0
                              ? "the admin page is not installed on this server (ADMIN_STATIC_DIR)"
                              : "no such file of the admin page";
        return http_respond_error(req, 404, "NOT_FOUND", NULL, why);
    }
    /* the files are not renamed per version: the browser asks again every
     * time and gets a 304 while the ETag (the content's hash) is unchanged */
    http_response_header(req, "Cache-Control", "no-cache");
    http_response_header(req, "ETag", f->etag);
    if (etag_matches(http_request_header(req, "If-None-Match"), f->etag))
        return http_respond(req, 304, NULL, "", 0);
    return http_respond(req, 200, f->content_type, f->body, f->size);
}
