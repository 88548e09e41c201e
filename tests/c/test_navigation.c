/* The navigation worlds (assets/scenes/rover*.json, racer*.json) and the scene parts they
 * brought: wheels that roll, grip and slide; wheel encoders; the track generator and its
 * sensor; snapped translations; lidar beams declared in the spec, drawn where the sensor
 * looked; and what the step path allocates. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc_count.h"
#include "ensure.h"
#include "pixels.h"
#include "sandpit/draw.h"
#include "sandpit/episode.h"
#include "sandpit/scene.h"
#include "scene_run.h"
#include "world_chipmunk.h"

typedef scene_run run;

static bool start(run* r, const char* file, uint64_t seed) {
    char path[512];
    snprintf(path, sizeof path, "%s/assets/scenes/%s", SP_SOURCE_DIR, file);
    return scene_run_start_file(r, path, seed);
}

static void stop(run* r) {
    scene_run_stop(r);
}

static sp_step_result step(run* r, double a0, double a1) {
    sp_action a = {0};
    a.value[0] = (float)a0;
    a.value[1] = (float)a1;
    return scene_run_step(r, &a);
}

static double obs(const run* r, const char* name) {
    return scene_run_obs(r, name);
}

/* ---- lidar beams (issue: the viewer draws what the lidar saw) ---- */

/* Every lidar channel is declared as a beam, and the beam drawn from its reading ends on a
 * shape: the body, origin, offset and angle in the spec are the sensor's own. */
static void beams_end_where_the_lidar_hit(void) {
    static const char* const files[] = {"rover_continuous.json", "racer_continuous.json"};
    for (int f = 0; f < 2; f++) {
        run r;
        ENSURE(start(&r, files[f], 4));
        ENSURE(r.spec->ray_count == 16 && r.spec->rays);
        for (int k = 0; k < 30; k++)
            step(&r, 0.8, k < 15 ? 0.5 : 1.0);
        sp_draw_ray beams[16];
        sp_world* world = sp_episode_world(r.ep);
        int n =
            sp_draw_rays_from_readings(r.spec, world, sp_episode_obs(r.ep), NULL, NULL, beams, 16);
        ENSURE(n == 16);
        int hits = 0;
        for (int i = 0; i < 16; i++) {
            const sp_ray_sensor* ray = &r.spec->rays[i];
            char want[16];
            snprintf(want, sizeof want, "lidar.%d", i);
            ENSURE(!strcmp(r.spec->sensors[ray->sensor].name, want) && ray->body == 0);
            if (!beams[i].hit) continue;
            cpPointQueryInfo near;
            cpSpacePointQueryNearest(sp_world_space(world), cpv(beams[i].x1, beams[i].y1), 0.05,
                                     CP_SHAPE_FILTER_ALL, &near);
            ENSURE_MSG(near.shape && fabs(near.distance) < 0.01, "%s beam %d ends %g m off",
                       files[f], i, near.shape ? near.distance : -1.0);
            hits++;
        }
        ENSURE(hits >= 4);
        stop(&r);
    }
}

/* A frame of the Rover drawn with its declared beams shows them; without, none. */
static void rover_frame_shows_its_beams(void) {
    run r;
    ENSURE(start(&r, "rover.json", 2));
    sp_world* world = sp_episode_world(r.ep);
    static uint8_t px[240 * 320 * 3];
    sp_image img = sp_image_wrap(px, 320, 240, 320 * 3);
    sp_view_hint hint = sp_view_hint_for(r.spec->id);
    sp_camera cam = sp_camera_frame(&hint, world, 320, 240);
    sp_draw_ray beams[16];
    sp_scene_opts o = sp_default_scene_opts();
    sp_draw_world(&img, &cam, world, &o);
    int before = count_color(&img, sp_draw_ray_color());
    o.rays = beams;
    o.ray_count =
        sp_draw_rays_from_readings(r.spec, world, sp_episode_obs(r.ep), NULL, NULL, beams, 16);
    ENSURE(o.ray_count == 16);
    sp_draw_world(&img, &cam, world, &o);
    int after = count_color(&img, sp_draw_ray_color());
    int hits = count_color(&img, sp_draw_ray_hit_color());
    ENSURE_MSG(before == 0 && after > 100 && hits > 0, "beam pixels %d -> %d, hit pixels %d",
               before, after, hits);
    stop(&r);
}

/* ---- wheels ---- */

/* Both Rover wheels forward: it rolls straight and the encoders agree with the distance; one
 * wheel forward and one back: it turns on the spot, the encoders opposite. */
static void rover_wheels_drive_and_turn(void) {
    run r;
    ENSURE(start(&r, "rover_continuous.json", 0));
    for (int k = 0; k < 5; k++)
        step(&r, 1.0, 1.0);
    double l = obs(&r, "left.travel"), rt = obs(&r, "right.travel");
    ENSURE_MSG(l > 0.1 && fabs(l - rt) < 1e-3 * l, "travel %g %g", l, rt);
    ENSURE(obs(&r, "left.speed") > 0.3);
    double l0 = l, r0 = rt;
    for (int k = 0; k < 10; k++)
        step(&r, -0.6, 0.6);
    double dl = obs(&r, "left.travel") - l0, dr = obs(&r, "right.travel") - r0;
    ENSURE_MSG(dl < -0.05 && dr > 0.05 && dr - dl > 0.5, "turn %g %g", dl, dr);
    stop(&r);
}

/* A driver holding the track's centreline: the steering command. */
static double hold_line(const run* r) {
    double steer = -0.8 * obs(r, "track.offset") - 2.0 * obs(r, "track.heading");
    return fmax(-1.0, fmin(1.0, steer));
}

/* The car's drift angle: its velocity's direction in its own frame. */
static double drift(const run* r) {
    cpBody* car = sp_world_body(sp_episode_world(r->ep), 0);
    cpVect v = cpvunrotate(cpBodyGetVelocity(car), cpBodyGetRotation(car));
    return fabs(atan2(v.y, v.x));
}

/* Racer: held on the line, the tyres keep the car pointing where it goes (the rear wheel's
 * encoder reads its speed); full lock at speed overcomes their grip and the car slides: a
 * drift angle several times larger. */
static void racer_tyres_grip_then_slide(void) {
    run r;
    ENSURE(start(&r, "racer_continuous.json", 0));
    double held = 0.0;
    for (int k = 0; k < 60; k++) {
        step(&r, hold_line(&r), 1.0);
        if (k >= 30) held = fmax(held, drift(&r));
    }
    double speed = obs(&r, "car.speed");
    ENSURE_MSG(speed > 4.0 && fabs(obs(&r, "rear.speed") - speed) < 0.05 * speed,
               "speed %g, rear wheel %g", speed, obs(&r, "rear.speed"));
    double slid = 0.0;
    for (int k = 0; k < 20; k++) {
        step(&r, 1.0, 1.0);
        slid = fmax(slid, drift(&r));
    }
    ENSURE_MSG(slid > 0.15 && slid > 4.0 * held, "drift angle %g rad on the line, %g at full lock",
               held, slid);
    stop(&r);
}

/* ---- the track ---- */

/* A driver holding the centreline laps the track: progress grows smoothly past the track's
 * length (no jump at the start line), laps reaches 1 and the episode ends with "lap". */
static void a_lap_ends_the_episode(void) {
    run r;
    ENSURE(start(&r, "racer_continuous.json", 5));
    sp_step_result res = {0};
    int lap_steps = 0;
    for (int k = 0; k < 1000 && !res.terminated && !res.truncated; k++) {
        double throttle = 5.0 - obs(&r, "car.speed");
        res = step(&r, hold_line(&r), fmax(-1.0, fmin(1.0, throttle)));
        ENSURE_MSG(res.reward < 1.0 || res.terminated, "step %d reward %g: progress jumped", k,
                   res.reward);
        lap_steps = k + 1;
    }
    ENSURE_MSG(res.terminated && res.reason && !strcmp(res.reason, "lap"), "ended %s after %d",
               res.reason ? res.reason : "-", lap_steps);
    ENSURE(res.episode_return > 8.0);
    stop(&r);
}

/* ---- snapped translation ---- */

/* The goal lands on a cell centre of the maze's far corner, and different seeds use
 * different cells. */
static void the_goal_sits_on_cell_centres(void) {
    int seen = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        run r;
        ENSURE(start(&r, "rover.json", seed));
        cpVect g = cpBodyGetPosition(sp_world_body(sp_episode_world(r.ep), 1));
        double kx = (g.x - 0.6) / 1.2, ky = (g.y - 0.6) / 1.2;
        ENSURE_MSG(fabs(kx - round(kx)) < 1e-9 && fabs(ky - round(ky)) < 1e-9 && kx >= 2 &&
                       kx <= 4 && ky >= 2 && ky <= 4,
                   "goal at %g %g", g.x, g.y);
        seen |= 1 << (int)(3 * round(kx - 2) + round(ky - 2));
        stop(&r);
    }
    ENSURE(__builtin_popcount((unsigned)seen) >= 6);
}

/* ---- the step path ---- */

/* The step path allocates nothing of its own: the runtime, the scene's hooks (wheels, track,
 * lidar, contacts) and the layers take no memory per step. What does allocate is Chipmunk,
 * whose space is new at every reset (so an episode never depends on the one before): it grows
 * its contact-buffer ring, arbiter and pair pools at the episode's first contacts, by whole
 * blocks, and then reuses them. So over a second episode the count is small, confined to the
 * first contacts, and zero from step 100 on, through hundreds of contacts beginning and
 * ending. */
static void steps_allocate_only_while_chipmunk_pools_grow(void) {
    static const char* const files[] = {"rover.json", "rover_continuous.json", "racer.json",
                                        "racer_continuous.json"};
    for (int f = 0; f < 4; f++) {
        run r;
        ENSURE(start(&r, files[f], 1));
        bool discrete = r.spec->action_kind == SP_ACTION_DISCRETE;
        uint64_t seed = 7;
        ENSURE(sp_episode_reset(r.ep, &seed) == 0);
        long before = allocations, late = 0;
        for (int k = 0; k < 400 && !sp_episode_done(r.ep); k++) {
            /* Drive into walls and turn: contacts begin and end. */
            sp_action a = {0};
            a.index = discrete ? (k / 20) % r.spec->action_count : 0;
            a.value[0] = (float)((k / 25) % 2 ? 1.0 : -0.3);
            a.value[1] = 1.0f;
            sp_step_result res;
            char err[128];
            long was = allocations;
            ENSURE(sp_episode_step(r.ep, &a, &res, err, sizeof err) == 0);
            if (k >= 100) late += allocations - was;
        }
        ENSURE_MSG(late == 0 && allocations - before <= 24,
                   "%s: %ld allocations in 400 steps, %ld after step 100", files[f],
                   allocations - before, late);
        stop(&r);
    }
}

/* ---- bad scenes ---- */

static void bad_parts_name_their_path(void) {
    static const char* const base =
        "{\"format\": 1, \"id\": \"T-v0\", \"world\": {\"gravity\": [0, 0]}, \"bodies\": "
        "[{\"name\": \"car\", \"shapes\": [{\"type\": \"circle\", \"radius\": 0.3}]}, {\"name\": "
        "\"wall\", \"type\": \"static\"}], %s}";
    static const struct {
        const char* rest;
        const char* want;
    } cases[] = {
        {"\"actuators\": [{\"name\": \"w\", \"type\": \"wheel\", \"body\": \"wall\"}], "
         "\"sensors\": [{\"name\": \"b\", \"type\": \"body\", \"body\": \"car\", \"values\": "
         "[\"x\"]}]",
         "actuators[0].body: must be a dynamic body"},
        {"\"actuators\": [{\"name\": \"w\", \"type\": \"wheel\", \"body\": \"car\", \"fuel\": "
         "true}]",
         "actuators[0]: unknown key 'fuel'"},
        {"\"actuators\": [{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"car\", \"grip\": "
         "1}]",
         "actuators[0]: unknown key 'grip'"},
        {"\"actuators\": [{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"car\"}], "
         "\"sensors\": [{\"name\": \"e\", \"type\": \"wheel\", \"wheel\": \"t\", \"values\": "
         "[\"speed\"]}]",
         "sensors[0].wheel: must name a wheel actuator"},
        {"\"actuators\": [{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"car\"}], "
         "\"generators\": [{\"type\": \"maze\", \"name\": \"m\", \"cols\": 2, \"rows\": 2, "
         "\"cell\": 1}], \"sensors\": [{\"name\": \"k\", \"type\": \"track\", \"body\": \"car\", "
         "\"track\": \"m\", \"values\": [\"progress\"]}]",
         "sensors[0].track: must name a track generator"},
        {"\"actuators\": [{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"car\"}], "
         "\"generators\": [{\"type\": \"track\", \"name\": \"k\", \"radius\": 5, \"width\": 6}]",
         "generators[0].width: must be less than the radius"},
        {"\"actuators\": [{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"car\"}], "
         "\"generators\": [{\"type\": \"track\", \"name\": \"k\", \"cols\": 3}]",
         "generators[0]: unknown key 'cols'"},
        {"\"actuators\": [{\"name\": \"t\", \"type\": \"thruster\", \"body\": \"car\"}], "
         "\"sensors\": [{\"name\": \"b\", \"type\": \"body\", \"body\": \"car\", \"values\": "
         "[\"x\"]}], \"randomize\": [{\"type\": \"rotate\", \"body\": \"car\", \"range\": [0, 1], "
         "\"snap\": 0.5}]",
         "randomize[0].snap: applies to translate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[2048], err[512];
        snprintf(json, sizeof json, base, cases[i].rest);
        sp_scene* sc = sp_scene_load(json, strlen(json), NULL, err, sizeof err);
        ENSURE_MSG(!sc && strstr(err, cases[i].want), "case %zu: got '%s'", i,
                   sc ? "(accepted)" : err);
    }
}

static const sp_test_case cases[] = {
    {"beams_end_where_the_lidar_hit", beams_end_where_the_lidar_hit},
    {"rover_frame_shows_its_beams", rover_frame_shows_its_beams},
    {"rover_wheels_drive_and_turn", rover_wheels_drive_and_turn},
    {"racer_tyres_grip_then_slide", racer_tyres_grip_then_slide},
    {"a_lap_ends_the_episode", a_lap_ends_the_episode},
    {"the_goal_sits_on_cell_centres", the_goal_sits_on_cell_centres},
    {"steps_allocate_only_while_chipmunk_pools_grow",
     steps_allocate_only_while_chipmunk_pools_grow},
    {"bad_parts_name_their_path", bad_parts_name_their_path},
};
SP_TEST_MAIN(cases)
