/* The env hooks every scene shares. build makes the declared world in declaration order (bodies
 * with their shapes, joints, generated terrain), then applies the randomization ops in order,
 * each drawing from the env stream; act/apply turn commands into forces; sense and evaluate
 * read probes. Stepping allocates nothing. */

#include <math.h>
#include <string.h>

#include "run.h"
#include "sandpit/error.h"
#include "sandpit/scene.h"
#include "gen_track.h"
#include "smath.h"
#include "wheel.h"

/* ---- the state block ---- */

/* Offsets of the arrays after the sc_state header, each 8-byte aligned. */
typedef struct layout {
    size_t bodies, motors, command, gain, progress, cond, imu, tilt, delivered, latches, size;
    size_t travel, track, track_len, track_prev, slots;
} layout;

/* Reserves `bytes` at *at, 8-byte aligned; returns where. */
static size_t take(size_t* at, size_t bytes) {
    size_t where = *at;
    *at = (where + bytes + 7u) & ~(size_t)7u;
    return where;
}

static layout state_layout(const sc_model* m) {
    layout l;
    size_t at = 0, acts = (size_t)m->actuator_count * sizeof(double);
    take(&at, sizeof(sc_state));
    l.bodies = take(&at, (size_t)m->body_count * sizeof(cpBody*));
    l.motors = take(&at, (size_t)m->joint_count * sizeof(cpConstraint*));
    l.command = take(&at, acts);
    l.gain = take(&at, acts);
    l.progress = take(&at, (size_t)m->term_count * sizeof(double));
    l.cond = take(&at, (size_t)m->condition_count * sizeof(int));
    l.imu = take(&at, (size_t)m->imu_count * sizeof(cpVect));
    l.tilt = take(&at, acts);
    l.delivered = take(&at, acts);
    l.latches = take(&at, (size_t)m->latch_count * sizeof(double));
    l.slots = take(&at, (size_t)m->slot_count * sizeof(sc_slot));
    l.travel = take(&at, (size_t)m->wheel_count * sizeof(double));
    l.track = take(&at, (size_t)m->track_points * sizeof(cpVect));
    l.track_len = take(&at, (size_t)m->track_points * sizeof(double));
    l.track_prev = take(&at, (size_t)m->track_progress * sizeof(double));
    l.size = at;
    return l;
}

static void bind_state(sc_state* s) {
    layout l = state_layout(s->m);
    char* base = (char*)s;
    s->bodies = (cpBody**)(void*)(base + l.bodies);
    s->motors = (cpConstraint**)(void*)(base + l.motors);
    s->command = (double*)(void*)(base + l.command);
    s->gain_scale = (double*)(void*)(base + l.gain);
    s->progress_prev = (double*)(void*)(base + l.progress);
    s->cond_steps = (int*)(void*)(base + l.cond);
    s->imu_prev_v = (cpVect*)(void*)(base + l.imu);
    s->tilt = (double*)(void*)(base + l.tilt);
    s->delivered = (double*)(void*)(base + l.delivered);
    s->latches = (double*)(void*)(base + l.latches);
    s->slots = (sc_slot*)(void*)(base + l.slots);
    s->travel = (double*)(void*)(base + l.travel);
    s->track = (cpVect*)(void*)(base + l.track);
    s->track_len = (double*)(void*)(base + l.track_len);
    s->track_prev = (double*)(void*)(base + l.track_prev);
}

/* The observed lidar channels as beams for the viewer and export (spec.rays): a scene body's
 * registry index is its index, as build_bodies adds them in order and generators add none. */
static bool fill_rays(sc_dec* d) {
    sc_model* m = d->m;
    int n = 0;
    for (int i = 0; i < m->spec.sensor_count; i++)
        n += m->channels[i].probe.kind == SC_P_LIDAR;
    if (n == 0) return true;
    sp_ray_sensor* rays = sc_alloc(d, (size_t)n, sizeof *rays);
    if (!rays) return false;
    n = 0;
    for (int i = 0; i < m->spec.sensor_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if (p->kind != SC_P_LIDAR) continue;
        cpVect at = sc_local(m, p->body, p->offset);
        rays[n++] = (sp_ray_sensor){.sensor = i,
                                    .body = p->body,
                                    .x = at.x,
                                    .y = at.y,
                                    .angle = sc_lidar_angle(p),
                                    .world_frame = p->world,
                                    .range = p->range};
    }
    m->spec.ray_count = n;
    m->spec.rays = rays;
    return true;
}

bool sc_finish(sc_dec* d) {
    sc_model* m = d->m;
    sp_env_spec* spec = &m->spec;
    if (!(m->observed = sc_alloc(d, (size_t)spec->sensor_count, sizeof *m->observed)) ||
        !(m->spec_actuators = sc_alloc(d, (size_t)m->actuator_count, sizeof *m->spec_actuators)))
        return false;
    for (int i = 0; i < spec->sensor_count; i++)
        m->observed[i] = m->channels[i].ch;
    for (int i = 0; i < m->actuator_count; i++)
        m->spec_actuators[i] = m->actuators[i].ch;
    spec->sensors = m->observed;
    if (!fill_rays(d)) return false;
    spec->constraint_count = m->constraint_count;
    spec->constraints = m->constraints;
    if (m->action_count > 0) {
        spec->action_kind = SP_ACTION_DISCRETE;
        spec->action_count = m->action_count;
        spec->action_names = m->action_names;
    } else {
        spec->action_kind = SP_ACTION_CONTINUOUS;
        spec->actuator_count = m->actuator_count;
        spec->actuators = m->spec_actuators;
    }
    m->cls = (sp_env_class){
        .spec = spec,
        .state_size = state_layout(m).size,
        .build = sc_build,
        .act = sc_act,
        .apply = sc_apply,
        .sense = sc_sense,
        .evaluate = sc_evaluate,
        .hash = sc_hash,
        .model = m,
    };
    return true;
}

/* ---- build ---- */

static cpShape* new_shape(const sc_model* m, const sc_shape* sh, cpBody* body) {
    cpVect shift = m->bodies[sh->body].shift;
    cpVect offset = sc_local(m, sh->body, sh->offset);
    switch (sh->kind) {
    case SC_CIRCLE:
        return cpCircleShapeNew(body, sh->radius, offset);
    case SC_BOX: {
        double r = sh->radius;
        if (sh->angle == 0.0 && cpveql(offset, cpvzero))
            return cpBoxShapeNew(body, sh->w - 2.0 * r, sh->h - 2.0 * r, r);
        double hw = 0.5 * sh->w - r, hh = 0.5 * sh->h - r;
        cpVect v[4] = {{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}};
        cpTransform t = cpTransformRigid(offset, sh->angle);
        return cpPolyShapeNew(body, 4, v, t, r);
    }
    case SC_POLYGON:
        /* Recentred as Chipmunk's own examples do: the declared points, translated. */
        return cpPolyShapeNew(
            body, sh->vert_count, m->verts + sh->vert_first,
            cpveql(shift, cpvzero) ? cpTransformIdentity : cpTransformTranslate(shift), sh->radius);
    case SC_SEGMENT:
        return cpSegmentShapeNew(body, sc_local(m, sh->body, sh->a), sc_local(m, sh->body, sh->b),
                                 sh->radius);
    case SC_POLYLINE:
        return NULL; /* added segment by segment */
    }
    return NULL;
}

static int add_shape(sp_world* world, const sc_shape* sh, cpShape* shape) {
    if (!shape) return SP_E_NO_MEMORY;
    /* Collision types only route contact events (latched sensors) to the body's handler. */
    cpShapeSetCollisionType(shape, (cpCollisionType)sh->body + 1);
    shape =
        sh->collide ? sp_world_add_shape(world, shape) : sp_world_add_visual_shape(world, shape);
    if (!shape) return SP_E_NO_MEMORY;
    cpShapeSetFriction(shape, sh->friction);
    cpShapeSetElasticity(shape, sh->elasticity);
    cpShapeSetFilter(
        shape, cpShapeFilterNew(sh->group ? sh->group : CP_NO_GROUP, sh->categories, sh->mask));
    sc_tag_shape(shape, sh->role);
    return 0;
}

static int add_polyline(const sc_model* m, sp_world* world, const sc_shape* sh, cpBody* body) {
    const cpVect* p = m->verts + sh->vert_first;
    int n = sh->vert_count;
    for (int j = 0; j + 1 < n; j++) {
        cpShape* seg = cpSegmentShapeNew(body, sc_local(m, sh->body, p[j]),
                                         sc_local(m, sh->body, p[j + 1]), sh->radius);
        int rc = add_shape(world, sh, seg);
        if (rc) return rc;
        /* Neighbours let a foot slide across a joint between segments without catching. */
        cpSegmentShapeSetNeighbors(seg, p[j > 0 ? j - 1 : j], p[j + 2 < n ? j + 2 : j + 1]);
    }
    return 0;
}

static int build_bodies(sc_state* s, sp_world* world) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->body_count; i++) {
        const sc_body* b = &m->bodies[i];
        cpBody* body = b->kind == SC_DYNAMIC  ? cpBodyNew(b->mass, b->moment)
                       : b->kind == SC_STATIC ? cpBodyNewStatic()
                                              : cpBodyNewKinematic();
        if (!body || !(body = sp_world_add_body(world, body))) return SP_E_NO_MEMORY;
        s->bodies[i] = body;
        if (!cpveql(b->cog, cpvzero)) cpBodySetCenterOfGravity(body, b->cog);
        if (b->angle != 0.0) cpBodySetAngle(body, b->angle);
        if (b->has_attach) {
            /* Where the two points meet: the other body's point in the world, minus ours
             * turned by our angle. */
            cpBody* to = s->bodies[b->attach_to];
            cpVect at = cpBodyLocalToWorld(to, sc_local(m, b->attach_to, b->attach_at));
            cpVect mine = cpvrotate(sc_local(m, i, b->attach_anchor), sc_forangle(b->angle));
            cpBodySetPosition(body, cpvsub(at, mine));
        } else {
            cpBodySetPosition(body, b->position);
        }
        if (b->kind != SC_STATIC) {
            cpBodySetVelocity(body, b->velocity);
            cpBodySetAngularVelocity(body, b->angular_velocity);
        }
        for (int k = 0; k < b->shape_count; k++) {
            const sc_shape* sh = &m->shapes[b->shape_first + k];
            int rc = sh->kind == SC_POLYLINE ? add_polyline(m, world, sh, body)
                                             : add_shape(world, sh, new_shape(m, sh, body));
            if (rc) return rc;
        }
    }
    return 0;
}

static int add_constraint(sp_world* world, const sc_joint* j, cpConstraint* c) {
    if (!c || !(c = sp_world_add_constraint(world, c))) return SP_E_NO_MEMORY;
    cpConstraintSetCollideBodies(c, j->collide);
    return 0;
}

static int build_joints(sc_state* s, sp_world* world) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->joint_count; i++) {
        const sc_joint* j = &m->joints[i];
        cpBody* a = sc_body_ptr(s, world, j->a);
        cpBody* b = sc_body_ptr(s, world, j->b);
        cpVect aa = sc_local(m, j->a, j->anchor_a), ab = sc_local(m, j->b, j->anchor_b);
        int rc = 0;
        switch (j->kind) {
        case SC_PIVOT:
            rc = add_constraint(world, j,
                                j->world_anchor ? cpPivotJointNew(a, b, cpBodyLocalToWorld(a, aa))
                                                : cpPivotJointNew2(a, b, aa, ab));
            if (!rc && j->has_limit)
                rc = add_constraint(world, j, cpRotaryLimitJointNew(a, b, j->min, j->max));
            break;
        case SC_ROTARY_LIMIT:
            rc = add_constraint(world, j, cpRotaryLimitJointNew(a, b, j->min, j->max));
            break;
        case SC_GROOVE:
            rc = add_constraint(world, j,
                                cpGrooveJointNew(a, b, sc_local(m, j->a, j->groove_a),
                                                 sc_local(m, j->a, j->groove_b), ab));
            break;
        case SC_SLIDER:
            rc = add_constraint(world, j, cpSlideJointNew(a, b, aa, ab, j->min, j->max));
            break;
        case SC_WELD: {
            /* A pivot plus a gear at ratio 1 holding the declared relative angle. */
            double phase = cpBodyGetAngle(b) - cpBodyGetAngle(a);
            rc = add_constraint(world, j, cpPivotJointNew2(a, b, aa, ab));
            if (!rc) rc = add_constraint(world, j, cpGearJointNew(a, b, phase, 1.0));
            break;
        }
        case SC_SPRING:
            rc = add_constraint(world, j,
                                cpDampedSpringNew(a, b, aa, ab, j->rest, j->stiffness, j->damping));
            break;
        case SC_ROTARY_SPRING:
            rc = add_constraint(world, j,
                                cpDampedRotarySpringNew(a, b, j->rest, j->stiffness, j->damping));
            break;
        case SC_FRICTION:
            rc = sc_add_friction(world, a, b, j->max_force, j->max_torque, j->collide);
            break;
        }
        if (rc) return rc;
        if (j->has_motor) {
            cpConstraint* motor = cpSimpleMotorNew(a, b, 0.0);
            if ((rc = add_constraint(world, j, motor))) return rc;
            cpConstraintSetMaxForce(motor, j->max_torque);
            s->motors[i] = motor;
        }
    }
    return 0;
}

/* Rotates a body by `da` about its body-frame point `about`, keeping that point in place. */
static void rotate_about(cpBody* b, cpVect about, double da) {
    double angle = cpBodyGetAngle(b);
    cpVect pivot = cpvadd(cpBodyGetPosition(b), cpvrotate(about, sc_forangle(angle)));
    double turned = angle + da;
    cpBodySetAngle(b, turned);
    cpBodySetPosition(b, cpvadd(pivot, cpvrotate(cpvneg(about), sc_forangle(turned))));
}

/* Adds angular velocity `w` about a body-frame point: the body's origin gains w x r. */
static void spin_about(cpBody* b, cpVect about, double w) {
    cpVect r = cpvrotate(cpvneg(about), sc_forangle(cpBodyGetAngle(b)));
    cpBodySetVelocity(b, cpvadd(cpBodyGetVelocity(b), cpv(-(w * r.y), w * r.x)));
    cpBodySetAngularVelocity(b, cpBodyGetAngularVelocity(b) + w);
}

static void randomize(sc_state* s, sp_world* world, sp_rng* rng) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->random_count; i++) {
        const sc_random* r = &m->randoms[i];
        double x = sp_rng_range(rng, r->lo, r->hi);
        if (r->snap > 0.0 && r->hi > r->lo) {
            /* The same one draw, onto the grid lo, lo + snap, ... up to hi. */
            double steps = floor((r->hi - r->lo) / r->snap + 1e-9) + 1.0;
            double k = floor((x - r->lo) / (r->hi - r->lo) * steps);
            x = r->lo + r->snap * (k < steps ? k : steps - 1.0);
        }
        cpBody* b = s->bodies[r->bodies[0]];
        switch (r->kind) {
        case SC_R_TRANSLATE:
        case SC_R_VELOCITY:
            for (int k = 0; k < r->body_count; k++) {
                cpBody* bk = s->bodies[r->bodies[k]];
                cpVect d = r->axis == 0 ? cpv(x, 0.0) : cpv(0.0, x);
                if (r->kind == SC_R_TRANSLATE) {
                    cpVect p = cpBodyGetPosition(bk);
                    cpBodySetPosition(bk, r->axis == 0 ? cpv(p.x + d.x, p.y) : cpv(p.x, p.y + d.y));
                } else {
                    cpVect v = cpBodyGetVelocity(bk);
                    cpBodySetVelocity(bk, r->axis == 0 ? cpv(v.x + d.x, v.y) : cpv(v.x, v.y + d.y));
                }
            }
            break;
        case SC_R_ROTATE:
            rotate_about(b, sc_local(m, r->bodies[0], r->about), x);
            break;
        case SC_R_SPIN:
            spin_about(b, sc_local(m, r->bodies[0], r->about), x);
            break;
        case SC_R_MASS:
            cpBodySetMass(b, cpBodyGetMass(b) * x);
            cpBodySetMoment(b, cpBodyGetMoment(b) * x);
            break;
        case SC_R_FRICTION: {
            const sc_body* mb = &m->bodies[r->bodies[0]];
            for (int k = 0; k < sp_world_shape_count(world); k++) {
                cpShape* sh = sp_world_shape(world, k);
                if (cpShapeGetBody(sh) == b) cpShapeSetFriction(sh, cpShapeGetFriction(sh) * x);
            }
            (void)mb;
            break;
        }
        case SC_R_GAIN:
            s->gain_scale[r->actuator] *= x;
            if (m->actuators[r->actuator].kind == SC_A_SLOT_MOTOR) {
                cpConstraint* motor = s->slots[m->actuators[r->actuator].slot].motor;
                if (motor) cpConstraintSetMaxForce(motor, cpConstraintGetMaxForce(motor) * x);
            } else if (m->actuators[r->actuator].kind != SC_A_THRUSTER &&
                       m->actuators[r->actuator].kind != SC_A_SLOT_THRUSTER &&
                       s->motors[m->actuators[r->actuator].joint]) {
                cpConstraint* motor = s->motors[m->actuators[r->actuator].joint];
                cpConstraintSetMaxForce(motor, cpConstraintGetMaxForce(motor) * x);
            }
            break;
        case SC_R_GRAVITY:
            s->gravity_scale *= x;
            break;
        }
    }
}

static double potential(const sc_state* s, const sp_world* world, const sc_term* t);

/* Latched contact sensors: a begin handler per body they watch records the events of the env
 * step (sc_act clears them). Handlers only set values, so the order Chipmunk calls them in
 * cannot matter, and returning true leaves the physics as without a handler. */
static cpBool contact_begin(cpArbiter* arb, cpSpace* space, cpDataPointer data) {
    sc_state* s = data;
    const sc_model* m = s->m;
    CP_ARBITER_GET_SHAPES(arb, mine, theirs);
    int body = (int)cpShapeGetCollisionType(mine) - 1;
    for (int i = 0; i < m->channel_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if ((p->kind != SC_P_CONTACT_BEGAN && p->kind != SC_P_IMPACT) || p->body != body) continue;
        if (p->other != SC_NONE && cpShapeGetBody(theirs) != s->bodies[p->other]) continue;
        if (p->role >= 0 && sc_shape_role(theirs) != p->role) continue;
        if (p->kind == SC_P_CONTACT_BEGAN) {
            s->latches[p->latch] = 1.0;
        } else {
            double v = cpvlength(cpBodyGetVelocity(s->bodies[p->ref]));
            if (v > s->latches[p->latch]) s->latches[p->latch] = v;
        }
    }
    return cpTrue;
}

static void listen_for_contacts(sc_state* s, cpSpace* space) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->channel_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if (p->kind != SC_P_CONTACT_BEGAN && p->kind != SC_P_IMPACT) continue;
        cpCollisionHandler* h = cpSpaceAddWildcardHandler(space, (cpCollisionType)p->body + 1);
        h->beginFunc = contact_begin;
        h->userData = s;
    }
}

int sc_build(void* state, sp_world* world, sp_rng* rng) {
    sc_state* s = state;
    const sc_model* m = s->m;
    bind_state(s);
    s->gravity_scale = 1.0;
    for (int i = 0; i < m->actuator_count; i++)
        s->gain_scale[i] = 1.0;
    s->fuel = m->fuel_capacity;
    cpSpace* space = sp_world_space(world);
    cpSpaceSetDamping(space, m->damping);
    cpSpaceSetCollisionSlop(space, m->collision_slop);
    listen_for_contacts(s, space);
    /* Generated terrain first, then the bodies: the order shapes enter the space (their
     * Chipmunk hash ids) is the order a C env that draws its terrain first would use. */
    int rc = sc_generate(s, world, rng);
    if (!rc) rc = build_bodies(s, world);
    if (!rc) rc = build_joints(s, world);
    if (!rc && m->level >= 0) rc = sc_level_build(s, world, rng);
    if (rc) return rc;
    randomize(s, world, rng);
    sc_track_start(s);
    cpSpaceSetGravity(space, cpv(m->gravity_x * s->gravity_scale, m->gravity_y * s->gravity_scale));
    for (int i = 0; i < m->channel_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if (p->kind == SC_P_IMU_AX || p->kind == SC_P_IMU_AY)
            s->imu_prev_v[p->imu] = cpBodyGetVelocity(s->bodies[p->body]);
    }
    for (int i = 0; i < m->term_count; i++) {
        const sc_term* t = &m->terms[i];
        if (t->kind == SC_T_PROGRESS)
            s->progress_prev[i] = sc_probe_read(s, world, &m->channels[t->channel].probe);
        if (t->kind == SC_T_POTENTIAL) s->progress_prev[i] = potential(s, world, t);
    }
    return 0;
}

/* ---- step ---- */

void sc_act(void* state, sp_world* world, sp_rng* rng, const sp_action* action) {
    sc_state* s = state;
    const sc_model* m = s->m;
    for (int i = 0; i < m->latch_count; i++)
        s->latches[i] = 0.0;
    /* Every dispersion is drawn whatever the action, so the stream advances the same way
     * under every policy. */
    for (int i = 0; i < m->actuator_count; i++) {
        const sc_actuator* a = &m->actuators[i];
        s->delivered[i] = 0.0;
        if (a->dispersion > 0.0)
            s->tilt[i] = sp_rng_range(rng, -a->dispersion, a->dispersion);
        else if (a->dispersion_from >= 0)
            s->tilt[i] = s->tilt[a->dispersion_from];
    }
    if (m->action_count > 0) {
        const double* row = m->table + (size_t)action->index * (size_t)m->actuator_count;
        for (int i = 0; i < m->actuator_count; i++)
            s->command[i] = row[i];
    } else {
        for (int i = 0; i < m->actuator_count; i++)
            s->command[i] = (double)action->value[i];
    }
    for (int i = 0; i < m->actuator_count; i++) {
        const sc_actuator* a = &m->actuators[i];
        /* Chipmunk's motor drives a's spin minus b's to its rate; ours is b's relative to a. */
        if (a->kind == SC_A_MOTOR_SPEED)
            cpSimpleMotorSetRate(s->motors[a->joint],
                                 -(s->command[i] * a->gain * s->gain_scale[i]));
        else if (a->kind == SC_A_MOTOR_EFFORT) {
            /* BipedalWalker's motors: full speed in the command's direction, with a torque
             * budget in proportion to its size (no command: a free joint). */
            double u = s->command[i];
            cpSimpleMotorSetRate(s->motors[a->joint], u > 0.0   ? -a->speed
                                                      : u < 0.0 ? a->speed
                                                                : 0.0);
            cpConstraintSetMaxForce(s->motors[a->joint], fabs(u) * a->gain * s->gain_scale[i]);
        } else if (a->kind == SC_A_SLOT_MOTOR && s->slots[a->slot].motor)
            cpSimpleMotorSetRate(s->slots[a->slot].motor,
                                 -(s->command[i] * a->gain * s->gain_scale[i]));
    }
}

/* Takes `force` (N) worth of fuel for one physics step and returns the force the tank could
 * pay for: all of it, or what the last drops buy. Fuel is impulse (N s), so every thruster
 * burns in proportion to its push. */
static double burn(sc_state* s, double force, double dt) {
    double need = fabs(force) * dt;
    if (s->fuel >= need) {
        s->fuel -= need;
        return force;
    }
    double paid = s->fuel / dt;
    s->fuel = 0.0;
    return force < 0.0 ? -paid : paid;
}

static void torque_between(cpBody* a, cpBody* b, double t) {
    if (cpBodyGetType(b) == CP_BODY_TYPE_DYNAMIC) cpBodySetTorque(b, cpBodyGetTorque(b) + t);
    if (cpBodyGetType(a) == CP_BODY_TYPE_DYNAMIC) cpBodySetTorque(a, cpBodyGetTorque(a) - t);
}

void sc_apply(void* state, sp_world* world) {
    sc_state* s = state;
    const sc_model* m = s->m;
    for (int i = 0; i < m->actuator_count; i++) {
        const sc_actuator* a = &m->actuators[i];
        double u = s->command[i] * a->gain * s->gain_scale[i];
        switch (a->kind) {
        case SC_A_THRUSTER: {
            if (u == 0.0) break;
            if (a->fuel) u = burn(s, u, m->spec.dt);
            s->delivered[i] += u / (a->gain * s->gain_scale[i]);
            if (u == 0.0) break;
            cpBody* b = s->bodies[a->body];
            cpVect dir = a->direction;
            if (a->dispersion > 0.0 || a->dispersion_from >= 0)
                dir = cpvrotate(dir, sc_forangle(s->tilt[i]));
            cpVect f = cpvmult(dir, u);
            if (!a->world_frame) f = cpvrotate(f, cpBodyGetRotation(b));
            cpBodyApplyForceAtWorldPoint(b, f,
                                         cpBodyLocalToWorld(b, sc_local(m, a->body, a->point)));
            break;
        }
        case SC_A_MOTOR_SPEED:
        case SC_A_MOTOR_EFFORT:
        case SC_A_SLOT_MOTOR:
            break; /* the motor constraint does it */
        case SC_A_SLOT_THRUSTER: {
            const sc_slot* t = &s->slots[a->slot];
            if (u == 0.0 || !t->body) break;
            cpBodyApplyForceAtWorldPoint(
                t->body, cpvrotate(cpvmult(t->direction, u), cpBodyGetRotation(t->body)),
                cpBodyLocalToWorld(t->body, t->point));
            break;
        }
        case SC_A_WHEEL:
            sc_wheel_apply(s, i, m->spec.dt);
            break;
        case SC_A_MOTOR_TORQUE: {
            const sc_joint* j = &m->joints[a->joint];
            torque_between(sc_body_ptr(s, world, j->a), sc_body_ptr(s, world, j->b), u);
            break;
        }
        case SC_A_SERVO: {
            const sc_joint* j = &m->joints[a->joint];
            cpBody* ja = sc_body_ptr(s, world, j->a);
            cpBody* jb = sc_body_ptr(s, world, j->b);
            double angle = cpBodyGetAngle(jb) - cpBodyGetAngle(ja);
            double speed = cpBodyGetAngularVelocity(jb) - cpBodyGetAngularVelocity(ja);
            double limit = a->max_torque * s->gain_scale[i];
            double t = a->kp * (u - angle) - a->kd * speed;
            torque_between(ja, jb, t > limit ? limit : t < -limit ? -limit : t);
            break;
        }
        }
    }
    if (m->track_progress) sc_track_follow(s);
}

void sc_sense(const void* state, const sp_world* world, float* obs) {
    const sc_state* s = state;
    const sc_model* m = s->m;
    for (int i = 0; i < m->spec.sensor_count; i++)
        obs[i] = (float)sc_probe_read(s, world, &m->channels[i].probe);
}

static bool check(const sc_check* c, double v) {
    switch (c->test) {
    case SC_ABOVE:
        return v > c->lo;
    case SC_BELOW:
        return v < c->hi;
    case SC_OUTSIDE:
        return v < c->lo || v > c->hi;
    case SC_INSIDE:
        return v >= c->lo && v <= c->hi;
    case SC_ABS_ABOVE:
        return fabs(v) > c->lo;
    case SC_ABS_BELOW:
        return fabs(v) < c->hi;
    }
    return false;
}

static bool holds(const sc_state* s, const sp_world* world, const sc_condition* c) {
    const sc_model* m = s->m;
    for (int k = 0; k < c->check_count; k++) {
        const sc_check* ck = &m->checks[c->check_first + k];
        if (!check(ck, sc_probe_read(s, world, &m->channels[ck->channel].probe))) return false;
    }
    return true;
}

/* A potential's value: its components summed in order, as a C env writes the expression. */
static double potential(const sc_state* s, const sp_world* world, const sc_term* t) {
    const sc_model* m = s->m;
    double sum = 0.0;
    for (int k = 0; k < t->comp_count; k++) {
        const sc_component* c = &m->components[t->comp_first + k];
        double v[2];
        for (int i = 0; i < c->count; i++) {
            v[i] = sc_probe_read(s, world, &m->channels[c->channels[i]].probe);
            if (c->scale[i] != 1.0) v[i] = c->divide ? v[i] / c->scale[i] : v[i] * c->scale[i];
        }
        double f = c->norm ? sqrt(v[0] * v[0] + v[1] * v[1]) : c->abs ? fabs(v[0]) : v[0];
        sum = k == 0 ? c->weight * f : sum + c->weight * f;
    }
    return sum;
}

static bool out_of_bounds(const sc_state* s) {
    const sc_model* m = s->m;
    for (int i = 0; i < m->body_count; i++) {
        if (m->bodies[i].kind != SC_DYNAMIC) continue;
        cpVect p = cpBodyGetPosition(s->bodies[i]);
        if (!(p.x >= m->bounds[0] && p.x <= m->bounds[2] && p.y >= m->bounds[1] &&
              p.y <= m->bounds[3]))
            return true;
    }
    return false;
}

void sc_evaluate(void* state, const sp_world* world, const sp_action* action, sp_env_outcome* out) {
    sc_state* s = state;
    const sc_model* m = s->m;
    double reward = 0.0;
    for (int i = 0; i < m->term_count; i++) {
        const sc_term* t = &m->terms[i];
        switch (t->kind) {
        case SC_T_ALIVE:
            reward += t->weight;
            break;
        case SC_T_VALUE:
            reward += t->weight * sc_probe_read(s, world, &m->channels[t->channel].probe);
            break;
        case SC_T_PROGRESS: {
            double now = sc_probe_read(s, world, &m->channels[t->channel].probe);
            reward += t->weight * (now - s->progress_prev[i]);
            s->progress_prev[i] = now;
            break;
        }
        case SC_T_POTENTIAL: {
            double now = potential(s, world, t);
            reward += t->weight * (now - s->progress_prev[i]);
            s->progress_prev[i] = now;
            break;
        }
        case SC_T_EFFORT:
            reward += t->weight * s->delivered[t->actuator] / m->spec.frame_skip;
            break;
        case SC_T_ACTION_COST: {
            double sum = 0.0;
            for (int k = 0; k < m->actuator_count; k++)
                sum += s->command[k] * s->command[k];
            reward -= t->weight * sum;
            break;
        }
        }
    }
    out->reward = reward;
    /* Every condition's step count advances; the first that holds long enough ends it. */
    const sc_condition* ended = NULL;
    for (int i = 0; i < m->condition_count; i++) {
        const sc_condition* c = &m->conditions[i];
        s->cond_steps[i] = holds(s, world, c) ? s->cond_steps[i] + 1 : 0;
        if (!ended && s->cond_steps[i] >= c->for_steps) ended = c;
    }
    if (ended) {
        if (ended->has_reward) out->reward = ended->reward;
        out->terminated = !ended->truncate;
        out->truncated = ended->truncate;
        out->reason = ended->reason;
    } else if (m->has_bounds && out_of_bounds(s)) {
        out->terminated = true;
        out->reason = "out_of_bounds";
    }
    for (int i = 0; i < m->channel_count; i++) {
        const sc_probe* p = &m->channels[i].probe;
        if (p->kind == SC_P_IMU_AX || p->kind == SC_P_IMU_AY)
            s->imu_prev_v[p->imu] = cpBodyGetVelocity(s->bodies[p->body]);
    }
}

void sc_hash(const void* state, sp_hash* h) {
    const sc_state* s = state;
    const sc_model* m = s->m;
    if (!m || !s->bodies) return; /* never reset */
    for (int i = 0; i < m->actuator_count; i++) {
        sp_hash_f64(h, s->command[i]);
        sp_hash_f64(h, s->gain_scale[i]);
    }
    for (int i = 0; i < m->term_count; i++)
        sp_hash_f64(h, s->progress_prev[i]);
    for (int i = 0; i < m->condition_count; i++)
        sp_hash_u64(h, (uint64_t)s->cond_steps[i]);
    for (int i = 0; i < m->imu_count; i++) {
        sp_hash_f64(h, s->imu_prev_v[i].x);
        sp_hash_f64(h, s->imu_prev_v[i].y);
    }
    for (int i = 0; i < m->actuator_count; i++) {
        sp_hash_f64(h, s->tilt[i]);
        sp_hash_f64(h, s->delivered[i]);
    }
    for (int i = 0; i < m->latch_count; i++)
        sp_hash_f64(h, s->latches[i]);
    for (int i = 0; i < m->slot_count; i++) {
        sp_hash_f64(h, s->slots[i].point.x);
        sp_hash_f64(h, s->slots[i].point.y);
        sp_hash_f64(h, s->slots[i].direction.x);
        sp_hash_f64(h, s->slots[i].direction.y);
    }
    for (int i = 0; i < m->wheel_count; i++)
        sp_hash_f64(h, s->travel[i]);
    for (int i = 0; i < m->track_progress; i++)
        sp_hash_f64(h, s->track_prev[i]);
    sp_hash_f64(h, s->gravity_scale);
    sp_hash_f64(h, s->fuel);
}
