/* The migration runner on an empty database, a migrated one, a tampered one,
 * and with two runners at once. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/migrate.h"
#include "testsupport.h"
#include "check_run.h"

#define MIGRATIONS_DIR LODGING_SOURCE_DIR "/db/migrations"

static char dbname[64], url[512];

static const char *EXPECTED_TABLES[] = {
    "listings",  "room_types",       "pms_config",        "room_inventory",
    "rate_plan", "booking",          "saga_instance",     "saga_step_log",
    "outbox",    "idempotency_keys", "received_messages", "schema_migrations",
};

static void setup(void)
{
    ck_assert_int_eq(ts_db_create("lodging_it_mig", dbname, sizeof dbname, url, sizeof url), 0);
}

static void teardown(void)
{
    ts_db_drop(dbname);
}

static db_t *connect_db(void)
{
    char err[256];
    db_t *db = db_new(url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    return db;
}

static int count_files(void)
{
    int n = 0;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/[0-9][0-9][0-9]_*.sql | wc -l", MIGRATIONS_DIR);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

START_TEST(test_an_empty_database_gets_every_table_and_a_second_run_applies_nothing)
{
    db_t *db = connect_db();
    int applied = -1;
    char err[512] = "";
    ck_assert_msg(migrate_apply(db, MIGRATIONS_DIR, &applied, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(applied, count_files());
    for (size_t i = 0; i < sizeof EXPECTED_TABLES / sizeof *EXPECTED_TABLES; i++) {
        db_param_t p[] = {DB_STR(dbname), DB_STR(EXPECTED_TABLES[i])};
        db_result_t *res = NULL;
        ck_assert_int_eq(db_query(db,
                                  "SELECT 1 FROM information_schema.tables "
                                  "WHERE table_schema = ? AND table_name = ?",
                                  p, 2, &res),
                         DB_OK);
        ck_assert_msg(db_result_rows(res) == 1, "table %s missing", EXPECTED_TABLES[i]);
        db_result_free(res);
    }
    ck_assert_int_eq(migrate_apply(db, MIGRATIONS_DIR, &applied, err, sizeof err), 0);
    ck_assert_int_eq(applied, 0);
    db_free(db);
}
END_TEST

START_TEST(test_a_changed_applied_file_is_an_error_naming_it)
{
    db_t *db = connect_db();
    int applied;
    char err[512] = "";
    ck_assert_int_eq(migrate_apply(db, MIGRATIONS_DIR, &applied, err, sizeof err), 0);
    ck_assert_int_eq(db_exec(db,
                             "UPDATE schema_migrations SET checksum = REPEAT('0', 64) "
                             "WHERE version = 1",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    ck_assert_int_eq(migrate_apply(db, MIGRATIONS_DIR, &applied, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "001_"));
    ck_assert_ptr_nonnull(strstr(err, "changed"));
    db_free(db);
}
END_TEST

typedef struct runner {
    int rc;
    int applied;
    char err[512];
} runner_t;

static void *run_migrations(void *arg)
{
    runner_t *r = arg;
    char err[256];
    db_t *db = db_new(url, err, sizeof err);
    r->rc = db ? migrate_apply(db, MIGRATIONS_DIR, &r->applied, r->err, sizeof r->err) : -1;
    db_free(db);
    return NULL;
}

START_TEST(test_two_concurrent_runners_apply_each_file_once)
{
    runner_t a = {0}, b = {0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, run_migrations, &a);
    pthread_create(&tb, NULL, run_migrations, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_msg(a.rc == 0 && b.rc == 0, "%s / %s", a.err, b.err);
    ck_assert_int_eq(a.applied + b.applied, count_files());
}
END_TEST

static int collect(const char *stmt, void *ctx)
{
    int *n = ctx;
    (*n)++;
    ck_assert_ptr_null(strstr(stmt, "--"));
    return 0;
}

static int collect_body(const char *stmt, void *ctx)
{
    int *n = ctx;
    (*n)++;
    if (strstr(stmt, "PROCEDURE"))
        ck_assert_ptr_nonnull(strstr(stmt, "SELECT 1; SELECT ';'; END"));
    else
        ck_assert_ptr_null(strstr(stmt, "DELIMITER"));
    return 0;
}

START_TEST(test_sql_splitting_respects_quotes_and_comments)
{
    int n = 0;
    ck_assert_int_eq(
        migrate_split_sql("-- c; c\nSELECT 'a;b';\n/* x; y */ SELECT \"c;\";\n  \n", collect, &n),
        0);
    ck_assert_int_eq(n, 2);
    /* a routine body keeps its ';' between DELIMITER lines */
    n = 0;
    ck_assert_int_eq(migrate_split_sql("SELECT 1;\nDELIMITER //\nCREATE PROCEDURE p() BEGIN "
                                       "SELECT 1; SELECT ';'; END//\nDELIMITER ;\nSELECT 2;\n",
                                       collect_body, &n),
                     0);
    ck_assert_int_eq(n, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("migrate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_an_empty_database_gets_every_table_and_a_second_run_applies_nothing);
    tcase_add_test(tc, test_a_changed_applied_file_is_an_error_naming_it);
    tcase_add_test(tc, test_two_concurrent_runners_apply_each_file_once);
    tcase_add_test(tc, test_sql_splitting_respects_quotes_and_comments);
    suite_add_tcase(s, tc);
    return check_run(s);
}
