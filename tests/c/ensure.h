#ifndef SANDPIT_TESTS_ENSURE_H
#define SANDPIT_TESTS_ENSURE_H

/* A tiny test harness: ENSURE checks a condition, prints file and line on failure and fails
 * the test executable. Each test_<area>.c is its own executable with a table of cases. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int sp_test_failures;

#define ENSURE(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: ENSURE(%s) failed\n", __FILE__, __LINE__, #cond);              \
            sp_test_failures++;                                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ENSURE_MSG(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: ENSURE(%s) failed: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            sp_test_failures++;                                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

typedef struct sp_test_case {
    const char* name;
    void (*run)(void);
} sp_test_case;

/* Runs every case (or only the one named in argv[1]); returns the exit status. */
int sp_test_run(int argc, char** argv, const sp_test_case* cases, int count);

#define SP_TEST_MAIN(cases)                                                                        \
    int main(int argc, char** argv) {                                                              \
        return sp_test_run(argc, argv, cases, (int)(sizeof cases / sizeof cases[0]));              \
    }

#endif
