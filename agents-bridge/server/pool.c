#include "pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "invariant.h"

struct sp_pool {
    int threads;
    pthread_t* workers;
    int started;

    pthread_mutex_t lock;
    pthread_cond_t work;     /* a job was posted, or the pool is stopping */
    pthread_cond_t finished; /* the last range of a job finished */
    uint64_t job;            /* bumped per job, so a worker never runs one twice */
    bool stopping;

    /* The current job. */
    sp_pool_fn fn;
    void* ctx;
    int n;
    int chunks;
    int next_chunk; /* the next range to claim */
    int pending;    /* ranges not yet finished */
};

/* Claims and runs ranges of the current job until none is left. Called with the lock held;
 * returns with it held. */
static void drain(sp_pool* p) {
    while (p->next_chunk < p->chunks) {
        int c = p->next_chunk++;
        int begin = (int)((int64_t)p->n * c / p->chunks);
        int end = (int)((int64_t)p->n * (c + 1) / p->chunks);
        sp_pool_fn fn = p->fn;
        void* ctx = p->ctx;
        pthread_mutex_unlock(&p->lock);
        fn(ctx, begin, end, c);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0) pthread_cond_signal(&p->finished);
    }
}

static void* worker_main(void* arg) {
    sp_pool* p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->job == seen)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stopping) break;
        seen = p->job;
        drain(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

sp_pool* sp_pool_create(int threads) {
    if (threads < 1) return NULL;
    sp_pool* p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->finished, NULL);
    if (threads > 1 && !(p->workers = calloc((size_t)threads - 1, sizeof *p->workers))) {
        sp_pool_destroy(p);
        return NULL;
    }
    /* Workers block every signal, so SIGINT and SIGTERM reach the thread running the loop. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int t = 0; t < threads - 1; t++) {
        if (pthread_create(&p->workers[t], NULL, worker_main, p) != 0) break;
        p->started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p->started != threads - 1) {
        sp_pool_destroy(p);
        return NULL;
    }
    return p;
}

void sp_pool_destroy(sp_pool* p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int t = 0; t < p->started; t++)
        pthread_join(p->workers[t], NULL);
    pthread_cond_destroy(&p->finished);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}

int sp_pool_threads(const sp_pool* p) {
    return p->threads;
}

void sp_pool_run(sp_pool* p, int n, int chunks, sp_pool_fn fn, void* ctx) {
    SP_ASSERT(chunks >= 1);
    if (chunks == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&p->lock);
    SP_ASSERT(p->pending == 0);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->chunks = chunks;
    p->next_chunk = 0;
    p->pending = chunks;
    p->job++;
    pthread_cond_broadcast(&p->work);
    drain(p);
    while (p->pending > 0)
        pthread_cond_wait(&p->finished, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
