/*
 * admin_static.h — the admin page's files (HTML, CSS, JavaScript modules),
 * served by inventory-svc at /admin and /admin/<file> from the same origin as
 * the API the page calls.
 *
 * Usage:
 *     admin_static_t *st = admin_static_load(config_get_str(cfg, "ADMIN_STATIC_DIR", NULL));
 *     const admin_static_file_t *f = admin_static_find(st, "app.js");   // NULL: 404
 *     ... respond f->body (f->size bytes) as f->content_type, ETag f->etag ...
 *     admin_static_free(st);
 *
 * The files of one flat folder are read once at start into memory: a request
 * names a file by a single path segment that is looked up in that table, so
 * no request ever reaches the file system ("..", encoded slashes, dot files
 * and unknown types simply are not in the table). Files with an extension
 * the table has no content type for are not served at all. Without a folder
 * the table is empty and /admin answers 404 saying so.
 *
 * Thread-safety: read-only after load, so any number of request threads may
 * share it. Ownership: the table owns every file; admin_static_free releases it.
 */
#ifndef INVENTORY_ADMIN_STATIC_H
#define INVENTORY_ADMIN_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/http_server.h"

/* Files larger than this are skipped with a warning (the page's are a few KiB). */
#define ADMIN_STATIC_MAX_FILE_BYTES (2 * 1024 * 1024)
#define ADMIN_STATIC_MAX_FILES 64
#define ADMIN_STATIC_NAME_MAX 64
#define ADMIN_STATIC_INDEX "index.html"

/* Every answer of the admin page carries these: scripts and styles only from
 * our own origin (no inline code), API calls only to it, PMS photos from any
 * https host, never framed. */
#define ADMIN_STATIC_CSP                                                                           \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "       \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "form-action 'self'; frame-ancestors 'none'"

typedef struct admin_static_file {
    char name[ADMIN_STATIC_NAME_MAX];
    const char *content_type;
    char *body;
    size_t size;
    char etag[24]; /* "\"<16 hex digits>\"" of the content */
} admin_static_file_t;

typedef struct admin_static admin_static_t;

/* Reads the folder `dir`; NULL or "" = the default: `admin/` beside the
 * executable (the build tree), else `../share/lodging/admin` from it (an
 * installed tree). Never NULL except out of memory; a missing folder gives an
 * empty table (logged as a warning). */
admin_static_t *admin_static_load(const char *dir);
void admin_static_free(admin_static_t *st);

/* The folder the files came from ("" when none was found). */
const char *admin_static_dir(const admin_static_t *st);
size_t admin_static_count(const admin_static_t *st);

/* True for a name the table could hold: 1..63 of [A-Za-z0-9._-], not starting
 * with a dot. */
bool admin_static_name_ok(const char *name);

/* The content type for a file name by its extension, or NULL when such files
 * are not served. */
const char *admin_static_content_type(const char *name);

/* The file called `name` (a single path segment), or NULL. */
const admin_static_file_t *admin_static_find(const admin_static_t *st, const char *name);

/* Answers GET for `name` (NULL: the index) with the security and caching
 * headers, 304 when If-None-Match matches, 404 JSON when there is no such
 * file. Returns what http_respond returns. */
int admin_static_respond(const admin_static_t *st, http_request_t *req, const char *name);

#endif /* INVENTORY_ADMIN_STATIC_H */
