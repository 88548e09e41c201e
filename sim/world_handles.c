/* Handles (sandpit/world.h): registry indexes that stand for bodies, shapes and joints, and what
 * can be read and set through them. Each lookup is an index into the registry and a check of
 * the generation; nothing here allocates. Values are read with Chipmunk's own getters, so what
 * a caller sees through a handle has the bits it had through the pointer. */

#include <chipmunk/chipmunk_private.h> /* shape kinds and the body transform, for posing */

#include "world_private.h"

static sp_vec2 vec(cpVect v) {
    return (sp_vec2){v.x, v.y};
}

int32_t sp_world_find_index1(const sp_world* world, const cpBody* body) {
    if (!body) return 0;
    if (body == cpSpaceGetStaticBody(world->space)) return SP_GROUND_INDEX1;
    for (int i = world->bodies.count - 1; i >= 0; i--)
        if (world->bodies.items[i].item == body) return (int32_t)i + 1;
    return 0;
}

/* The handle for a stored index1 (0 stays null). */
static sp_body_id body_id(const sp_world* world, int32_t index1) {
    return (sp_body_id){index1, index1 ? world->generation : 0};
}

sp_body_id sp_world_find_body(const sp_world* world, const cpBody* body) {
    return body_id(world, sp_world_find_index1(world, body));
}

sp_body_id sp_world_body_id(const sp_world* world, int index) {
    if (index < 0 || index >= world->bodies.count) return (sp_body_id){0, 0};
    return body_id(world, index + 1);
}

sp_shape_id sp_world_shape_id(const sp_world* world, int index) {
    if (index < 0 || index >= world->shapes.count) return (sp_shape_id){0, 0};
    return (sp_shape_id){index + 1, world->generation};
}

sp_joint_id sp_world_joint_id(const sp_world* world, int index) {
    if (index < 0 || index >= world->constraints.count) return (sp_joint_id){0, 0};
    return (sp_joint_id){index + 1, world->generation};
}

sp_body_id sp_world_ground(const sp_world* world) {
    return body_id(world, SP_GROUND_INDEX1);
}

cpBody* sp_body_cp(const sp_world* world, sp_body_id id) {
    if (id.generation != world->generation) return NULL;
    if (id.index1 == SP_GROUND_INDEX1) return cpSpaceGetStaticBody(world->space);
    if (id.index1 < 1 || id.index1 > world->bodies.count) return NULL;
    return world->bodies.items[id.index1 - 1].item;
}

/* The registry entry a shape or joint handle names, or NULL. */
static const sp_entry* entry(const sp_world* world, const sp_array* a, int32_t index1,
                             uint32_t generation) {
    if (generation != world->generation || index1 < 1 || index1 > a->count) return NULL;
    return &a->items[index1 - 1];
}

cpShape* sp_shape_cp(const sp_world* world, sp_shape_id id) {
    const sp_entry* e = entry(world, &world->shapes, id.index1, id.generation);
    return e ? e->item : NULL;
}

cpConstraint* sp_joint_cp(const sp_world* world, sp_joint_id id) {
    const sp_entry* e = entry(world, &world->constraints, id.index1, id.generation);
    return e ? e->item : NULL;
}

bool sp_body_is_valid(const sp_world* world, sp_body_id id) {
    return sp_body_cp(world, id) != NULL;
}

bool sp_shape_is_valid(const sp_world* world, sp_shape_id id) {
    return sp_shape_cp(world, id) != NULL;
}

bool sp_joint_is_valid(const sp_world* world, sp_joint_id id) {
    return sp_joint_cp(world, id) != NULL;
}

/* ---- Bodies ---- */

sp_body_type sp_body_get_type(const sp_world* world, sp_body_id id) {
    cpBody* b = sp_body_cp(world, id);
    if (!b) return SP_BODY_DYNAMIC;
    switch (cpBodyGetType(b)) {
    case CP_BODY_TYPE_KINEMATIC:
        return SP_BODY_KINEMATIC;
    case CP_BODY_TYPE_STATIC:
        return SP_BODY_STATIC;
    default:
        return SP_BODY_DYNAMIC;
    }
}

sp_vec2 sp_body_position(const sp_world* world, sp_body_id id) {
    const cpBody* b = sp_body_cp(world, id);
    return b ? vec(cpBodyGetPosition(b)) : (sp_vec2){0.0, 0.0};
}

double sp_body_angle(const sp_world* world, sp_body_id id) {
    const cpBody* b = sp_body_cp(world, id);
    return b ? cpBodyGetAngle(b) : 0.0;
}

sp_vec2 sp_body_velocity(const sp_world* world, sp_body_id id) {
    const cpBody* b = sp_body_cp(world, id);
    return b ? vec(cpBodyGetVelocity(b)) : (sp_vec2){0.0, 0.0};
}

double sp_body_angular_velocity(const sp_world* world, sp_body_id id) {
    const cpBody* b = sp_body_cp(world, id);
    return b ? cpBodyGetAngularVelocity(b) : 0.0;
}

sp_vec2 sp_body_rotation(const sp_world* world, sp_body_id id) {
    const cpBody* b = sp_body_cp(world, id);
    return b ? vec(cpBodyGetRotation(b)) : (sp_vec2){1.0, 0.0};
}

sp_vec2 sp_body_local_to_world(const sp_world* world, sp_body_id id, sp_vec2 local) {
    const cpBody* b = sp_body_cp(world, id);
    return b ? vec(cpBodyLocalToWorld(b, cpv(local.x, local.y))) : local;
}

/* cpBodySetPosition and cpBodySetAngle without their sanity assertions: Debian's Chipmunk
 * aborts on a NaN position or velocity, and an episode that ended with "physics_diverged"
 * recorded exactly such a state. The world is never stepped again, so nothing else needs to
 * agree with the transform. */
void sp_body_set_pose(sp_world* world, sp_body_id id, double x, double y, double angle) {
    cpBody* body = sp_body_cp(world, id);
    if (!body) return;
    cpVect rot = cpvforangle(angle);
    body->transform = cpTransformNewTranspose(rot.x, -rot.y, x, rot.y, rot.x, y);
    body->p = cpTransformPoint(body->transform, body->cog);
    body->a = angle;
}

void sp_body_set_velocity(sp_world* world, sp_body_id id, sp_vec2 v, double angular_velocity) {
    cpBody* body = sp_body_cp(world, id);
    if (!body) return;
    cpBodySetVelocity(body, cpv(v.x, v.y));
    cpBodySetAngularVelocity(body, angular_velocity);
}

typedef struct contact_walk {
    const sp_world* world;
    sp_contact contact;
    sp_contact_fn fn;
    void* user;
} contact_walk;

static void each_arbiter(cpBody* body, cpArbiter* arb, void* data) {
    contact_walk* w = data;
    cpBody *a, *b;
    cpArbiterGetBodies(arb, &a, &b);
    w->contact.other = sp_world_find_body(w->world, b);
    cpContactPointSet set = cpArbiterGetContactPointSet(arb);
    w->contact.point_count = 0;
    for (int i = 0; i < set.count && i < 2; i++)
        w->contact.points[w->contact.point_count++] = vec(set.points[i].pointA);
    w->fn(&w->contact, w->user);
}

void sp_body_each_contact(const sp_world* world, sp_body_id id, sp_contact_fn fn, void* user) {
    cpBody* body = sp_body_cp(world, id);
    if (!body) return;
    contact_walk w = {world, {.body = id}, fn, user};
    cpBodyEachArbiter(body, each_arbiter, &w);
}

/* ---- Shapes ---- */

sp_shape_kind sp_shape_get_kind(const sp_world* world, sp_shape_id id) {
    const cpShape* s = sp_shape_cp(world, id);
    if (!s) return SP_SHAPE_NONE;
    switch (s->klass->type) {
    case CP_CIRCLE_SHAPE:
        return SP_SHAPE_CIRCLE;
    case CP_SEGMENT_SHAPE:
        return SP_SHAPE_SEGMENT;
    case CP_POLY_SHAPE:
        return SP_SHAPE_POLYGON;
    default:
        return SP_SHAPE_NONE;
    }
}

sp_body_id sp_shape_body(const sp_world* world, sp_shape_id id) {
    const sp_entry* e = entry(world, &world->shapes, id.index1, id.generation);
    if (!e) return (sp_body_id){0, 0};
    /* Found at registration; a shape registered before its body is looked up now. */
    int32_t index1 = e->body_a ? e->body_a : sp_world_find_index1(world, cpShapeGetBody(e->item));
    return body_id(world, index1);
}

bool sp_shape_is_sensor(const sp_world* world, sp_shape_id id) {
    const cpShape* s = sp_shape_cp(world, id);
    return s && cpShapeGetSensor(s);
}

double sp_shape_radius(const sp_world* world, sp_shape_id id) {
    const cpShape* s = sp_shape_cp(world, id);
    switch (sp_shape_get_kind(world, id)) {
    case SP_SHAPE_CIRCLE:
        return cpCircleShapeGetRadius(s);
    case SP_SHAPE_SEGMENT:
        return cpSegmentShapeGetRadius(s);
    case SP_SHAPE_POLYGON:
        return cpPolyShapeGetRadius(s);
    default:
        return 0.0;
    }
}

sp_vec2 sp_shape_circle_center(const sp_world* world, sp_shape_id id) {
    if (sp_shape_get_kind(world, id) != SP_SHAPE_CIRCLE) return (sp_vec2){0.0, 0.0};
    return vec(cpCircleShapeGetOffset(sp_shape_cp(world, id)));
}

sp_vec2 sp_shape_segment_a(const sp_world* world, sp_shape_id id) {
    if (sp_shape_get_kind(world, id) != SP_SHAPE_SEGMENT) return (sp_vec2){0.0, 0.0};
    return vec(cpSegmentShapeGetA(sp_shape_cp(world, id)));
}

sp_vec2 sp_shape_segment_b(const sp_world* world, sp_shape_id id) {
    if (sp_shape_get_kind(world, id) != SP_SHAPE_SEGMENT) return (sp_vec2){0.0, 0.0};
    return vec(cpSegmentShapeGetB(sp_shape_cp(world, id)));
}

int sp_shape_polygon_count(const sp_world* world, sp_shape_id id) {
    if (sp_shape_get_kind(world, id) != SP_SHAPE_POLYGON) return 0;
    return cpPolyShapeGetCount(sp_shape_cp(world, id));
}

sp_vec2 sp_shape_polygon_vertex(const sp_world* world, sp_shape_id id, int i) {
    if (i < 0 || i >= sp_shape_polygon_count(world, id)) return (sp_vec2){0.0, 0.0};
    return vec(cpPolyShapeGetVert(sp_shape_cp(world, id), i));
}

uintptr_t sp_shape_tag(const sp_world* world, sp_shape_id id) {
    const cpShape* s = sp_shape_cp(world, id);
    return s ? (uintptr_t)cpShapeGetUserData(s) : 0;
}

/* ---- Joints ---- */

sp_joint_info sp_joint_get_info(const sp_world* world, sp_joint_id id) {
    sp_joint_info info = {.kind = SP_JOINT_NONE};
    const sp_entry* e = entry(world, &world->constraints, id.index1, id.generation);
    if (!e) return info;
    const cpConstraint* j = e->item;
    int32_t a = e->body_a ? e->body_a : sp_world_find_index1(world, cpConstraintGetBodyA(j));
    int32_t b = e->body_b ? e->body_b : sp_world_find_index1(world, cpConstraintGetBodyB(j));
    info.body_a = body_id(world, a);
    info.body_b = body_id(world, b);
    if (cpConstraintIsPivotJoint(j)) {
        info.kind = SP_JOINT_PIVOT;
        info.anchor_a = vec(cpPivotJointGetAnchorA(j));
        info.anchor_b = vec(cpPivotJointGetAnchorB(j));
    } else if (cpConstraintIsGrooveJoint(j)) {
        info.kind = SP_JOINT_GROOVE;
        info.groove_a = vec(cpGrooveJointGetGrooveA(j));
        info.groove_b = vec(cpGrooveJointGetGrooveB(j));
        info.anchor_b = vec(cpGrooveJointGetAnchorB(j));
    } else if (cpConstraintIsPinJoint(j)) {
        info.kind = SP_JOINT_PIN;
        info.anchor_a = vec(cpPinJointGetAnchorA(j));
        info.anchor_b = vec(cpPinJointGetAnchorB(j));
    } else if (cpConstraintIsSlideJoint(j)) {
        info.kind = SP_JOINT_SLIDE;
        info.anchor_a = vec(cpSlideJointGetAnchorA(j));
        info.anchor_b = vec(cpSlideJointGetAnchorB(j));
    } else if (cpConstraintIsDampedSpring(j)) {
        info.kind = SP_JOINT_SPRING;
        info.anchor_a = vec(cpDampedSpringGetAnchorA(j));
        info.anchor_b = vec(cpDampedSpringGetAnchorB(j));
    } else {
        info.kind = SP_JOINT_OTHER;
    }
    return info;
}
