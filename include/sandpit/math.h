#ifndef SANDPIT_MATH_H
#define SANDPIT_MATH_H

/* Deterministic transcendental functions for everything that feeds the simulated state: envs,
 * scenes, random streams, fault tables and Chipmunk itself (its cpfsin, cpfcos, cpfatan2,
 * cpfacos, cpfexp and cpfpow macros point here).
 *
 * libm is not an option on that path: glibc picks FMA or non-FMA variants of sin, exp and log
 * by CPU at run time, and other C libraries use other algorithms, so the same program gives
 * different bits on different machines. These are fdlibm's algorithms (Sun, 1993, via musl
 * and FreeBSD's msun: the ones Java's StrictMath standardises for the same reason), built
 * with contraction off and no FMA, so every operation is one IEEE 754 double operation in a
 * fixed order: the same bits on every x86-64 and AArch64 machine and every compiler.
 *
 * Accuracy against glibc's libm (tests/c/test_math.c measures it; docs/DETERMINISM.md lists
 * the figures): under 1 ulp for every function. The only libm calls left on the simulated
 * path are those IEEE 754 defines exactly: sqrt, fabs, floor, scalbn, fmod. */

/* Identifies these functions' results in replay headers: bump when any result can change. */
#define SP_MATH_ID "sp-fdlibm-1"

/* sin(x), x in radians; NaN for infinite or NaN x. Exact argument reduction at any size. */
double sp_sin(double x);

/* cos(x), x in radians; NaN for infinite or NaN x. */
double sp_cos(double x);

/* Both at once, one argument reduction: *s = sp_sin(x) and *c = sp_cos(x), bit for bit. */
void sp_sincos(double x, double* s, double* c);

/* atan2(y, x) in [-pi, pi], with C99's special cases (signed zeros, infinities). */
double sp_atan2(double y, double x);

/* acos(x) in [0, pi]; NaN outside [-1, 1]. Built on sp_atan2. */
double sp_acos(double x);

/* e^x; +inf above about 709.78, 0 below about -745.13. */
double sp_exp(double x);

/* Natural logarithm; -inf at 0, NaN below 0. */
double sp_log(double x);

/* x^y with C99's special cases (pow(x, 0) == 1, negative x with integer y, ...). */
double sp_pow(double x, double y);

/* sp_pow(x, y), bit for bit, remembering the last few (x, y) pairs this thread asked for.
 * Chipmunk raises the same bias and damping constants to the same dt at every step of
 * every world (a CartPole step spent a fifth of its time there); a pure function's memo
 * cannot change a result, only skip recomputing it. */
double sp_pow_memo(double x, double y);

#endif
