#include "ensure.h"

int sp_test_failures = 0;

int sp_test_run(int argc, char** argv, const sp_test_case* cases, int count) {
    int ran = 0;
    for (int i = 0; i < count; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        int before = sp_test_failures;
        cases[i].run();
        printf("%s %s\n", sp_test_failures == before ? "ok  " : "FAIL", cases[i].name);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test named '%s'\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    printf("%d cases, %d failed\n", ran, sp_test_failures);
    return sp_test_failures ? 1 : 0;
}
