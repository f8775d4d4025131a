/*
 * check_run.h — the one way every check suite of this repository is run.
 *
 *     int main(void) { Suite *s = suite_create("x"); ...; return check_run(s); }
 *
 * Runs every test (CK_NORMAL output), frees the runner, and turns the result
 * into the process exit code CTest reads.
 */
#ifndef CHECK_RUN_H
#define CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* CHECK_RUN_H */
