/* Quantities read from the world: what sensor channels, reward terms and conditions see. */

#include <math.h>

#include "gen_track.h"
#include "run.h"
#include "sandpit/scene.h"
#include "smath.h"
#include "wheel.h"

int sp_scene_shape_role(const sp_world* world, sp_shape_id shape) {
    return sc_tag_role(sp_shape_tag(world, shape));
}

typedef struct touch_query {
    const sc_probe* p;
    cpBody* other;
    bool found;
} touch_query;

/* Chipmunk rebuilds each body's arbiter list every step from that step's contacts; a boolean
 * OR over it does not depend on the list's order. */
static void touch_each(cpBody* body, cpArbiter* arb, void* data) {
    touch_query* q = data;
    if (q->found || cpArbiterGetCount(arb) == 0) return;
    CP_ARBITER_GET_SHAPES(arb, mine, theirs);
    (void)mine;
    if (q->other && cpShapeGetBody(theirs) != q->other) return;
    if (q->p->role >= 0 && sc_shape_role(theirs) != q->p->role) return;
    q->found = true;
}

static double lidar(const sc_state* s, const sp_world* world, const sc_probe* p) {
    cpBody* b = s->bodies[p->body];
    double a = sc_lidar_angle(p) + (p->world ? 0.0 : cpBodyGetAngle(b));
    cpVect from = cpBodyLocalToWorld(b, sc_local(s->m, p->body, p->offset));
    cpVect to = cpvadd(from, cpvmult(cpv(sc_cos(a), sc_sin(a)), p->range));
    cpSegmentQueryInfo info;
    cpShapeFilter filter =
        cpShapeFilterNew(p->group ? p->group : CP_NO_GROUP, CP_ALL_CATEGORIES, p->mask);
    cpSpace* space = sp_world_space((sp_world*)world);
    if (cpSpaceSegmentQueryFirst(space, from, to, 0.0, filter, &info)) return info.alpha * p->range;
    return p->range;
}

static double frame_step(const sc_state* s) {
    return s->m->spec.dt * s->m->spec.frame_skip;
}

double sc_probe_read(const sc_state* s, const sp_world* world, const sc_probe* p) {
    cpBody* b = p->body == SC_NONE ? NULL : s->bodies[p->body];
    switch (p->kind) {
    case SC_P_X:
    case SC_P_Y:
    case SC_P_VX:
    case SC_P_VY: {
        bool pos = p->kind == SC_P_X || p->kind == SC_P_Y;
        cpVect v = pos ? cpBodyGetPosition(b) : cpBodyGetVelocity(b);
        if (pos && p->ref == SC_NONE) v = cpvsub(v, p->origin);
        if (p->ref != SC_NONE) {
            cpBody* r = s->bodies[p->ref];
            v = cpvunrotate(cpvsub(v, pos ? cpBodyGetPosition(r) : cpBodyGetVelocity(r)),
                            cpBodyGetRotation(r));
        }
        return (p->kind == SC_P_X || p->kind == SC_P_VX) ? v.x : v.y;
    }
    case SC_P_ANGLE: {
        double a = cpBodyGetAngle(b);
        if (p->ref != SC_NONE) a -= cpBodyGetAngle(s->bodies[p->ref]);
        return p->wrap ? sc_wrap_angle(a) : a;
    }
    case SC_P_ANGULAR_VELOCITY: {
        double w = cpBodyGetAngularVelocity(b);
        return p->ref != SC_NONE ? w - cpBodyGetAngularVelocity(s->bodies[p->ref]) : w;
    }
    case SC_P_UPRIGHT:
        return cpBodyGetRotation(b).x;
    case SC_P_JOINT_ANGLE:
    case SC_P_JOINT_SPEED: {
        const sc_joint* j = &s->m->joints[p->joint];
        cpBody* ja = sc_body_ptr(s, world, j->a);
        cpBody* jb = sc_body_ptr(s, world, j->b);
        if (p->kind == SC_P_JOINT_ANGLE) return cpBodyGetAngle(jb) - cpBodyGetAngle(ja);
        return cpBodyGetAngularVelocity(jb) - cpBodyGetAngularVelocity(ja);
    }
    case SC_P_DISTANCE:
    case SC_P_BEARING: {
        cpVect d = cpvsub(cpBodyGetPosition(s->bodies[p->other]), cpBodyGetPosition(b));
        if (p->kind == SC_P_DISTANCE) return sqrt(cpvdot(d, d));
        cpVect local = cpvunrotate(d, cpBodyGetRotation(b));
        return sc_atan2(local.y, local.x);
    }
    case SC_P_TOUCH: {
        touch_query q = {p, p->other == SC_NONE ? NULL : s->bodies[p->other], false};
        cpBodyEachArbiter(b, touch_each, &q);
        return q.found ? 1.0 : 0.0;
    }
    case SC_P_IMU_AX:
    case SC_P_IMU_AY: {
        cpVect g = cpSpaceGetGravity(sp_world_space((sp_world*)world));
        cpVect acc =
            cpvmult(cpvsub(cpBodyGetVelocity(b), s->imu_prev_v[p->imu]), 1.0 / frame_step(s));
        cpVect f = cpvunrotate(cpvsub(acc, g), cpBodyGetRotation(b));
        return p->kind == SC_P_IMU_AX ? f.x : f.y;
    }
    case SC_P_IMU_GYRO:
        return cpBodyGetAngularVelocity(b);
    case SC_P_LIDAR:
        return lidar(s, world, p);
    case SC_P_ACTUATOR:
        return s->command[p->actuator];
    case SC_P_SPEED:
        return cpvlength(cpBodyGetVelocity(b));
    case SC_P_FUEL:
        return s->fuel / s->m->fuel_capacity;
    case SC_P_CONTACT_BEGAN:
    case SC_P_IMPACT:
        return s->latches[p->latch];
    case SC_P_WHEEL_SPEED:
        return sc_wheel_speed(s, p->actuator);
    case SC_P_WHEEL_TRAVEL:
        return s->travel[s->m->actuators[p->actuator].travel];
    case SC_P_TRACK_PROGRESS:
    case SC_P_TRACK_OFFSET:
    case SC_P_TRACK_HEADING:
    case SC_P_TRACK_LAPS:
        return sc_track_read(s, p);
    }
    return 0.0;
}
