/* The async stepping runner (async.h). One mutex guards the job FIFO and every session's
 * pending and finished lists; envs are stepped outside it. A finished env wakes the loop
 * through an eventfd, written once per wake-up rather than once per env. */

#include "async.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sandpit/error.h"

#define MSG_MAX 512

typedef struct job {
    sp_async_state* st;
    int env;
} job;

struct sp_async {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t idle; /* a session's last running env finished */
    pthread_t* threads;
    int thread_count;
    bool stop;
    job* ring;
    int capacity, head, count;
    int wake_fd;
    bool woken; /* the eventfd holds a wake-up the loop has not drained */
    sp_async_step_fn step;
};

struct sp_async_state {
    sp_async* runner;
    sp_session* s;
    sp_sessions* table;
    size_t held;      /* counted against the ceiling (sp_sessions_hold) */
    uint8_t* pending; /* [N] 1 from send to recv */
    int pending_count;
    int running;   /* envs a thread is stepping now */
    int* codes;    /* [N] the result of each finished env's step */
    int32_t* done; /* [N] ring of finished envs, in the order they finished */
    int done_head, done_count;
    char message[MSG_MAX]; /* the first failure not yet handed back */
    int message_env;       /* its env, -1: none */
    int waiting;           /* batch size of a recv waiting, 0: none */
    sp_async_out out;
};

/* Notes env `env` of `st` finished with `rc` (under the lock). The loop is woken only when a
 * held recv of the session can now be answered: not once per env. */
static void finish(sp_async* a, sp_async_state* st, int env, int rc, const char* err) {
    st->running--;
    st->codes[env] = rc;
    if (rc != SP_OK && st->message_env < 0) {
        st->message_env = env;
        snprintf(st->message, sizeof st->message, "%s", err);
    }
    int n = st->s->def.num_envs;
    st->done[(st->done_head + st->done_count) % n] = env;
    st->done_count++;
    if (st->running == 0) pthread_cond_broadcast(&a->idle);
    if (st->waiting > 0 && st->done_count == st->waiting && !a->woken) {
        a->woken = true;
        uint64_t one = 1;
        ssize_t w = write(a->wake_fd, &one, sizeof one);
        (void)w; /* an eventfd write only fails when it would overflow: a wake-up is there */
    }
}

static void* worker(void* arg) {
    sp_async* a = arg;
    char err[MSG_MAX];
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->stop && a->count == 0)
            pthread_cond_wait(&a->work, &a->mu);
        if (a->stop) break;
        job j = a->ring[a->head];
        a->head = (a->head + 1) % a->capacity;
        a->count--;
        j.st->running++;
        pthread_mutex_unlock(&a->mu);
        err[0] = '\0';
        int rc = a->step(j.st->s, j.env, err, sizeof err);
        pthread_mutex_lock(&a->mu);
        finish(a, j.st, j.env, rc, err);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

sp_async* sp_async_create(int threads, int capacity, sp_async_step_fn step) {
    sp_async* a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->wake_fd = -1;
    a->step = step;
    a->capacity = capacity;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->idle, NULL);
    a->ring = calloc((size_t)capacity, sizeof *a->ring);
    a->threads = calloc((size_t)threads, sizeof *a->threads);
    a->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!a->ring || !a->threads || a->wake_fd < 0) {
        sp_async_destroy(a);
        return NULL;
    }
    for (; a->thread_count < threads; a->thread_count++) {
        if (pthread_create(&a->threads[a->thread_count], NULL, worker, a) != 0) {
            sp_async_destroy(a);
            return NULL;
        }
    }
    return a;
}

void sp_async_destroy(sp_async* a) {
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_broadcast(&a->work);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < a->thread_count; i++)
        pthread_join(a->threads[i], NULL);
    pthread_cond_destroy(&a->idle);
    pthread_cond_destroy(&a->work);
    pthread_mutex_destroy(&a->mu);
    if (a->wake_fd >= 0) close(a->wake_fd);
    free(a->threads);
    free(a->ring);
    free(a);
}

int sp_async_wake_fd(const sp_async* a) {
    return a->wake_fd;
}

void sp_async_drain_wake(sp_async* a) {
    pthread_mutex_lock(&a->mu);
    uint64_t v;
    ssize_t r = read(a->wake_fd, &v, sizeof v);
    (void)r;
    a->woken = false;
    pthread_mutex_unlock(&a->mu);
}

size_t sp_async_state_bytes(int num_envs, int obs_size) {
    size_t n = (size_t)num_envs, k = (size_t)obs_size;
    size_t lists = n * (sizeof(uint8_t) + sizeof(int) + sizeof(int32_t));
    size_t out = n * (2 * k * sizeof(float) + 2 * sizeof(double) + 2 * sizeof(uint8_t) +
                      2 * sizeof(uint64_t) + 4 * sizeof(int32_t) + sizeof(const char*));
    return sizeof(sp_async_state) + lists + out;
}

static void free_state(sp_async_state* st) {
    free(st->pending);
    free(st->codes);
    free(st->done);
    sp_async_out* o = &st->out;
    free(o->ids);
    free(o->obs);
    free(o->reward);
    free(o->terminated);
    free(o->truncated);
    free(o->hash);
    free(o->final_index);
    free(o->final_return);
    free(o->final_length);
    free((void*)o->final_reason);
    free(o->final_seed);
    free(o->final_obs);
    free(o->reset_index);
    free(st);
}

int sp_async_attach(sp_async* a, sp_sessions* t, sp_session* s, char* err, size_t err_sz) {
    size_t n = (size_t)s->def.num_envs, k = (size_t)s->obs_size;
    size_t bytes = sp_async_state_bytes(s->def.num_envs, s->obs_size);
    if (!sp_sessions_hold(t, bytes)) {
        snprintf(err, err_sz,
                 "async stepping of session %llu needs %zu bytes more than the memory ceiling "
                 "leaves",
                 (unsigned long long)s->id, bytes);
        return SP_E_LIMIT;
    }
    sp_async_state* st = calloc(1, sizeof *st);
    if (st) {
        sp_async_out* o = &st->out;
        st->pending = calloc(n, 1);
        st->codes = calloc(n, sizeof *st->codes);
        st->done = calloc(n, sizeof *st->done);
        o->ids = calloc(n, sizeof *o->ids);
        o->obs = calloc(n * k, sizeof *o->obs);
        o->final_obs = calloc(n * k, sizeof *o->final_obs);
        o->reward = calloc(n, sizeof *o->reward);
        o->terminated = calloc(n, 1);
        o->truncated = calloc(n, 1);
        o->hash = calloc(n, sizeof *o->hash);
        o->final_index = calloc(n, sizeof *o->final_index);
        o->final_return = calloc(n, sizeof *o->final_return);
        o->final_length = calloc(n, sizeof *o->final_length);
        o->final_reason = calloc(n, sizeof *o->final_reason);
        o->final_seed = calloc(n, sizeof *o->final_seed);
        o->reset_index = calloc(n, sizeof *o->reset_index);
        bool ok = st->pending && st->codes && st->done && o->ids && o->obs && o->final_obs &&
                  o->reward && o->terminated && o->truncated && o->hash && o->final_index &&
                  o->final_return && o->final_length && o->final_reason && o->final_seed &&
                  o->reset_index;
        if (!ok) {
            free_state(st);
            st = NULL;
        }
    }
    if (!st) {
        sp_sessions_release(t, bytes);
        snprintf(err, err_sz, "out of memory for async stepping");
        return SP_E_NO_MEMORY;
    }
    st->runner = a;
    st->s = s;
    st->table = t;
    st->held = bytes;
    st->message_env = -1;
    s->async = st;
    return SP_OK;
}

void sp_async_detach(sp_session* s) {
    sp_async_state* st = s->async;
    if (!st) return;
    sp_async* a = st->runner;
    pthread_mutex_lock(&a->mu);
    /* Drop its queued envs, keeping the others' order. */
    int kept = 0;
    for (int j = 0; j < a->count; j++) {
        job jb = a->ring[(a->head + j) % a->capacity];
        if (jb.st != st) a->ring[(a->head + kept++) % a->capacity] = jb;
    }
    a->count = kept;
    while (st->running > 0)
        pthread_cond_wait(&a->idle, &a->mu);
    pthread_mutex_unlock(&a->mu);
    sp_sessions_release(st->table, st->held);
    free_state(st);
    s->async = NULL;
}

int sp_async_pending(const sp_async_state* st) {
    return st ? st->pending_count : 0;
}

bool sp_async_is_pending(const sp_async_state* st, int env) {
    return st && st->pending[env];
}

int sp_async_ready(sp_async_state* st) {
    pthread_mutex_lock(&st->runner->mu);
    int n = st->done_count;
    pthread_mutex_unlock(&st->runner->mu);
    return n;
}

void sp_async_submit(sp_async_state* st, const int32_t* envs, int k) {
    sp_async* a = st->runner;
    pthread_mutex_lock(&a->mu);
    for (int j = 0; j < k; j++) {
        st->pending[envs[j]] = 1;
        a->ring[(a->head + a->count) % a->capacity] = (job){st, envs[j]};
        a->count++;
    }
    st->pending_count += k;
    if (k == 1)
        pthread_cond_signal(&a->work);
    else
        pthread_cond_broadcast(&a->work);
    pthread_mutex_unlock(&a->mu);
}

int sp_async_take(sp_async_state* st, int k, int32_t* envs, char* err, size_t err_sz) {
    sp_async* a = st->runner;
    int n = st->s->def.num_envs;
    int rc = SP_OK;
    pthread_mutex_lock(&a->mu);
    for (int j = 0; j < k; j++) {
        int env = st->done[st->done_head];
        st->done_head = (st->done_head + 1) % n;
        envs[j] = env;
        st->pending[env] = 0;
        if (st->codes[env] != SP_OK && rc == SP_OK) {
            rc = st->codes[env];
            if (st->message_env == env)
                snprintf(err, err_sz, "%s", st->message);
            else
                snprintf(err, err_sz, "env %d: %s", env, sp_error_name(rc));
        }
        if (st->message_env == env) st->message_env = -1;
    }
    st->done_count -= k;
    st->pending_count -= k;
    pthread_mutex_unlock(&a->mu);
    return rc;
}

sp_async_out* sp_async_scratch(sp_async_state* st) {
    return &st->out;
}

bool sp_async_set_waiting(sp_async_state* st, int batch_size) {
    pthread_mutex_lock(&st->runner->mu);
    bool ready = st->done_count >= batch_size;
    st->waiting = ready ? 0 : batch_size;
    pthread_mutex_unlock(&st->runner->mu);
    return !ready;
}

int sp_async_waiting(const sp_async_state* st) {
    if (!st) return 0;
    pthread_mutex_lock(&st->runner->mu);
    int w = st->waiting;
    pthread_mutex_unlock(&st->runner->mu);
    return w;
}
