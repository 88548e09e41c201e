/* sp_pow_memo: a small per-thread memo in front of sp_pow (see sandpit/math.h). Keys are
 * the arguments' bit patterns, so -0.0 and 0.0 or two NaNs are never confused, and a hit
 * returns exactly the double sp_pow returned for the same bits. Per thread: server workers
 * step worlds in parallel and share nothing. */

#include <stdint.h>

#include "math_bits.h"
#include "sandpit/math.h"

/* A world asks for up to four pairs per step (collision bias, joint error bias, damping,
 * and the defaults at creation); eight covers a thread stepping a few envs of different dt. */
#define MEMO_SLOTS 8

typedef struct pow_memo {
    uint64_t x[MEMO_SLOTS];
    uint64_t y[MEMO_SLOTS];
    double result[MEMO_SLOTS];
    unsigned used;   /* slots filled so far */
    unsigned victim; /* the next slot to overwrite once all are used (round robin) */
} pow_memo;

static _Thread_local pow_memo memo;

double sp_pow_memo(double x, double y) {
    uint64_t bx = sp_bits(x), by = sp_bits(y);
    for (unsigned i = 0; i < memo.used; i++)
        if (memo.x[i] == bx && memo.y[i] == by) return memo.result[i];
    double r = sp_pow(x, y);
    unsigned slot;
    if (memo.used < MEMO_SLOTS) {
        slot = memo.used++;
    } else {
        slot = memo.victim;
        memo.victim = (memo.victim + 1) % MEMO_SLOTS;
    }
    memo.x[slot] = bx;
    memo.y[slot] = by;
    memo.result[slot] = r;
    return r;
}
