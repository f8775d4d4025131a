/*
 * ts_session.c — see ts_session.h.
 */
#include "ts_session.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/auth_store.h"

#define LOGIN_TIMEOUT_MS 15000

int ts_account_create(const char *db_url, const char *email, const char *role,
                      const char *hotels_csv, const char *password)
{
    char err[256], id[AUTH_ID_MAX + 1];
    auth_account_spec_t spec = {.email = email, .hotels_csv = hotels_csv, .password = password};
    if (auth_role_parse(role, &spec.role) != 0)
        return -1;
    db_t *db = db_new(db_url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "ts_account_create: %s\n", err);
        return -1;
    }
    auth_account_err_t rc = auth_account_create(db, &spec, id);
    db_free(db);
    if (rc != AUTH_ACCOUNT_OK)
        fprintf(stderr, "ts_account_create: error %d\n", (int)rc);
    return rc == AUTH_ACCOUNT_OK ? 0 : -1;
}

typedef struct buffer {
    char data[4096];
    size_t len;
} buffer_t;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    buffer_t *b = ctx;
    size_t len = size * n, room = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, p, len < room ? len : room);
    b->len += len < room ? len : room;
    b->data[b->len] = '\0';
    return len;
}

/* Keeps the Set-Cookie header's value (without the line end). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    ts_session_t *s = ctx;
    size_t len = size * n;
    static const char name[] = "Set-Cookie:";
    if (len > sizeof name && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen && (*v == ' ')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
            vlen--;
        snprintf(s->set_cookie, sizeof s->set_cookie, "%.*s", (int)vlen, v);
    }
    return len;
}

/* Fills the Cookie and X-CSRF-Token headers from the answer. 0 or -1. */
static int session_from_answer(ts_session_t *s, const char *body)
{
    const char *semi = strchr(s->set_cookie, ';');
    int n = semi ? (int)(semi - s->set_cookie) : (int)strlen(s->set_cookie);
    json_object *o = json_tokener_parse(body), *t;
    if (!o || !json_object_object_get_ex(o, "csrfToken", &t) || n == 0) {
        json_object_put(o);
        return -1;
    }
    snprintf(s->csrf_token, sizeof s->csrf_token, "%s", json_object_get_string(t));
    snprintf(s->csrf_header, sizeof s->csrf_header, "X-CSRF-Token: %s", s->csrf_token);
    snprintf(s->cookie_header, sizeof s->cookie_header, "Cookie: %.*s", n, s->set_cookie);
    json_object_put(o);
    return 0;
}

int ts_session_login(int port, const char *email, const char *password, ts_session_t *out)
{
    memset(out, 0, sizeof *out);
    json_object *req = json_object_new_object();
    json_object_object_add(req, "email", json_object_new_string(email));
    json_object_object_add(req, "password", json_object_new_string(password));
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/auth/login", port);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    buffer_t body = {.len = 0};
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_object_to_json_string(req));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)LOGIN_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    json_object_put(req);
    if (status == 200 && session_from_answer(out, body.data) != 0)
        status = -1;
    if (status != 200) {
        memset(out, 0, sizeof *out);
    }
    return (int)status;
}
