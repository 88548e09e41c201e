/* Tyres seen from above: a drive or steered wheel at a body point (top-down car physics, as
 * Box2D's top-down car examples do it). Per physics step the tyre pushes along its direction
 * (drive), brakes rolling (drag) and pushes back against sliding sideways (lateral), and all
 * of it together is clipped to the tyre's grip (a friction circle): past it the tyre slides,
 * so a car driven hard into a corner drifts. */

#include <math.h>

#include "run.h"
#include "smath.h"
#include "wheel.h"

bool sc_wheel_decode(sc_dec* d, json_t* o, sc_actuator* a) {
    double max = d->lim->max_abs;
    a->direction = cpv(1.0, 0.0);
    a->lateral = 10.0;
    a->grip = 0.0;
    if (!sc_body_ref(d, o, "body", false, &a->body) || !sc_vec(d, o, "point", false, &a->point) ||
        !sc_vec(d, o, "direction", false, &a->direction) || !sc_bool(d, o, "steer", &a->steer) ||
        !sc_num(d, o, "lateral", false, 0.0, max, &a->lateral) ||
        !sc_num(d, o, "grip", false, 0.0, max, &a->grip) ||
        !sc_num(d, o, "drag", false, 0.0, max, &a->drag))
        return false;
    if (d->m->bodies[a->body].kind != SC_DYNAMIC)
        return sc_fail_at(d, "body", "must be a dynamic body");
    if (cpveql(a->direction, cpvzero)) return sc_fail_at(d, "direction", "must not be [0, 0]");
    a->direction = cpvnormalize(a->direction);
    a->travel = d->m->wheel_count++;
    return true;
}

/* The wheel's rolling direction in the world and its contact point, this physics step. */
static cpVect heading(const sc_state* s, const sc_actuator* a, double u, cpVect* at) {
    cpBody* b = s->bodies[a->body];
    cpVect dir = a->steer ? cpvrotate(a->direction, sc_forangle(u)) : a->direction;
    *at = cpBodyLocalToWorld(b, sc_local(s->m, a->body, a->point));
    return cpvrotate(dir, cpBodyGetRotation(b));
}

void sc_wheel_apply(sc_state* s, int i, double dt) {
    const sc_actuator* a = &s->m->actuators[i];
    cpBody* b = s->bodies[a->body];
    double scale = a->gain * s->gain_scale[i];
    double u = s->command[i] * scale;
    cpVect at, h = heading(s, a, u, &at), n = cpvperp(h);
    cpVect v = cpBodyGetVelocityAtWorldPoint(b, at);
    double roll = cpvdot(v, h), slide = cpvdot(v, n);
    double along = (a->steer ? 0.0 : u) - a->drag * roll, across = -a->lateral * slide;
    double f2 = along * along + across * across;
    if (a->grip > 0.0 && f2 > a->grip * a->grip) {
        double k = a->grip / sqrt(f2);
        along *= k;
        across *= k;
    }
    cpBodyApplyForceAtWorldPoint(b, cpvadd(cpvmult(h, along), cpvmult(n, across)), at);
    s->travel[a->travel] += roll * dt;
    if (scale != 0.0) s->delivered[i] += a->steer ? s->command[i] : along / scale;
}

double sc_wheel_speed(const sc_state* s, int i) {
    const sc_actuator* a = &s->m->actuators[i];
    cpVect at, h = heading(s, a, s->command[i] * a->gain * s->gain_scale[i], &at);
    return cpvdot(cpBodyGetVelocityAtWorldPoint(s->bodies[a->body], at), h);
}
