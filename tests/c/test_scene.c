/* Scenes (envs/scene/): every element kind decodes and does what docs/SCENES.md says; bad
 * scenes are refused with the path of what is wrong. */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensure.h"
#include "sandpit/episode.h"
#include "sandpit/error.h"
#include "sandpit/scene.h"
#include "scene_run.h"
#include "world_chipmunk.h"

/* A scene document: the world and a ground, then `body` (bodies after the ground), and the
 * remaining top-level keys. */
static char doc[16384];

static const char* scene(const char* bodies, const char* rest) {
    snprintf(
        doc, sizeof doc,
        "{\"format\": 1, \"id\": \"Test-v0\", \"world\": {\"dt\": 0.01, \"frame_skip\": 2, "
        "\"max_steps\": 400, \"bounds\": [-50, -50, 50, 50]}, \"bodies\": [{\"name\": "
        "\"ground\", \"type\": \"static\", \"shapes\": [{\"type\": \"segment\", \"a\": [-20, 0], "
        "\"b\": [20, 0], \"role\": \"terrain\", \"friction\": 1}]}%s%s], %s}",
        bodies[0] ? ", " : "", bodies, rest);
    return doc;
}

#define ACT "\"actuators\": [{\"name\": \"push\", \"type\": \"thruster\", \"body\": \"ball\"}]"
#define BALL                                                                                       \
    "{\"name\": \"ball\", \"position\": [0, 1], \"shapes\": [{\"type\": \"circle\", \"radius\": "  \
    "0.25}]}"

static sp_scene* load(const char* json, char* err, size_t err_sz) {
    sp_scene_limits lim = sp_default_scene_limits();
    return sp_scene_load(json, strlen(json), &lim, err, err_sz);
}

/* An episode of `json`, reset with `seed`; NULL (with the error printed) when it fails. */
typedef scene_run run;

static bool start(run* r, const char* json, uint64_t seed) {
    sp_scene_limits lim = sp_default_scene_limits();
    return scene_run_start_json(r, json, &lim, seed);
}

static void stop(run* r) {
    scene_run_stop(r);
}

static sp_step_result step(run* r, double a0, double a1) {
    sp_action a = {0};
    a.index = (int32_t)a0;
    a.value[0] = (float)a0;
    a.value[1] = (float)a1;
    return scene_run_step(r, &a);
}

static int channel(const run* r, const char* name) {
    return scene_run_channel(r, name);
}

static double obs(const run* r, const char* name) {
    return scene_run_obs(r, name);
}

/* ---- shapes and bodies ---- */

static void every_shape_falls_and_rests_on_the_ground(void) {
    static const char* const shapes[] = {
        "{\"type\": \"circle\", \"radius\": 0.25}",
        "{\"type\": \"box\", \"size\": [0.5, 0.3], \"radius\": 0.02}",
        "{\"type\": \"box\", \"size\": [0.5, 0.3], \"offset\": [0.1, 0], \"angle\": 0.3}",
        "{\"type\": \"polygon\", \"points\": [[-0.3, -0.2], [0.3, -0.2], [0, 0.3]]}",
        "{\"type\": \"segment\", \"a\": [-0.3, 0], \"b\": [0.3, 0], \"radius\": 0.05}",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char bodies[512];
        snprintf(bodies, sizeof bodies,
                 "{\"name\": \"ball\", \"position\": [0, 1], \"mass\": 2, \"shapes\": [%s]}",
                 shapes[i]);
        run r;
        ENSURE(start(&r,
                     scene(bodies, ACT ", \"sensors\": [{\"name\": \"ball\", \"type\": "
                                       "\"body\", \"body\": \"ball\", \"values\": [\"y\", "
                                       "\"vy\"]}, {\"name\": \"feet\", \"type\": \"touch\", "
                                       "\"body\": \"ball\", \"with_role\": \"terrain\"}]"),
                     1));
        ENSURE(fabs(cpBodyGetMass(sp_world_body(sp_episode_world(r.ep), 1)) - 2.0) < 1e-12);
        ENSURE(obs(&r, "feet.touch") == 0.0f);
        for (int k = 0; k < 150; k++)
            step(&r, 0, 0);
        ENSURE_MSG(obs(&r, "feet.touch") == 1.0f, "shape %zu never touched", i);
        ENSURE_MSG(obs(&r, "ball.y") > 0.0f && obs(&r, "ball.y") < 0.5f &&
                       fabs(obs(&r, "ball.vy")) < 0.1,
                   "shape %zu: y %g vy %g", i, obs(&r, "ball.y"), obs(&r, "ball.vy"));
        stop(&r);
    }
}

static void density_gives_mass_and_a_polyline_is_terrain(void) {
    run r;
    ENSURE(
        start(&r,
              scene("{\"name\": \"ball\", \"position\": [0, 3], \"shapes\": [{\"type\": \"box\", "
                    "\"size\": [2, 0.5], \"density\": 3}]}, {\"name\": \"hill\", \"type\": "
                    "\"static\", \"shapes\": [{\"type\": \"polyline\", \"points\": [[-5, 1], "
                    "[0, 1.5], [5, 1]]}]}, {\"name\": \"lift\", \"type\": \"kinematic\", "
                    "\"position\": [8, 0], \"velocity\": [0, 1], \"shapes\": [{\"type\": "
                    "\"box\", \"size\": [1, 0.2]}]}",
                    ACT ", \"sensors\": [{\"name\": \"lift\", \"type\": \"body\", \"body\": "
                        "\"lift\", \"values\": [\"y\"]}]"),
              1));
    sp_world* w = sp_episode_world(r.ep);
    ENSURE(fabs(cpBodyGetMass(sp_world_body(w, 1)) - 3.0) < 1e-12);
    /* ground, ball, two hill segments, lift */
    ENSURE(sp_world_shape_count(w) == 5);
    for (int k = 0; k < 50; k++)
        step(&r, 0, 0);
    ENSURE(fabs(obs(&r, "lift.y") - 1.0) < 1e-6); /* 50 steps x 0.02 s at 1 m/s */
    stop(&r);
}

/* ---- joints ---- */

static const char* two_links(const char* joint) {
    static char bodies[2048];
    snprintf(
        bodies, sizeof bodies,
        "{\"name\": \"base\", \"position\": [0, 5], \"fixed_rotation\": true, \"mass\": 100, "
        "\"shapes\": [{\"type\": \"box\", \"size\": [0.4, 0.4], \"collide\": false}]}, "
        "{\"name\": \"arm\", \"position\": [0.5, 5], \"mass\": 1, \"shapes\": [{\"type\": "
        "\"box\", \"size\": [1, 0.1], \"collide\": false}]}], \"joints\": [{\"name\": \"hold\", "
        "\"type\": \"groove\", \"a\": null, \"b\": \"base\", \"groove\": [[0, 5], [0.001, 5]]}, "
        "%s",
        joint);
    return bodies;
}

static const char* joint_scene(const char* joint, const char* actuators) {
    static char rest[2048];
    snprintf(rest, sizeof rest,
             "%s, \"sensors\": [{\"name\": \"arm\", \"type\": \"body\", \"body\": \"arm\", "
             "\"relative_to\": \"base\", \"values\": [\"x\", \"y\", \"angle\"]}, {\"name\": "
             "\"j\", \"type\": \"joint\", \"joint\": \"j\", \"values\": [\"angle\", \"speed\"]}]",
             actuators);
    /* The joint list closes after `joint`; the bodies array was closed by two_links. */
    static char both[4096];
    snprintf(both, sizeof both, "%s]", two_links(joint));
    /* scene() appends "]" after the bodies: drop ours by building the whole doc here. */
    snprintf(
        doc, sizeof doc,
        "{\"format\": 1, \"id\": \"Joint-v0\", \"world\": {\"dt\": 0.01, \"max_steps\": 1000}, "
        "\"bodies\": [%s, %s}",
        both, rest);
    return doc;
}

#define NO_ACT "\"actuators\": [{\"name\": \"push\", \"type\": \"thruster\", \"body\": \"arm\"}]"

static void pivot_limits_hold_the_arm(void) {
    run r;
    ENSURE(start(&r,
                 joint_scene("{\"name\": \"j\", \"type\": \"pivot\", \"a\": \"base\", \"b\": "
                             "\"arm\", \"anchor_a\": [0, 0], \"anchor_b\": [-0.5, 0], "
                             "\"limits\": [-0.5, 0.5]}",
                             NO_ACT),
                 1));
    double lowest = 0.0;
    for (int k = 0; k < 200; k++) {
        step(&r, 0, 0);
        lowest = fmin(lowest, obs(&r, "j.angle"));
        /* the pivot keeps the arm's end on the base */
        ENSURE(fabs(hypot(obs(&r, "arm.x"), obs(&r, "arm.y")) - 0.5) < 0.02);
    }
    ENSURE_MSG(lowest < -0.4 && lowest > -0.56, "lowest %g", lowest);
    stop(&r);
}

static void slider_weld_and_springs(void) {
    static const char* const joints[] = {
        "{\"name\": \"j\", \"type\": \"slider\", \"a\": \"base\", \"b\": \"arm\", \"limits\": "
        "[0.2, 0.6]}",
        "{\"name\": \"j\", \"type\": \"weld\", \"a\": \"base\", \"b\": \"arm\", \"anchor_a\": [0, "
        "0], "
        "\"anchor_b\": [-0.5, 0]}",
        "{\"name\": \"j\", \"type\": \"spring\", \"a\": \"base\", \"b\": \"arm\", \"rest\": 0.5, "
        "\"stiffness\": 400, \"damping\": 20}",
        "{\"name\": \"j\", \"type\": \"rotary_spring\", \"a\": \"base\", \"b\": \"arm\", \"rest\": "
        "0, "
        "\"stiffness\": 50, \"damping\": 5}, {\"type\": \"pivot\", \"a\": \"base\", \"b\": "
        "\"arm\", "
        "\"anchor_b\": [-0.5, 0]}",
    };
    for (int i = 0; i < 4; i++) {
        run r;
        ENSURE(start(&r, joint_scene(joints[i], NO_ACT), 1));
        for (int k = 0; k < 300; k++)
            step(&r, 0, 0);
        double d = hypot(obs(&r, "arm.x"), obs(&r, "arm.y")), a = obs(&r, "j.angle");
        switch (i) {
        case 0:
            ENSURE_MSG(d > 0.19 && d < 0.61, "slider %g", d);
            break;
        case 1:
            ENSURE_MSG(fabs(a) < 0.02 && fabs(d - 0.5) < 0.02, "weld %g %g", a, d);
            break;
        case 2:
            ENSURE_MSG(d > 0.5 && d < 0.6, "spring %g", d);
            break; /* sags under g */
        case 3:
            ENSURE_MSG(a < -0.02 && a > -0.3, "rotary spring %g", a);
            break;
        }
        stop(&r);
    }
}

/* ---- actuators ---- */

static void motors_and_servos_turn_the_arm(void) {
    const char* pivot = "{\"name\": \"j\", \"type\": \"pivot\", \"a\": \"base\", \"b\": \"arm\", "
                        "\"anchor_b\": [-0.5, 0], \"motor\": {\"max_torque\": 50}}";
    static const char* const acts[] = {
        "\"actuators\": [{\"name\": \"m\", \"type\": \"motor_speed\", \"joint\": \"j\", \"gain\": "
        "2}]",
        "\"actuators\": [{\"name\": \"m\", \"type\": \"motor_torque\", \"joint\": \"j\", \"gain\": "
        "50}]",
        "\"actuators\": [{\"name\": \"m\", \"type\": \"servo\", \"joint\": \"j\", \"kp\": 60, "
        "\"kd\": 4, \"max_torque\": 100, "
        "\"low\": -2, \"high\": 2}]",
    };
    /* The motor holds the arm unless commanded; torque and servo need the motor's brake off:
     * those use a pivot without a motor. */
    const char* free_pivot =
        "{\"name\": \"j\", \"type\": \"pivot\", \"a\": \"base\", \"b\": \"arm\", "
        "\"anchor_b\": [-0.5, 0]}";
    for (int i = 0; i < 3; i++) {
        run r;
        ENSURE(start(&r, joint_scene(i == 0 ? pivot : free_pivot, acts[i]), 1));
        for (int k = 0; k < 100; k++)
            step(&r, i == 2 ? 1.0 : 1.0, 0);
        double a = obs(&r, "j.angle"), w = obs(&r, "j.speed");
        switch (i) {
        case 0:
            ENSURE_MSG(fabs(w - 2.0) < 0.05, "motor speed %g", w);
            break;
        case 1:
            ENSURE_MSG(w > 5.0, "torque %g", w);
            break;
        case 2:
            ENSURE_MSG(fabs(a - 1.0) < 0.2, "servo angle %g", a);
            break;
        }
        stop(&r);
    }
}

static void thrusters_push_along_their_direction_and_actions_table(void) {
    run r;
    ENSURE(
        start(&r,
              scene("{\"name\": \"ball\", \"position\": [0, 10], \"angle\": 1.5707963267948966, "
                    "\"mass\": 1, \"shapes\": [{\"type\": \"circle\", \"radius\": 0.25}]}",
                    "\"world\": {\"gravity\": [0, 0]}, \"actuators\": [{\"name\": \"body\", "
                    "\"type\": \"thruster\", \"body\": \"ball\", \"direction\": [1, 0]}, "
                    "{\"name\": \"world\", \"type\": \"thruster\", \"body\": \"ball\", \"frame\": "
                    "\"world\", \"direction\": [1, 0]}], \"actions\": [{\"name\": \"up\", "
                    "\"values\": [1, 0]}, {\"name\": \"right\", \"values\": [0, 1]}], "
                    "\"sensors\": [{\"name\": \"ball\", \"type\": \"body\", \"body\": \"ball\", "
                    "\"values\": [\"vx\", \"vy\"]}]"),
              1) == false); /* "world" twice: a duplicate key is refused */
    stop(&r);
    /* Without the duplicate world key. */
    snprintf(
        doc, sizeof doc,
        "{\"format\": 1, \"id\": \"T-v0\", \"world\": {\"gravity\": [0, 0], \"dt\": 0.01}, "
        "\"bodies\": [{\"name\": \"ball\", \"angle\": 1.5707963267948966, \"mass\": 1, \"shapes\": "
        "[{\"type\": \"circle\", \"radius\": 0.25}]}], \"actuators\": [{\"name\": \"body\", "
        "\"type\": "
        "\"thruster\", \"body\": \"ball\", \"direction\": [1, 0]}, {\"name\": \"world\", \"type\": "
        "\"thruster\", \"body\": \"ball\", \"frame\": \"world\", \"direction\": [1, 0]}], "
        "\"actions\": "
        "[{\"name\": \"up\", \"values\": [1, 0]}, {\"name\": \"right\", \"values\": [0, 1]}], "
        "\"sensors\": [{\"name\": \"ball\", \"type\": \"body\", \"body\": \"ball\", \"values\": "
        "[\"vx\", \"vy\"]}]}");
    ENSURE(start(&r, doc, 1));
    ENSURE(r.spec->action_kind == SP_ACTION_DISCRETE && r.spec->action_count == 2);
    step(&r, 0, 0); /* body frame +x, turned 90 degrees: up */
    ENSURE(fabs(obs(&r, "ball.vx")) < 1e-9 && fabs(obs(&r, "ball.vy") - 0.01) < 1e-9);
    step(&r, 1, 0); /* world frame +x */
    ENSURE(fabs(obs(&r, "ball.vx") - 0.01) < 1e-9);
    stop(&r);
}

/* ---- sensors ---- */

static void distance_bearing_imu_and_lidar(void) {
    run r;
    ENSURE(
        start(&r,
              scene("{\"name\": \"ball\", \"position\": [0, 0.25], \"shapes\": [{\"type\": "
                    "\"circle\", \"radius\": 0.25, \"group\": 7}]}, {\"name\": \"wall\", "
                    "\"type\": \"static\", \"position\": [3, 1], \"shapes\": [{\"type\": \"box\", "
                    "\"size\": [0.2, 2], \"categories\": 2}]}, {\"name\": \"goal\", \"type\": "
                    "\"static\", \"position\": [0, 4], \"shapes\": [{\"type\": \"circle\", "
                    "\"radius\": 0.1, \"collide\": false, \"role\": \"goal\"}]}",
                    ACT ", \"sensors\": [{\"name\": \"goal\", \"type\": \"distance\", \"body\": "
                        "\"ball\", \"to\": \"goal\", \"values\": [\"distance\", \"bearing\"]}, "
                        "{\"name\": \"imu\", \"type\": \"imu\", \"body\": \"ball\", \"values\": "
                        "[\"ax\", \"ay\", \"gyro\"]}, {\"name\": \"eye\", \"type\": \"lidar\", "
                        "\"body\": \"ball\", \"rays\": 3, \"fov\": 1.5707963267948966, \"range\": "
                        "10, \"mask\": 2}]"),
              1));
    ENSURE(fabs(obs(&r, "goal.distance") - 3.75) < 1e-6);
    ENSURE(fabs(obs(&r, "goal.bearing") - 1.5707963) < 1e-6);
    /* rays at -45, 0, +45 degrees: only the middle one meets the wall's face at x = 2.9 */
    ENSURE(fabs(obs(&r, "eye.1") - 2.9) < 1e-5);
    ENSURE(obs(&r, "eye.0") == 10.0f);
    ENSURE(r.spec->sensors[channel(&r, "eye.2")].high == 10.0);
    for (int k = 0; k < 30; k++)
        step(&r, 0, 0);
    /* at rest on the ground, an accelerometer reads +g upward */
    ENSURE_MSG(fabs(obs(&r, "imu.ay") - 9.81) < 0.3 && fabs(obs(&r, "imu.ax")) < 0.3, "imu %g %g",
               obs(&r, "imu.ax"), obs(&r, "imu.ay"));
    stop(&r);
}

/* ---- reward and conditions ---- */

static void reward_terms_and_conditions(void) {
    run r;
    ENSURE(start(
        &r,
        scene("{\"name\": \"ball\", \"position\": [0, 10], \"mass\": 1, \"shapes\": [{\"type\": "
              "\"circle\", \"radius\": 0.25}]}",
              "\"actuators\": [{\"name\": \"push\", \"type\": \"thruster\", \"body\": "
              "\"ball\", \"low\": -2, \"high\": 2}], \"sensors\": [{\"name\": \"ball\", "
              "\"type\": \"body\", \"body\": \"ball\", \"values\": [\"y\", \"upright\"]}, "
              "{\"name\": \"h\", \"type\": \"body\", \"body\": \"ball\", \"values\": [\"vy\"], "
              "\"hidden\": true}], \"reward\": [{\"type\": \"alive\", \"weight\": 0.5}, "
              "{\"type\": \"progress\", \"channel\": \"ball.y\", \"weight\": 2}, {\"type\": "
              "\"action_cost\", \"weight\": 0.25}, {\"type\": \"upright\", \"channel\": "
              "\"ball.upright\"}], \"terminate\": [{\"reason\": \"falling_fast\", \"channel\": "
              "\"h.vy\", \"below\": -3, \"for_steps\": 3, \"reward\": -7}], \"truncate\": "
              "[{\"reason\": \"too_high\", \"channel\": \"ball.y\", \"above\": 100}]"),
        1));
    ENSURE(r.spec->sensor_count == 2); /* the hidden channel is not observed */
    double y0 = obs(&r, "ball.y");
    sp_step_result s = step(&r, 2.0, 0);
    double expect = 0.5 + 2.0 * (obs(&r, "ball.y") - y0) - 0.25 * 4.0 + 1.0;
    ENSURE_MSG(fabs(s.reward - expect) < 1e-5, "reward %g, expected %g", s.reward, expect);
    int n = 1;
    while (!s.terminated && !s.truncated && n < 400) {
        s = step(&r, 0.0, 0);
        n++;
    }
    /* vy passes -3 m/s after 0.306 s (16 env steps); three steps in a row: step 18 */
    ENSURE_MSG(s.terminated && !strcmp(s.reason, "falling_fast") && s.reward == -7.0, "%d %s %g", n,
               s.reason, s.reward);
    ENSURE_MSG(n == 18, "ended at step %d", n);
    stop(&r);
}

static void leaving_the_bounds_ends_the_episode(void) {
    run r;
    ENSURE(start(&r,
                 scene("{\"name\": \"ball\", \"position\": [0, 40], \"velocity\": [0, 30], "
                       "\"shapes\": [{\"type\": \"circle\", \"radius\": 0.25}]}",
                       ACT ", \"sensors\": [{\"name\": \"ball\", \"type\": \"body\", \"body\": "
                           "\"ball\", \"values\": [\"y\"]}]"),
                 1));
    sp_step_result s = {0};
    for (int k = 0; k < 100 && !s.terminated; k++)
        s = step(&r, 0, 0);
    ENSURE(s.terminated && !strcmp(s.reason, "out_of_bounds"));
    stop(&r);
}

/* ---- randomization and generators ---- */

static void randomization_draws_from_the_env_stream(void) {
    const char* rest =
        ACT ", \"sensors\": [{\"name\": \"ball\", \"type\": \"body\", \"body\": \"ball\", "
            "\"values\": [\"x\", \"vy\", \"angle\"]}], \"randomize\": [{\"type\": "
            "\"translate\", \"bodies\": [\"ball\"], \"axis\": \"x\", \"range\": [1, 2]}, "
            "{\"type\": \"velocity\", \"bodies\": [\"ball\"], \"axis\": \"y\", \"range\": "
            "[3, 4]}, {\"type\": \"rotate\", \"body\": \"ball\", \"range\": [0.1, 0.2]}, "
            "{\"type\": \"mass\", \"body\": \"ball\", \"range\": [2, 3]}, {\"type\": "
            "\"gravity\", \"range\": [0.5, 0.6]}]";
    run a, b, c;
    ENSURE(start(&a, scene(BALL, rest), 7));
    ENSURE(start(&b, scene(BALL, rest), 7));
    ENSURE(start(&c, scene(BALL, rest), 8));
    ENSURE(obs(&a, "ball.x") >= 1 && obs(&a, "ball.x") < 2);
    ENSURE(obs(&a, "ball.vy") >= 3 && obs(&a, "ball.vy") < 4);
    ENSURE(obs(&a, "ball.angle") >= 0.1f && obs(&a, "ball.angle") < 0.2f);
    double m = cpBodyGetMass(sp_world_body(sp_episode_world(a.ep), 1));
    ENSURE(m > 2 * 0.19 && m < 3 * 0.2); /* density 1 x area 0.196 */
    cpVect g = cpSpaceGetGravity(sp_world_space(sp_episode_world(a.ep)));
    ENSURE(g.y < -0.5 * 9.81 + 1e-9 && g.y > -0.6 * 9.81);
    ENSURE(sp_episode_hash(a.ep) == sp_episode_hash(b.ep));
    ENSURE(sp_episode_hash(a.ep) != sp_episode_hash(c.ep));
    stop(&a);
    stop(&b);
    stop(&c);
}

static int shapes_after_reset(const char* generators, uint64_t seed, uint64_t* hash) {
    char rest[1024];
    snprintf(rest, sizeof rest,
             ACT ", \"sensors\": [{\"name\": \"ball\", \"type\": \"body\", \"body\": \"ball\", "
                 "\"values\": [\"x\"]}], \"generators\": [%s]",
             generators);
    run r;
    if (!start(&r, scene(BALL, rest), seed)) return -1;
    sp_world* w = sp_episode_world(r.ep);
    int n = sp_world_shape_count(w);
    sp_hash h = sp_hash_begin();
    for (int i = 0; i < n; i++) {
        cpBB bb = cpShapeCacheBB(sp_world_shape(w, i));
        sp_hash_f64(&h, bb.l);
        sp_hash_f64(&h, bb.t);
    }
    *hash = h.h;
    stop(&r);
    return n;
}

static void generators_are_seeded_and_bounded(void) {
    static const char* const gens[] = {
        "{\"type\": \"terrain\", \"name\": \"t\", \"style\": \"rough\", \"x\": [-10, 10], "
        "\"segments\": 20}",
        "{\"type\": \"terrain\", \"name\": \"t\", \"style\": \"stumps\", \"x\": [-10, 10], "
        "\"segments\": 20}",
        "{\"type\": \"terrain\", \"name\": \"t\", \"style\": \"pits\", \"x\": [-10, 10], "
        "\"segments\": 20}",
        "{\"type\": \"terrain\", \"name\": \"t\", \"style\": \"stairs\", \"x\": [-10, 10], "
        "\"segments\": 20}",
        "{\"type\": \"scatter\", \"name\": \"rocks\", \"area\": [-5, 1, 5, 3], \"count\": 12, "
        "\"shape\": \"box\"}",
    };
    for (int i = 0; i < 5; i++) {
        uint64_t h1, h2, h3;
        int n1 = shapes_after_reset(gens[i], 1, &h1), n2 = shapes_after_reset(gens[i], 1, &h2);
        int n3 = shapes_after_reset(gens[i], 2, &h3);
        ENSURE_MSG(n1 > 2 && n1 == n2 && h1 == h2, "generator %d not reproducible", i);
        ENSURE_MSG(h1 != h3 && n3 > 2, "generator %d ignores the seed", i);
        if (i == 0) ENSURE(n1 == 2 + 20);
        if (i == 4) ENSURE(n1 == 2 + 12);
    }
    /* A perfect maze of C cells keeps C + 1 of its cells' east and north walls, plus the two
     * borders drawn whole. */
    uint64_t h;
    int n = shapes_after_reset(
        "{\"type\": \"maze\", \"name\": \"m\", \"origin\": [-4, 0], \"cols\": 5, "
        "\"rows\": 4, \"cell\": 1.5}",
        3, &h);
    ENSURE_MSG(n == 2 + 5 + 4 + 20 + 1, "maze has %d shapes", n - 2);
}

/* ---- the document ---- */

static void canonical_text_decodes_to_the_same_scene(void) {
    char err[512];
    sp_scene* a = load(scene(BALL, ACT ", \"sensors\": [{\"name\": \"b\", \"type\": \"body\", "
                                       "\"body\": \"ball\", \"values\": [\"x\"]}]"),
                       err, sizeof err);
    ENSURE_MSG(a, "%s", err);
    size_t n;
    const char* text = sp_scene_canonical(a, &n);
    sp_scene* b = load(text, err, sizeof err);
    ENSURE_MSG(b, "%s", err);
    size_t m = 0;
    ENSURE(!strcmp(sp_scene_canonical(b, &m), text) && m == n);
    ENSURE(sp_scene_memory(a) > n);
    sp_scene_destroy(a);
    sp_scene_destroy(b);
}

/* Each bad scene is refused with its path and the reason. */
static void bad_scenes_name_their_path(void) {
    static const struct {
        const char* bodies;
        const char* rest;
        const char* want;
    } cases[] = {
        {"{\"name\": \"ball\", \"shapes\": [{\"type\": \"circle\", \"radius\": 0}]}", ACT,
         "bodies[1].shapes[0].radius: must be > 0"},
        {"{\"name\": \"ball\", \"shapes\": [{\"type\": \"circle\", \"radius\": \"big\"}]}", ACT,
         "bodies[1].shapes[0].radius: must be a number, got a string"},
        {"{\"name\": \"ball\", \"shapes\": [{\"type\": \"circle\", \"radius\": 1e300}]}", ACT,
         "bodies[1].shapes[0].radius: must be finite with magnitude <= 1e+06"},
        {"{\"name\": \"ball\", \"shapes\": [{\"type\": \"hexagon\"}]}", ACT,
         "bodies[1].shapes[0].type: must be one of: circle, box, polygon, segment, polyline"},
        {"{\"name\": \"ball\", \"shapes\": [{\"type\": \"polygon\", \"points\": [[0, 0], [1, 1], "
         "[1, 0]]}]}",
         ACT, "bodies[1].shapes[0].points: must be convex and counter-clockwise"},
        {"{\"name\": \"ball\", \"shapes\": [{\"type\": \"circle\", \"radius\": 1, \"colour\": 1}]}",
         ACT, "bodies[1].shapes[0]: unknown key 'colour'"},
        {"{\"name\": \"ground\", \"shapes\": [{\"type\": \"circle\", \"radius\": 1}]}", ACT,
         "bodies[1].name: 'ground' is taken by bodies[0]"},
        {BALL, "\"actuators\": [{\"name\": \"p\", \"type\": \"thruster\", \"body\": \"moon\"}]",
         "actuators[0].body: must name a body"},
        {BALL,
         ACT ", \"sensors\": [{\"name\": \"b\", \"type\": \"body\", \"body\": \"ball\", "
             "\"values\": [\"x\"]}], \"terminate\": [{\"reason\": \"r\", \"channel\": \"b.z\", "
             "\"above\": 1}]",
         "terminate[0].channel: must name a sensor channel"},
        {BALL,
         ACT ", \"sensors\": [{\"name\": \"e\", \"type\": \"lidar\", \"body\": \"ball\", "
             "\"rays\": 65}]",
         "sensors[0].rays: must be in [1, 64]"},
        {BALL,
         ACT ", \"sensors\": [{\"name\": \"b\", \"type\": \"body\", \"body\": \"ball\", "
             "\"values\": [\"x\"]}], \"generators\": [{\"type\": \"maze\", \"name\": \"m\", "
             "\"cols\": 1000, \"rows\": 1000, \"cell\": 1}]",
         "generators[0]: adds up to 2002000 shapes"},
        {BALL, ACT ", \"sensors\": []", "sensors: needs an observed channel"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        sp_scene* sc = load(scene(cases[i].bodies, cases[i].rest), err, sizeof err);
        ENSURE_MSG(!sc && strstr(err, cases[i].want), "case %zu: got '%s', want '%s'", i, err,
                   cases[i].want);
        sp_scene_destroy(sc);
    }
    /* Not JSON, the wrong format, NaN literal, a number past double range, duplicate keys. */
    static const struct {
        const char* json;
        const char* want;
    } docs[] = {
        {"{", "not valid JSON"},
        {"[]", "scene: must be a JSON object"},
        {"{\"format\": 2}", "format: is 2; this sandpit reads format 1"},
        {"{\"format\": NaN}", "not valid JSON"},
        {"{\"format\": 1e400}", "not valid JSON"},
        {"{\"format\": 1, \"format\": 1}", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char err[512] = "";
        sp_scene* sc = load(docs[i].json, err, sizeof err);
        ENSURE_MSG(!sc && strstr(err, docs[i].want), "doc %zu: got '%s'", i, err);
    }
    /* Past each count limit. */
    sp_scene_limits lim = sp_default_scene_limits();
    lim.max_bodies = 1;
    char err[512] = "";
    const char* two = scene(BALL, ACT ", \"sensors\": [{\"name\": \"b\", \"type\": \"body\", "
                                      "\"body\": \"ball\", \"values\": [\"x\"]}]");
    ENSURE(!sp_scene_load(two, strlen(two), &lim, err, sizeof err));
    ENSURE_MSG(strstr(err, "bodies: has 2 items; the limit is 1"), "%s", err);
    lim = sp_default_scene_limits();
    lim.max_bytes = 100;
    ENSURE(!sp_scene_load(two, strlen(two), &lim, err, sizeof err) &&
           strstr(err, "the limit is 100"));
}

static const sp_test_case cases[] = {
    {"every_shape_falls_and_rests_on_the_ground", every_shape_falls_and_rests_on_the_ground},
    {"density_gives_mass_and_a_polyline_is_terrain", density_gives_mass_and_a_polyline_is_terrain},
    {"pivot_limits_hold_the_arm", pivot_limits_hold_the_arm},
    {"slider_weld_and_springs", slider_weld_and_springs},
    {"motors_and_servos_turn_the_arm", motors_and_servos_turn_the_arm},
    {"thrusters_push_along_their_direction_and_actions_table",
     thrusters_push_along_their_direction_and_actions_table},
    {"distance_bearing_imu_and_lidar", distance_bearing_imu_and_lidar},
    {"reward_terms_and_conditions", reward_terms_and_conditions},
    {"leaving_the_bounds_ends_the_episode", leaving_the_bounds_ends_the_episode},
    {"randomization_draws_from_the_env_stream", randomization_draws_from_the_env_stream},
    {"generators_are_seeded_and_bounded", generators_are_seeded_and_bounded},
    {"canonical_text_decodes_to_the_same_scene", canonical_text_decodes_to_the_same_scene},
    {"bad_scenes_name_their_path", bad_scenes_name_their_path},
};
SP_TEST_MAIN(cases)
