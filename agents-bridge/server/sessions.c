#include "sessions.h"

#include "sandpit/scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "async.h"
#include "invariant.h"
#include "layers.h"
#include "sandpit/error.h"

#define MAX_GENERATION 0x7fffffffu

typedef struct slot {
    uint32_t generation;
    sp_session* session;
} slot;

struct sp_sessions {
    sp_session_limits limits;
    slot* slots;     /* [max_sessions] */
    int* free_slots; /* a stack of unused, unretired slot indices */
    int free_count;
    int open_count;
    int total_envs;
    size_t memory_bytes; /* sum of the open sessions' cost_bytes, plus held replies */
    size_t held_bytes;   /* replies held by the transport (part of memory_bytes) */
    char requester[SP_SESSION_OWNER_MAX];
};

double sp_monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

sp_sessions* sp_sessions_create(const sp_session_limits* limits) {
    SP_ASSERT(limits->max_sessions > 0);
    sp_sessions* t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->limits = *limits;
    size_t n = (size_t)limits->max_sessions;
    t->slots = calloc(n, sizeof *t->slots);
    t->free_slots = calloc(n, sizeof *t->free_slots);
    if (!t->slots || !t->free_slots) {
        sp_sessions_destroy(t);
        return NULL;
    }
    /* Pushed in reverse so that slot 0 is used first: ids read well in logs. */
    for (int i = limits->max_sessions - 1; i >= 0; i--) {
        t->slots[i].generation = 1;
        t->free_slots[t->free_count++] = i;
    }
    return t;
}

static void free_session(sp_session* s) {
    if (!s) return;
    sp_async_detach(s); /* no runner thread may still step its envs */
    if (s->eps)
        for (int i = 0; i < s->def.num_envs; i++)
            sp_episode_destroy(s->eps[i]);
    sp_session_cfg_free(s->cfg); /* its layers, after their episodes */
    sp_scene_destroy(s->scene);  /* its env, after every episode of it */
    sp_pixels_free(s);
    free(s->eps);
    free(s->actions);
    free(s->obs);
    free(s->reward);
    free(s->terminated);
    free(s->truncated);
    free(s->hash);
    free(s->seeds);
    free(s->seed_given);
    free(s->streams);
    free(s->active);
    free(s->reset_now);
    free(s->ended);
    free(s->reset_mask);
    free(s->final_obs);
    free(s->final_return);
    free(s->final_length);
    free((void*)s->final_reason);
    free(s->final_seed);
    free(s->final_index);
    free(s->reset_index);
    free(s->seq_reply);
    free(s->transport);
    free(s);
}

void sp_sessions_destroy(sp_sessions* t) {
    if (!t) return;
    if (t->slots)
        for (int i = 0; i < t->limits.max_sessions; i++)
            if (t->slots[i].session) sp_sessions_close(t, t->slots[i].session);
    free(t->slots);
    free(t->free_slots);
    free(t);
}

/* Reply bytes: a map's keys and array headers, then per env its observation, its episode's
 * last one (final.obs, same_step autoreset) and sensor_valid row, eight scalar fields of at most 8
 * bytes (reward, flags, hash, final and reset entries, cost, fault mask) and its guardrail events
 * (four numbers and two names). */
#define REPLY_FIXED_BYTES 4096
#define REPLY_EVENT_BYTES 64

size_t sp_session_reply_bound(int num_envs, int obs_size) {
    size_t per_env = (size_t)obs_size * (2 * sizeof(float) + 1) + 16 * sizeof(uint64_t) +
                     SP_MAX_STEP_EVENTS * REPLY_EVENT_BYTES;
    return REPLY_FIXED_BYTES + (size_t)num_envs * per_env;
}

size_t sp_session_cost(int num_envs, int obs_size, size_t layer_bytes) {
    /* Every [N] buffer of new_session, byte for byte, plus the episode estimate. */
    size_t per_env = sizeof(sp_episode*) + sizeof(sp_action) + (size_t)obs_size * sizeof(float) +
                     sizeof(double) + 2 * sizeof(uint8_t) + 2 * sizeof(uint64_t) +
                     3 * sizeof(uint8_t) + sizeof(double) + sizeof(int32_t) + sizeof(const char*) +
                     sizeof(uint64_t) + 2 * sizeof(int32_t) + 4 * sizeof(uint64_t) +
                     2 * sizeof(uint8_t) + (size_t)obs_size * sizeof(float) + SP_ENV_COST_BYTES +
                     layer_bytes;
    return sizeof(sp_session) + (size_t)num_envs * per_env +
           sp_session_reply_bound(num_envs, obs_size);
}

/* The process's resident set in bytes, or 0 when it cannot be read (not Linux). */
static size_t resident_bytes(void) {
    FILE* f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int got = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return (got == 2 && page > 0) ? (size_t)resident * (size_t)page : 0;
}

/* Refuses a session whose cost would take the server past its memory ceiling: by the sum of
 * the estimates (deterministic: what a client can be told in advance), and by the resident
 * set (what the estimates miss: the allocator's slack, sockets' queues). */
static int check_memory(sp_sessions* t, size_t cost, int num_envs, char* err, size_t err_sz) {
    size_t cap = t->limits.max_memory_bytes;
    double mib = 1.0 / (1 << 20);
    if (cost > cap || t->memory_bytes > cap - cost) {
        snprintf(err, err_sz,
                 "memory ceiling: %d envs are estimated at %.1f MiB more and the open sessions "
                 "at %.1f MiB, over this server's ceiling of %.0f MiB (--max-memory-mb)",
                 num_envs, (double)cost * mib, (double)t->memory_bytes * mib, (double)cap * mib);
        return SP_E_LIMIT;
    }
    size_t rss = resident_bytes();
#if defined(__GLIBC__)
    /* Closed sessions' memory may still be held by malloc: give it back before judging. */
    if (rss > cap - cost) {
        malloc_trim(0);
        rss = resident_bytes();
    }
#endif
    if (rss > cap - cost) {
        snprintf(err, err_sz,
                 "memory ceiling: the server's resident memory (%.1f MiB) plus %d envs "
                 "(estimated at %.1f MiB) would pass its ceiling of %.0f MiB (--max-memory-mb)",
                 (double)rss * mib, num_envs, (double)cost * mib, (double)cap * mib);
        return SP_E_LIMIT;
    }
    return SP_OK;
}

/* Builds a session's episodes and buffers; NULL when out of memory, nothing left behind. */
static sp_session* new_session(const sp_session_def* def, char* err, size_t err_sz) {
    size_t n = (size_t)def->num_envs;
    sp_session* s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->def = *def;
    s->obs_size = def->env->spec->sensor_count;
    s->eps = calloc(n, sizeof *s->eps);
    s->actions = calloc(n, sizeof *s->actions);
    s->obs = calloc(n * (size_t)s->obs_size, sizeof *s->obs);
    s->reward = calloc(n, sizeof *s->reward);
    s->terminated = calloc(n, sizeof *s->terminated);
    s->truncated = calloc(n, sizeof *s->truncated);
    s->hash = calloc(n, sizeof *s->hash);
    s->seeds = calloc(n, sizeof *s->seeds);
    s->seed_given = calloc(n, sizeof *s->seed_given);
    s->streams = calloc(4 * n, sizeof *s->streams);
    s->active = calloc(n, sizeof *s->active);
    s->reset_now = calloc(n, sizeof *s->reset_now);
    s->ended = calloc(n, sizeof *s->ended);
    s->reset_mask = calloc(n, sizeof *s->reset_mask);
    s->final_obs = calloc(n * (size_t)s->obs_size, sizeof *s->final_obs);
    s->final_return = calloc(n, sizeof *s->final_return);
    s->final_length = calloc(n, sizeof *s->final_length);
    s->final_reason = calloc(n, sizeof *s->final_reason);
    s->final_seed = calloc(n, sizeof *s->final_seed);
    s->final_index = calloc(n, sizeof *s->final_index);
    s->reset_index = calloc(n, sizeof *s->reset_index);
    if (!s->eps || !s->actions || !s->obs || !s->reward || !s->terminated || !s->truncated ||
        !s->hash || !s->seeds || !s->seed_given || !s->reset_now || !s->ended || !s->final_return ||
        !s->final_length || !s->final_reason || !s->final_seed || !s->final_index ||
        !s->reset_index || !s->streams || !s->active || !s->reset_mask || !s->final_obs)
        goto oom;
    for (int i = 0; i < def->num_envs; i++) {
        sp_episode_def ed = sp_default_episode_def(def->env);
        /* Gymnasium's vector convention: env i behaves like a single env seeded s + i. */
        ed.seed = def->seed + (uint64_t)i;
        ed.max_steps = def->max_steps;
        if (!(s->eps[i] = sp_episode_create(&ed, err, err_sz))) {
            free_session(s);
            return NULL;
        }
        sp_episode_set_step_hash(s->eps[i], def->hashes); /* the reply's only reader */
    }
    if (sp_pixels_attach(s) != SP_OK) goto oom;
    return s;
oom:
    free_session(s);
    snprintf(err, err_sz, "out of memory making %d envs", def->num_envs);
    return NULL;
}

int sp_sessions_open(sp_sessions* t, const sp_session_def* def, double now, sp_session** out,
                     char* err, size_t err_sz) {
    const sp_session_limits* lim = &t->limits;
    if (def->num_envs > lim->max_envs_per_session) {
        snprintf(err, err_sz, "num_envs %d is over this server's limit of %d envs per session",
                 def->num_envs, lim->max_envs_per_session);
        return SP_E_LIMIT;
    }
    if (t->open_count >= lim->max_sessions || t->free_count == 0) {
        snprintf(err, err_sz, "this server already has its maximum of %d open sessions",
                 lim->max_sessions);
        return SP_E_LIMIT;
    }
    if (def->num_envs > lim->max_total_envs - t->total_envs) {
        snprintf(err, err_sz,
                 "%d more envs would pass this server's limit of %d envs in all (%d open)",
                 def->num_envs, lim->max_total_envs, t->total_envs);
        return SP_E_LIMIT;
    }
    size_t cost = sp_session_cost(def->num_envs, def->env->spec->sensor_count, def->layer_bytes) +
                  def->extra_bytes + sp_pixels_cost(&def->pixels, def->num_envs);
    int rc = check_memory(t, cost, def->num_envs, err, err_sz);
    if (rc != SP_OK) return rc;
    sp_session* s = new_session(def, err, err_sz);
    if (!s) return SP_E_NO_MEMORY;
    s->cost_bytes = cost;
    s->layer_bytes = def->layer_bytes;
    memcpy(s->owner, t->requester, sizeof s->owner);
    int index = t->free_slots[--t->free_count];
    slot* sl = &t->slots[index];
    SP_ASSERT(!sl->session);
    sl->session = s;
    s->id = ((uint64_t)sl->generation << 32) | (uint32_t)index;
    s->last_used = now;
    t->open_count++;
    t->total_envs += def->num_envs;
    t->memory_bytes += cost;
    *out = s;
    return SP_OK;
}

int sp_sessions_grow(sp_sessions* t, sp_session* s, size_t layer_bytes, char* err, size_t err_sz) {
    if (layer_bytes <= s->layer_bytes) return SP_OK;
    size_t cost = sp_session_cost(s->def.num_envs, s->obs_size, layer_bytes) + s->def.extra_bytes +
                  sp_pixels_cost(&s->def.pixels, s->def.num_envs);
    int rc = check_memory(t, cost - s->cost_bytes, s->def.num_envs, err, err_sz);
    if (rc != SP_OK) return rc;
    t->memory_bytes += cost - s->cost_bytes;
    s->cost_bytes = cost;
    s->layer_bytes = layer_bytes;
    return SP_OK;
}

bool sp_sessions_hold(sp_sessions* t, size_t bytes) {
    size_t cap = t->limits.max_memory_bytes;
    if (bytes > cap || t->memory_bytes > cap - bytes) return false;
    t->memory_bytes += bytes;
    t->held_bytes += bytes;
    return true;
}

void sp_sessions_release(sp_sessions* t, size_t bytes) {
    SP_ASSERT(bytes <= t->held_bytes);
    t->memory_bytes -= bytes;
    t->held_bytes -= bytes;
}

size_t sp_sessions_held(const sp_sessions* t) {
    return t->held_bytes;
}

sp_session* sp_sessions_find(sp_sessions* t, uint64_t id) {
    uint64_t index = id & 0xffffffffu;
    uint64_t generation = id >> 32;
    if (index >= (uint64_t)t->limits.max_sessions) return NULL;
    slot* sl = &t->slots[index];
    if (!sl->session || sl->generation != generation) return NULL;
    return sl->session;
}

void sp_sessions_close(sp_sessions* t, sp_session* s) {
    uint32_t index = (uint32_t)(s->id & 0xffffffffu);
    slot* sl = &t->slots[index];
    SP_ASSERT(sl->session == s);
    t->open_count--;
    t->total_envs -= s->def.num_envs;
    t->memory_bytes -= s->cost_bytes;
    sl->session = NULL;
    free_session(s);
    /* The next session in this slot gets a new id; a slot out of generations is retired. */
    if (sl->generation < MAX_GENERATION) {
        sl->generation++;
        t->free_slots[t->free_count++] = (int)index;
    }
}

int sp_sessions_reap(sp_sessions* t, double now, double idle_s) {
    int reaped = 0;
    for (int i = 0; i < t->limits.max_sessions; i++) {
        sp_session* s = t->slots[i].session;
        if (s && now - s->last_used >= idle_s) {
            sp_sessions_close(t, s);
            reaped++;
        }
    }
    return reaped;
}

void sp_sessions_set_requester(sp_sessions* t, const char* owner) {
    snprintf(t->requester, sizeof t->requester, "%s", owner ? owner : "");
}

size_t sp_sessions_memory(const sp_sessions* t) {
    return t->memory_bytes;
}

void sp_sessions_each(sp_sessions* t, void (*fn)(sp_session* s, void* ctx), void* ctx) {
    for (int i = 0; i < t->limits.max_sessions; i++)
        if (t->slots[i].session) fn(t->slots[i].session, ctx);
}

int sp_sessions_open_count(const sp_sessions* t) {
    return t->open_count;
}

int sp_sessions_total_envs(const sp_sessions* t) {
    return t->total_envs;
}
