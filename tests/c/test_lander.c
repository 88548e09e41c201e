/* Lander-v0 and LanderContinuous-v0: the behaviour docs/ENVS.md promises. */

#include <math.h>
#include <stdbool.h>

#include "ensure.h"
#include "sandpit/envs.h"
#include "sandpit/episode.h"
#include "world_chipmunk.h"

/* From docs/ENVS.md. */
#define WORLD_H (40.0 / 3.0)
#define PAD_Y (WORLD_H / 4.0)
#define PAD_HALF 2.0
#define SCREEN_HALF 10.0

enum { OBS_X, OBS_Y, OBS_VX, OBS_VY, OBS_ANGLE, OBS_SPIN, OBS_LEFT, OBS_RIGHT, OBS_FUEL };
enum { NOOP, FIRE_LEFT, FIRE_MAIN, FIRE_RIGHT };

#define MAX_SEGMENTS 64
#define LONG_EPISODE 5000

static sp_episode* make(const char* id, int max_steps) {
    char err[128];
    sp_episode_def def = sp_default_episode_def(sp_env_find(id));
    def.max_steps = max_steps;
    return sp_episode_create(&def, err, sizeof err);
}

static bool is_discrete(const sp_episode* ep) {
    return sp_episode_spec(ep)->action_kind == SP_ACTION_DISCRETE;
}

static double clip(double v, double lo, double hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* Gymnasium's heuristic LunarLander pilot in SI units: lean toward the target and brake,
 * descend along a height that shrinks with the distance to go (or hold `hold_y` when it is
 * positive), keep upright on one leg, and cut the engines once both legs are down. */
typedef struct pilot {
    double target_x;
    double hold_y;
} pilot;

#define REST_HEIGHT 1.0 /* hull centre over the ground when standing on its legs, about */

static void fly(const pilot* p, const sp_episode* ep, sp_action* a) {
    const float* o = sp_episode_obs(ep);
    double x = o[OBS_X] - p->target_x;
    double angle_target = clip(0.05 * x + 0.2 * o[OBS_VX], -0.4, 0.4);
    double y_target = p->hold_y > 0.0 ? p->hold_y : REST_HEIGHT + 0.367 * fabs(x);
    double turn = (angle_target - o[OBS_ANGLE]) * 0.5 - 0.4 * o[OBS_SPIN];
    double lift = (y_target - o[OBS_Y]) / 6.667 * 0.5 - 0.0667 * o[OBS_VY];
    bool left = o[OBS_LEFT] > 0.0f, right = o[OBS_RIGHT] > 0.0f;
    if (left && right) {
        turn = 0.0;
        lift = 0.0;
    } else if (left || right) {
        turn = -o[OBS_ANGLE] * 0.5 - 0.4 * o[OBS_SPIN];
        lift = -0.0667 * o[OBS_VY];
    }
    memset(a, 0, sizeof *a);
    if (is_discrete(ep)) {
        if (lift > fabs(turn) && lift > 0.05)
            a->index = FIRE_MAIN;
        else if (turn < -0.05)
            a->index = FIRE_RIGHT;
        else if (turn > 0.05)
            a->index = FIRE_LEFT;
    } else {
        a->value[0] = (float)clip(lift * 20.0 - 1.0, -1.0, 1.0);
        a->value[1] = (float)clip(-turn * 20.0, -1.0, 1.0);
    }
}

static sp_step_result step(sp_episode* ep, const sp_action* a) {
    sp_step_result r = {0};
    char err[128];
    if (sp_episode_step(ep, a, &r, err, sizeof err) != 0) r.reason = "step refused";
    return r;
}

static sp_action discrete(int index) {
    sp_action a;
    memset(&a, 0, sizeof a);
    a.index = index;
    return a;
}

static void noop_falls_and_crashes(void) {
    sp_episode* ep = make("Lander-v0", 0);
    sp_action a = discrete(NOOP);
    for (uint64_t seed = 0; seed < 10; seed++) {
        ENSURE(sp_episode_reset(ep, &seed) == 0);
        sp_step_result r = {0};
        float fuel = sp_episode_obs(ep)[OBS_FUEL];
        while (!sp_episode_done(ep))
            r = step(ep, &a);
        /* A free fall from the top reaches the ground far faster than legs can take. */
        ENSURE_MSG(r.terminated && !strcmp(r.reason, "crashed"), "seed %d: %s", (int)seed,
                   r.reason);
        ENSURE(r.step < 200);
        ENSURE(r.reward == -100.0);
        ENSURE(sp_episode_obs(ep)[OBS_FUEL] == fuel);
    }
    sp_episode_destroy(ep);
}

static void engines_burn_fuel_in_proportion_to_thrust(void) {
    sp_episode* ep = make("Lander-v0", 0);
    uint64_t seed = 4;
    ENSURE(sp_episode_reset(ep, &seed) == 0);
    ENSURE(sp_episode_obs(ep)[OBS_FUEL] == 1.0f);
    sp_action burn_main = discrete(FIRE_MAIN), burn_side = discrete(FIRE_LEFT);
    float before = sp_episode_obs(ep)[OBS_FUEL];
    step(ep, &burn_side);
    float side_burn = before - sp_episode_obs(ep)[OBS_FUEL];
    before = sp_episode_obs(ep)[OBS_FUEL];
    step(ep, &burn_main);
    float main_burn = before - sp_episode_obs(ep)[OBS_FUEL];
    ENSURE(side_burn > 0.0f && main_burn > 5.0f * side_burn);
    /* Full main thrust drains the tank in 10 s: 0.2% per 0.02 s step. */
    ENSURE_MSG(fabs(main_burn - 0.002) < 1e-5, "main burn %g", main_burn);

    int steps = 0;
    while (!sp_episode_done(ep)) {
        before = sp_episode_obs(ep)[OBS_FUEL];
        step(ep, &burn_main);
        steps++;
        float now = sp_episode_obs(ep)[OBS_FUEL];
        ENSURE_MSG(now < before && now >= 0.0f, "step %d: %g -> %g", steps, before, now);
    }
    sp_episode_destroy(ep);
}

/* Hovers over the pad until the tank is dry, then forks the episode by replaying the same
 * actions into a twin: full throttle and no throttle must now give the same future. */
static sp_action prefix[LONG_EPISODE];

static void empty_tank_engines_do_nothing_for(const char* id) {
    sp_episode* a = make(id, LONG_EPISODE);
    sp_episode* b = make(id, LONG_EPISODE);
    uint64_t seed = 6;
    ENSURE(sp_episode_reset(a, &seed) == 0);
    ENSURE(sp_episode_reset(b, &seed) == 0);
    pilot hover = {.target_x = 0.0, .hold_y = 6.0};
    int n = 0;
    while (sp_episode_obs(a)[OBS_FUEL] > 0.0f) {
        ENSURE_MSG(!sp_episode_done(a) && n < LONG_EPISODE, "%s: ended before the tank was dry",
                   id);
        fly(&hover, a, &prefix[n]);
        step(a, &prefix[n++]);
    }
    ENSURE_MSG(n > 600, "%s: the tank ran dry after only %d steps", id, n);
    for (int i = 0; i < n; i++)
        step(b, &prefix[i]);
    ENSURE(sp_episode_hash(a) == sp_episode_hash(b));

    sp_action full, none;
    memset(&full, 0, sizeof full);
    memset(&none, 0, sizeof none);
    if (is_discrete(a)) {
        full.index = FIRE_MAIN;
    } else {
        full.value[0] = 1.0f;
        full.value[1] = 1.0f;
        none.value[0] = -1.0f;
    }
    int n_sensors = sp_episode_spec(a)->sensor_count;
    int k = 0;
    for (; k < 20 && !sp_episode_done(a); k++) {
        sp_step_result ra = step(a, &full);
        sp_step_result rb = step(b, &none);
        ENSURE_MSG(!memcmp(sp_episode_obs(a), sp_episode_obs(b), sizeof(float) * (size_t)n_sensors),
                   "%s: an empty engine changed the flight at step %d", id, k);
        ENSURE(ra.reward == rb.reward && ra.terminated == rb.terminated);
        ENSURE(sp_episode_obs(a)[OBS_FUEL] == 0.0f);
    }
    ENSURE_MSG(k == 20, "%s: the dry craft came down after %d steps", id, k);
    sp_episode_destroy(a);
    sp_episode_destroy(b);
}

static void empty_tank_engines_do_nothing(void) {
    empty_tank_engines_do_nothing_for("Lander-v0");
    empty_tank_engines_do_nothing_for("LanderContinuous-v0");
}

typedef struct terrain {
    int count;
    cpVect a[MAX_SEGMENTS], b[MAX_SEGMENTS];
} terrain;

static void read_terrain(sp_episode* ep, terrain* t) {
    sp_world* world = sp_episode_world(ep);
    t->count = 0;
    for (int i = 0; i < sp_world_shape_count(world); i++) {
        cpShape* shape = sp_world_shape(world, i);
        if (cpBodyGetType(cpShapeGetBody(shape)) != CP_BODY_TYPE_STATIC) continue;
        if (t->count == MAX_SEGMENTS) return;
        t->a[t->count] = cpSegmentShapeGetA(shape);
        t->b[t->count] = cpSegmentShapeGetB(shape);
        t->count++;
    }
}

static bool same_terrain(const terrain* x, const terrain* y) {
    if (x->count != y->count) return false;
    for (int i = 0; i < x->count; i++)
        if (!cpveql(x->a[i], y->a[i]) || !cpveql(x->b[i], y->b[i])) return false;
    return true;
}

static void terrain_comes_from_the_seed(void) {
    sp_episode* a = make("Lander-v0", 0);
    sp_episode* b = make("LanderContinuous-v0", 0);
    terrain t1, t2, t3;
    uint64_t s1 = 21, s2 = 22;
    sp_episode_reset(a, &s1);
    read_terrain(a, &t1);
    sp_episode_reset(b, &s1);
    read_terrain(b, &t2);
    ENSURE(t1.count >= 10);
    ENSURE(same_terrain(&t1, &t2));
    sp_episode_reset(a, &s2);
    read_terrain(a, &t3);
    ENSURE(!same_terrain(&t1, &t3));
    sp_episode_destroy(a);
    sp_episode_destroy(b);
}

static void the_pad_is_flat_and_level(void) {
    sp_episode* ep = make("Lander-v0", 0);
    for (uint64_t seed = 0; seed < 20; seed++) {
        sp_episode_reset(ep, &seed);
        terrain t;
        read_terrain(ep, &t);
        double covered = 0.0;
        for (int i = 0; i < t.count; i++) {
            ENSURE(t.a[i].x < t.b[i].x);
            if (i > 0) ENSURE(cpveql(t.a[i], t.b[i - 1])); /* one unbroken chain */
            ENSURE(t.a[i].y >= 0.0 && t.a[i].y <= 0.5 * WORLD_H);
            if (t.a[i].x >= -PAD_HALF && t.b[i].x <= PAD_HALF) {
                ENSURE(t.a[i].y == PAD_Y && t.b[i].y == PAD_Y);
                covered += t.b[i].x - t.a[i].x;
            }
        }
        ENSURE(covered == 2.0 * PAD_HALF);
        ENSURE(t.a[0].x < -SCREEN_HALF && t.b[t.count - 1].x > SCREEN_HALF);
    }
    sp_episode_destroy(ep);
}

typedef struct flight {
    sp_step_result last;
    float obs[16];
    int first_contact;  /* step of the first leg contact, 0 if none */
    bool early_contact; /* a leg reported contact on the first observation */
} flight;

static void fly_episode(sp_episode* ep, uint64_t seed, const pilot* p, flight* f) {
    memset(f, 0, sizeof *f);
    sp_episode_reset(ep, &seed);
    const float* o = sp_episode_obs(ep);
    f->early_contact = o[OBS_LEFT] != 0.0f || o[OBS_RIGHT] != 0.0f;
    while (!sp_episode_done(ep)) {
        sp_action a;
        fly(p, ep, &a);
        f->last = step(ep, &a);
        if (!f->first_contact && (o[OBS_LEFT] == 1.0f || o[OBS_RIGHT] == 1.0f))
            f->first_contact = f->last.step;
    }
    memcpy(f->obs, o, sizeof(float) * (size_t)sp_episode_spec(ep)->sensor_count);
}

static void legs_report_touchdown(void) {
    sp_episode* ep = make("LanderContinuous-v0", 0);
    pilot land = {0};
    flight f;
    fly_episode(ep, 3, &land, &f);
    ENSURE_MSG(!strcmp(f.last.reason, "landed"), "%s", f.last.reason);
    ENSURE(!f.early_contact);
    ENSURE(f.first_contact > 50 && f.first_contact < f.last.step);
    ENSURE(f.obs[OBS_LEFT] == 1.0f && f.obs[OBS_RIGHT] == 1.0f);
    ENSURE(fabs(f.obs[OBS_VX]) < 0.05 && fabs(f.obs[OBS_VY]) < 0.05);
    sp_episode_destroy(ep);
}

static void leaving_sideways_is_out_of_bounds(void) {
    sp_episode* ep = make("Lander-v0", 0);
    for (int side = -1; side <= 1; side += 2) {
        pilot away = {.target_x = 40.0 * side, .hold_y = 6.0};
        flight f;
        fly_episode(ep, 8, &away, &f);
        ENSURE_MSG(!strcmp(f.last.reason, "out_of_bounds"), "%s", f.last.reason);
        ENSURE(f.obs[OBS_X] * side > SCREEN_HALF);
        ENSURE(f.last.reward == -100.0);
    }
    sp_episode_destroy(ep);
}

static void a_simple_pilot_lands_on_the_pad(void) {
    const char* ids[] = {"Lander-v0", "LanderContinuous-v0"};
    for (int e = 0; e < 2; e++) {
        sp_episode* ep = make(ids[e], 0);
        pilot land = {0};
        int landed = 0;
        for (uint64_t seed = 0; seed < 10; seed++) {
            flight f;
            fly_episode(ep, seed, &land, &f);
            if (!strcmp(f.last.reason, "landed") && fabs(f.obs[OBS_X]) < PAD_HALF &&
                f.last.episode_return > 100.0 && f.last.reward == 100.0)
                landed++;
        }
        ENSURE_MSG(landed >= 8, "%s: landed %d of 10", ids[e], landed);
        sp_episode_destroy(ep);
    }
}

static const sp_test_case cases[] = {
    {"noop_falls_and_crashes", noop_falls_and_crashes},
    {"engines_burn_fuel_in_proportion_to_thrust", engines_burn_fuel_in_proportion_to_thrust},
    {"empty_tank_engines_do_nothing", empty_tank_engines_do_nothing},
    {"terrain_comes_from_the_seed", terrain_comes_from_the_seed},
    {"the_pad_is_flat_and_level", the_pad_is_flat_and_level},
    {"legs_report_touchdown", legs_report_touchdown},
    {"leaving_sideways_is_out_of_bounds", leaving_sideways_is_out_of_bounds},
    {"a_simple_pilot_lands_on_the_pad", a_simple_pilot_lands_on_the_pad},
};
SP_TEST_MAIN(cases)
