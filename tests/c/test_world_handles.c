/* Handles (sandpit/world.h): each reads what Chipmunk holds, bit for bit; null, out-of-range
 * and stale handles are refused; nothing allocates. The world is built through the internal
 * header, as envs build it, and read back through the public one, as the rasterizer reads. */

#include <math.h>
#include <string.h>

#include "alloc_count.h"
#include "ensure.h"
#include "world_chipmunk.h"

static bool same(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static bool same_vec(sp_vec2 a, cpVect b) {
    return same(a.x, b.x) && same(a.y, b.y);
}

/* Two bodies (a pendulum on a pivot, a box on a groove, a spring between them), a visual
 * segment, a rounded box, a floor on the ground, a sensor circle and a tagged ball. */
typedef struct rig {
    sp_world* w;
    cpBody *a, *b;
    cpShape *segment, *box, *floor, *sensor, *ball;
    cpConstraint *pivot, *groove, *spring;
} rig;

static rig build(void) {
    sp_world_def def = sp_default_world_def();
    rig r = {.w = sp_world_create(&def)};
    cpBody* ground = sp_world_static_body(r.w);
    r.a = sp_world_add_body(r.w, cpBodyNew(1.0, 0.5));
    cpBodySetPosition(r.a, cpv(0.3, -1.0));
    r.b = sp_world_add_body(r.w, cpBodyNew(2.0, 1.0));
    cpBodySetPosition(r.b, cpv(1.0, 0.25));
    cpBodySetVelocity(r.b, cpv(0.5, 0.0));
    r.segment =
        sp_world_add_visual_shape(r.w, cpSegmentShapeNew(r.a, cpv(0, -0.5), cpv(0, 0.5), 0.05));
    r.box = sp_world_add_visual_shape(r.w, cpBoxShapeNew(r.b, 0.5, 0.3, 0.02));
    r.floor = sp_world_add_shape(r.w, cpSegmentShapeNew(ground, cpv(-5, -1.4), cpv(5, -1.4), 0.1));
    r.sensor = sp_world_add_shape(r.w, cpCircleShapeNew(r.b, 0.4, cpv(0.1, 0.0)));
    cpShapeSetSensor(r.sensor, cpTrue);
    r.ball = sp_world_add_shape(r.w, cpCircleShapeNew(r.a, 0.2, cpv(0.0, -0.3)));
    cpShapeSetUserData(r.ball, (cpDataPointer)(uintptr_t)7);
    r.pivot = sp_world_add_constraint(r.w, cpPivotJointNew2(ground, r.a, cpv(0, 0.1), cpv(0, 0.5)));
    r.groove = sp_world_add_constraint(
        r.w, cpGrooveJointNew(ground, r.b, cpv(-3, 0.25), cpv(3, 0.25), cpv(0.1, 0)));
    r.spring = sp_world_add_constraint(
        r.w, cpDampedSpringNew(r.a, r.b, cpv(0, -0.5), cpv(-0.25, 0), 1.0, 5.0, 0.1));
    for (int i = 0; i < 60; i++)
        sp_world_step(r.w);
    return r;
}

static void bodies_read_what_chipmunk_holds(void) {
    rig r = build();
    cpBody* bodies[] = {r.a, r.b};
    for (int i = 0; i < 2; i++) {
        sp_body_id id = sp_world_body_id(r.w, i);
        cpBody* b = bodies[i];
        ENSURE(!sp_body_is_null(id) && sp_body_is_valid(r.w, id) && sp_body_index(id) == i);
        ENSURE(sp_body_cp(r.w, id) == b);
        ENSURE(sp_world_find_body(r.w, b).index1 == id.index1);
        ENSURE(sp_body_get_type(r.w, id) == SP_BODY_DYNAMIC);
        ENSURE(same_vec(sp_body_position(r.w, id), cpBodyGetPosition(b)));
        ENSURE(same(sp_body_angle(r.w, id), cpBodyGetAngle(b)));
        ENSURE(same_vec(sp_body_velocity(r.w, id), cpBodyGetVelocity(b)));
        ENSURE(same(sp_body_angular_velocity(r.w, id), cpBodyGetAngularVelocity(b)));
        ENSURE(same_vec(sp_body_rotation(r.w, id), cpBodyGetRotation(b)));
        sp_vec2 local = {0.7, -0.3};
        ENSURE(same_vec(sp_body_local_to_world(r.w, id, local),
                        cpBodyLocalToWorld(b, cpv(local.x, local.y))));
    }
    sp_body_id ground = sp_world_ground(r.w);
    ENSURE(ground.index1 == SP_GROUND_INDEX1 && sp_body_index(ground) == -1);
    ENSURE(sp_body_cp(r.w, ground) == sp_world_static_body(r.w));
    ENSURE(sp_body_get_type(r.w, ground) == SP_BODY_STATIC);
    sp_world_destroy(r.w);
}

static void shapes_read_what_chipmunk_holds(void) {
    rig r = build();
    ENSURE(sp_world_shape_count(r.w) == 5);
    sp_shape_id seg = sp_world_shape_id(r.w, 0), box = sp_world_shape_id(r.w, 1);
    sp_shape_id floor = sp_world_shape_id(r.w, 2), sensor = sp_world_shape_id(r.w, 3);
    sp_shape_id ball = sp_world_shape_id(r.w, 4);
    ENSURE(sp_shape_cp(r.w, seg) == r.segment && sp_shape_cp(r.w, ball) == r.ball);

    ENSURE(sp_shape_get_kind(r.w, seg) == SP_SHAPE_SEGMENT);
    ENSURE(sp_shape_body(r.w, seg).index1 == sp_world_body_id(r.w, 0).index1);
    ENSURE(same_vec(sp_shape_segment_a(r.w, seg), cpSegmentShapeGetA(r.segment)));
    ENSURE(same_vec(sp_shape_segment_b(r.w, seg), cpSegmentShapeGetB(r.segment)));
    ENSURE(same(sp_shape_radius(r.w, seg), cpSegmentShapeGetRadius(r.segment)));
    ENSURE(sp_shape_polygon_count(r.w, seg) == 0);

    ENSURE(sp_shape_get_kind(r.w, box) == SP_SHAPE_POLYGON);
    ENSURE(sp_shape_body(r.w, box).index1 == sp_world_body_id(r.w, 1).index1);
    ENSURE(sp_shape_polygon_count(r.w, box) == 4);
    for (int i = 0; i < 4; i++)
        ENSURE(same_vec(sp_shape_polygon_vertex(r.w, box, i), cpPolyShapeGetVert(r.box, i)));
    ENSURE(same(sp_shape_radius(r.w, box), 0.02));

    ENSURE(sp_shape_body(r.w, floor).index1 == SP_GROUND_INDEX1);
    ENSURE(!sp_shape_is_sensor(r.w, floor) && sp_shape_is_sensor(r.w, sensor));
    ENSURE(sp_shape_get_kind(r.w, ball) == SP_SHAPE_CIRCLE);
    ENSURE(same_vec(sp_shape_circle_center(r.w, ball), cpCircleShapeGetOffset(r.ball)));
    ENSURE(same(sp_shape_radius(r.w, ball), 0.2));
    ENSURE(sp_shape_tag(r.w, ball) == 7 && sp_shape_tag(r.w, seg) == 0);
    sp_world_destroy(r.w);
}

static void joints_read_what_chipmunk_holds(void) {
    rig r = build();
    ENSURE(sp_world_constraint_count(r.w) == 3);
    sp_joint_info pivot = sp_joint_get_info(r.w, sp_world_joint_id(r.w, 0));
    ENSURE(pivot.kind == SP_JOINT_PIVOT);
    ENSURE(pivot.body_a.index1 == SP_GROUND_INDEX1 && sp_body_index(pivot.body_b) == 0);
    ENSURE(same_vec(pivot.anchor_a, cpPivotJointGetAnchorA(r.pivot)));
    ENSURE(same_vec(pivot.anchor_b, cpPivotJointGetAnchorB(r.pivot)));
    sp_joint_info groove = sp_joint_get_info(r.w, sp_world_joint_id(r.w, 1));
    ENSURE(groove.kind == SP_JOINT_GROOVE && sp_body_index(groove.body_b) == 1);
    ENSURE(same_vec(groove.groove_a, cpGrooveJointGetGrooveA(r.groove)));
    ENSURE(same_vec(groove.groove_b, cpGrooveJointGetGrooveB(r.groove)));
    ENSURE(same_vec(groove.anchor_b, cpGrooveJointGetAnchorB(r.groove)));
    sp_joint_info spring = sp_joint_get_info(r.w, sp_world_joint_id(r.w, 2));
    ENSURE(spring.kind == SP_JOINT_SPRING);
    ENSURE(sp_body_index(spring.body_a) == 0 && sp_body_index(spring.body_b) == 1);
    ENSURE(same_vec(spring.anchor_a, cpDampedSpringGetAnchorA(r.spring)));
    ENSURE(same_vec(spring.anchor_b, cpDampedSpringGetAnchorB(r.spring)));
    ENSURE(sp_joint_cp(r.w, sp_world_joint_id(r.w, 2)) == r.spring);
    sp_world_destroy(r.w);
}

/* A null handle, one out of range and one taken before a clear read as zeros and set nothing;
 * after the clear the same index names the new body. */
static void null_and_stale_handles_are_refused(void) {
    rig r = build();
    sp_body_id null = {0, 0};
    ENSURE(sp_body_is_null(null) && !sp_body_is_valid(r.w, null) && sp_body_index(null) == -1);
    ENSURE(sp_body_is_null(sp_world_body_id(r.w, 2)) && sp_body_is_null(sp_world_body_id(r.w, -1)));
    ENSURE(sp_shape_is_null(sp_world_shape_id(r.w, 5)));
    ENSURE(sp_joint_is_null(sp_world_joint_id(r.w, 3)));
    ENSURE(sp_shape_get_kind(r.w, sp_world_shape_id(r.w, 5)) == SP_SHAPE_NONE);
    ENSURE(sp_joint_get_info(r.w, sp_world_joint_id(r.w, 3)).kind == SP_JOINT_NONE);

    sp_body_id old_body = sp_world_body_id(r.w, 0), old_ground = sp_world_ground(r.w);
    sp_shape_id old_shape = sp_world_shape_id(r.w, 0);
    sp_joint_id old_joint = sp_world_joint_id(r.w, 0);
    ENSURE(sp_world_clear(r.w) == 0);
    cpBody* fresh = sp_world_add_body(r.w, cpBodyNew(1.0, 1.0));
    cpBodySetPosition(fresh, cpv(4.0, 5.0));
    sp_world_add_shape(r.w, cpCircleShapeNew(fresh, 0.5, cpvzero));
    sp_world_add_constraint(r.w, cpPivotJointNew(sp_world_static_body(r.w), fresh, cpvzero));

    ENSURE(!sp_body_is_valid(r.w, old_body) && !sp_body_is_valid(r.w, old_ground));
    ENSURE(!sp_shape_is_valid(r.w, old_shape) && !sp_joint_is_valid(r.w, old_joint));
    ENSURE(sp_body_position(r.w, old_body).x == 0.0 && sp_body_position(r.w, old_body).y == 0.0);
    ENSURE(sp_shape_get_kind(r.w, old_shape) == SP_SHAPE_NONE);
    ENSURE(sp_joint_get_info(r.w, old_joint).kind == SP_JOINT_NONE);
    sp_body_set_pose(r.w, old_body, 9.0, 9.0, 1.0);
    ENSURE(cpBodyGetPosition(fresh).x == 4.0 && cpBodyGetPosition(fresh).y == 5.0);

    sp_body_id now = sp_world_body_id(r.w, 0);
    ENSURE(sp_body_is_valid(r.w, now) && sp_body_position(r.w, now).x == 4.0);
    ENSURE(sp_body_is_valid(r.w, sp_world_ground(r.w)));
    sp_world_destroy(r.w);
}

/* sp_body_set_pose leaves a body where cpBodySetPosition and cpBodySetAngle would (a body whose
 * centre of gravity is its origin); sp_body_set_velocity as cpBodySetVelocity would. */
static void setters_match_chipmunk(void) {
    rig r = build();
    sp_body_id a = sp_world_body_id(r.w, 0);
    sp_body_set_pose(r.w, a, 1.25, -0.5, 0.75);
    sp_world_def def = sp_default_world_def();
    sp_world* other = sp_world_create(&def);
    cpBody* twin = sp_world_add_body(other, cpBodyNew(1.0, 0.5));
    cpBodySetPosition(twin, cpv(1.25, -0.5));
    cpBodySetAngle(twin, 0.75);
    ENSURE(same_vec(sp_body_position(r.w, a), cpBodyGetPosition(twin)));
    ENSURE(same(sp_body_angle(r.w, a), cpBodyGetAngle(twin)));
    sp_vec2 local = {0.3, 0.9};
    ENSURE(same_vec(sp_body_local_to_world(r.w, a, local),
                    cpBodyLocalToWorld(twin, cpv(local.x, local.y))));
    /* A non-finite pose is kept (a diverged episode's last state), not refused by an abort. */
    sp_body_set_pose(r.w, a, NAN, 0.0, 0.0);
    ENSURE(isnan(sp_body_position(r.w, a).x));

    sp_body_set_velocity(r.w, a, (sp_vec2){2.0, -1.0}, 0.5);
    ENSURE(same_vec((sp_vec2){2.0, -1.0}, cpBodyGetVelocity(r.a)));
    ENSURE(same(cpBodyGetAngularVelocity(r.a), 0.5));
    sp_world_destroy(other);
    sp_world_destroy(r.w);
}

typedef struct seen {
    int calls, points, ground;
    sp_vec2 first;
} seen;

static void count_contact(const sp_contact* c, void* user) {
    seen* s = user;
    if (s->points == 0 && c->point_count > 0) s->first = c->points[0];
    s->calls++;
    s->points += c->point_count;
    s->ground += c->other.index1 == SP_GROUND_INDEX1;
}

static void first_point(cpBody* body, cpArbiter* arb, void* user) {
    cpVect* p = user;
    if (isnan(p->x) && cpArbiterGetCount(arb) > 0) *p = cpArbiterGetPointA(arb, 0);
}

/* A ball dropped on the floor: its contact with the ground is reported from the ball, at the
 * point Chipmunk's arbiter gives. */
static void contacts_are_reported_per_body(void) {
    sp_world_def def = sp_default_world_def();
    sp_world* w = sp_world_create(&def);
    cpBody* ground = sp_world_static_body(w);
    sp_world_add_shape(w, cpSegmentShapeNew(ground, cpv(-5, 0), cpv(5, 0), 0.1));
    cpBody* ball = sp_world_add_body(w, cpBodyNew(1.0, cpMomentForCircle(1.0, 0, 0.3, cpvzero)));
    cpBodySetPosition(ball, cpv(0.0, 0.5));
    sp_world_add_shape(w, cpCircleShapeNew(ball, 0.3, cpvzero));
    for (int i = 0; i < 90; i++)
        sp_world_step(w);
    seen s = {0};
    sp_body_each_contact(w, sp_world_body_id(w, 0), count_contact, &s);
    ENSURE(s.calls == 1 && s.ground == 1 && s.points >= 1);
    cpVect expect = cpv(NAN, NAN);
    cpBodyEachArbiter(ball, first_point, &expect);
    ENSURE(same_vec(s.first, expect));
    seen none = {0};
    sp_body_each_contact(w, (sp_body_id){0, 0}, count_contact, &none);
    ENSURE(none.calls == 0);
    sp_world_destroy(w);
}

/* A visual shape may be registered before its body: its body is found when asked. */
static void shape_registered_before_its_body(void) {
    sp_world_def def = sp_default_world_def();
    sp_world* w = sp_world_create(&def);
    cpBody* body = cpBodyNew(1.0, 1.0);
    sp_world_add_visual_shape(w, cpCircleShapeNew(body, 0.5, cpvzero));
    ENSURE(sp_body_is_null(sp_shape_body(w, sp_world_shape_id(w, 0))));
    sp_world_add_body(w, body);
    ENSURE(sp_body_index(sp_shape_body(w, sp_world_shape_id(w, 0))) == 0);
    sp_world_destroy(w);
}

/* Every read through a handle, as a frame draws them, allocates nothing. */
static void reads_allocate_nothing(void) {
    rig r = build();
    long before = allocations;
    double sum = 0.0;
    for (int i = 0; i < sp_world_shape_count(r.w); i++) {
        sp_shape_id s = sp_world_shape_id(r.w, i);
        sp_body_id b = sp_shape_body(r.w, s);
        sum += sp_body_local_to_world(r.w, b, sp_shape_circle_center(r.w, s)).x;
        sum += sp_shape_radius(r.w, s) + sp_shape_polygon_count(r.w, s);
        sum += sp_body_position(r.w, b).y + sp_body_angle(r.w, b);
    }
    for (int i = 0; i < sp_world_constraint_count(r.w); i++)
        sum += sp_joint_get_info(r.w, sp_world_joint_id(r.w, i)).anchor_a.x;
    seen s = {0};
    sp_body_each_contact(r.w, sp_world_body_id(r.w, 0), count_contact, &s);
    ENSURE(allocations == before);
    ENSURE(isfinite(sum));
    sp_world_destroy(r.w);
}

static const sp_test_case cases[] = {
    {"bodies_read_what_chipmunk_holds", bodies_read_what_chipmunk_holds},
    {"shapes_read_what_chipmunk_holds", shapes_read_what_chipmunk_holds},
    {"joints_read_what_chipmunk_holds", joints_read_what_chipmunk_holds},
    {"null_and_stale_handles_are_refused", null_and_stale_handles_are_refused},
    {"setters_match_chipmunk", setters_match_chipmunk},
    {"contacts_are_reported_per_body", contacts_are_reported_per_body},
    {"shape_registered_before_its_body", shape_registered_before_its_body},
    {"reads_allocate_nothing", reads_allocate_nothing},
};
SP_TEST_MAIN(cases)
