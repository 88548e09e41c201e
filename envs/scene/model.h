#ifndef SANDPIT_SCENE_MODEL_H
#define SANDPIT_SCENE_MODEL_H

/* A decoded scene: plain C structs, immutable once decoded (MuJoCo's mjModel). Episode state
 * lives in scene_state (run.h). Indices, never pointers, link the parts, so the model is
 * position independent and trivially freed. */

#include <stdbool.h>
#include <stdint.h>

#include "sandpit/env.h"
#include "sandpit/scene.h"
#include "world_chipmunk.h"

#define SC_NONE (-1) /* "no body": the world's static body, or an absent reference */

typedef enum sc_body_kind { SC_DYNAMIC, SC_STATIC, SC_KINEMATIC } sc_body_kind;
typedef enum sc_shape_kind { SC_CIRCLE, SC_BOX, SC_POLYGON, SC_SEGMENT, SC_POLYLINE } sc_shape_kind;

typedef struct sc_shape {
    sc_shape_kind kind;
    int body;
    cpVect offset;  /* circle centre, box centre */
    double angle;   /* box rotation in the body frame */
    double radius;  /* circle radius; rounding of the others */
    double w, h;    /* box */
    cpVect a, b;    /* segment */
    int vert_first; /* polygon, polyline: into model.verts */
    int vert_count;
    double density; /* kg/m^2, when the body has no mass */
    double friction;
    double elasticity;
    uint32_t categories;
    uint32_t mask;
    uint32_t group;
    bool collide; /* false: drawn only (sp_world_add_visual_shape) */
    int role;     /* sp_scene_role */
} sc_shape;

typedef struct sc_body {
    const char* name;
    sc_body_kind kind;
    cpVect position;
    double angle;
    cpVect velocity;
    double angular_velocity;
    bool fixed_rotation;
    /* Mass properties, computed once by the decoder from the shapes. */
    double mass;
    double moment;
    cpVect cog;
    int shape_first;
    int shape_count;
    /* "origin": "centroid": the body's frame is moved to its centroid; every body-local point
     * given for it (shapes, anchors, mounts) is in the declared frame and shifted by `shift`. */
    cpVect shift;
    /* "attach": placed so that its point `attach_anchor` meets body `attach_to`'s point
     * `attach_at` (both as declared), before its shapes are added. */
    bool has_attach;
    int attach_to;
    cpVect attach_at;
    cpVect attach_anchor;
} sc_body;

typedef enum sc_joint_kind {
    SC_PIVOT,
    SC_GROOVE,
    SC_SLIDER,
    SC_WELD,
    SC_SPRING,
    SC_ROTARY_SPRING,
    SC_ROTARY_LIMIT,
    SC_FRICTION, /* top-down friction: pivot and gear to a with bias 0 (Chipmunk's tank demo) */
} sc_joint_kind;

typedef struct sc_joint {
    const char* name;
    sc_joint_kind kind;
    int a, b;        /* bodies; SC_NONE is the world */
    cpVect anchor_a; /* local to a */
    cpVect anchor_b; /* local to b */
    cpVect groove_a; /* groove: the groove on a */
    cpVect groove_b;
    double min, max; /* slider distance; pivot limits when has_limit */
    bool has_limit;
    double rest; /* spring rest length or angle */
    double stiffness;
    double damping;
    bool has_motor;    /* a simple motor beside the joint: actuators drive it */
    double max_torque; /* the motor's and servos' strength; friction: its torque */
    double max_force;  /* friction: the largest force it resists sliding with, N */
    bool collide;      /* bodies of a joint collide with each other */
    bool world_anchor; /* pivot: made at anchor_a's world point; Chipmunk derives b's anchor */
} sc_joint;

/* Per-episode quantities read from the world: what sensors, reward terms and conditions see. */
typedef enum sc_probe_kind {
    SC_P_X,
    SC_P_Y,
    SC_P_ANGLE,
    SC_P_VX,
    SC_P_VY,
    SC_P_ANGULAR_VELOCITY,
    SC_P_JOINT_ANGLE,
    SC_P_JOINT_SPEED,
    SC_P_DISTANCE,
    SC_P_BEARING,
    SC_P_TOUCH,
    SC_P_IMU_AX,
    SC_P_IMU_AY,
    SC_P_IMU_GYRO,
    SC_P_UPRIGHT,
    SC_P_LIDAR,
    SC_P_ACTUATOR, /* the value an actuator is commanded this step */
    SC_P_SPEED,
    SC_P_FUEL,
    SC_P_CONTACT_BEGAN,  /* a contact began during the last env step (latched) */
    SC_P_IMPACT,         /* the largest speed of `other` at a contact that began */
    SC_P_WHEEL_SPEED,    /* a wheel's rolling speed (wheel.c) */
    SC_P_WHEEL_TRAVEL,   /* a wheel's rolled distance since the reset */
    SC_P_TRACK_PROGRESS, /* arc length along a generated track, unwrapped (gen_track.c) */
    SC_P_TRACK_OFFSET,   /* signed distance from the track's centreline, + to the left */
    SC_P_TRACK_HEADING,  /* body angle minus the track's direction there */
    SC_P_TRACK_LAPS,     /* progress over the track's length */
} sc_probe_kind;

typedef struct sc_probe {
    sc_probe_kind kind;
    int body; /* the measured body */
    int ref;  /* pose and velocity relative to this body; SC_NONE: world frame */
    int joint;
    int other; /* distance/bearing target; touch: only this body (SC_NONE: any) */
    int role;  /* touch: only shapes of this role (-1: any) */
    bool wrap; /* angles wrapped to [-pi, pi] */
    int imu;   /* index into the state's IMU slots */
    int ray;   /* lidar: ray index within its sensor */
    int rays;
    double fov, range;
    cpVect offset; /* lidar origin in the body frame */
    double angle;  /* lidar: direction of the fan's centre (body frame, or world frame) */
    bool world;    /* lidar: rays fixed in the world, not turning with the body */
    uint32_t mask; /* lidar: categories it sees */
    uint32_t group;
    int actuator;
    cpVect origin; /* body sensors: positions measured from this world point */
    int latch;     /* contact_began, impact: index into the state's latches */
    int track;     /* track probes: the generator */
    int unwrap;    /* track progress: its slot in the state's track_prev */
} sc_probe;

typedef struct sc_channel_def {
    sp_channel ch;
    sc_probe probe;
    bool observed; /* false: hidden, for reward and conditions only */
} sc_channel_def;

typedef enum sc_actuator_kind {
    SC_A_THRUSTER,
    SC_A_MOTOR_SPEED,
    SC_A_MOTOR_TORQUE,
    SC_A_SERVO,
    SC_A_WHEEL,         /* a tyre at a body point: drive or steer (wheel.c) */
    SC_A_MOTOR_EFFORT,  /* Box2D-style: the motor aims at +-speed with torque |u| x gain */
    SC_A_SLOT_MOTOR,    /* a motor the level generator builds (gen_level.c) */
    SC_A_SLOT_THRUSTER, /* a thruster the level generator mounts */
} sc_actuator_kind;

typedef struct sc_actuator {
    sc_actuator_kind kind;
    int body;         /* thruster */
    cpVect point;     /* thruster mount, body frame */
    cpVect direction; /* thruster push, body frame (world frame when world_frame) */
    bool world_frame;
    int joint;           /* motors and servos */
    double gain;         /* force or torque per unit of command */
    double kp, kd;       /* servo */
    double max_torque;   /* servo clamp */
    double speed;        /* motor_effort: the speed the motor aims at, rad/s */
    double dispersion;   /* thruster: per env step, the push turns by U(-d, d) rad */
    int dispersion_from; /* thruster: share this actuator's draw instead (-1: own) */
    bool fuel;           /* thruster: burns the world's tank */
    int slot;            /* slot actuators: index into the state's slots (motors, then thrusters) */
    bool steer;          /* wheel: the command turns it (rad per unit) instead of driving it */
    double lateral;      /* wheel: sideways friction, N per m/s of slip */
    double grip;         /* wheel: the largest force the tyre passes to the ground, N */
    double drag;         /* wheel: rolling resistance, N per m/s */
    int travel;          /* wheel: its slot in the state's travel (encoder) array */
    sp_channel ch;
} sc_actuator;

typedef enum sc_term_kind {
    SC_T_ALIVE,
    SC_T_VALUE,
    SC_T_PROGRESS,
    SC_T_ACTION_COST,
    SC_T_POTENTIAL,
    SC_T_EFFORT,
} sc_term_kind;

/* One part of a potential: weight x f(channels), f a value, |value|, or the norm of one or
 * two channels each divided (or multiplied) by its scale. */
typedef struct sc_component {
    int channels[2];
    int count;
    double scale[2];
    bool divide;
    bool norm;
    bool abs;
    double weight;
} sc_component;

typedef struct sc_term {
    sc_term_kind kind;
    double weight;
    int channel;    /* value and progress: into model.channels */
    int actuator;   /* effort */
    int comp_first; /* potential: into model.components */
    int comp_count;
} sc_term;

typedef enum sc_test {
    SC_ABOVE,
    SC_BELOW,
    SC_OUTSIDE,
    SC_INSIDE,
    SC_ABS_ABOVE,
    SC_ABS_BELOW
} sc_test;

typedef struct sc_check {
    int channel;
    sc_test test;
    double lo, hi; /* above, abs_above: lo; below, abs_below: hi */
} sc_check;

typedef struct sc_condition {
    const char* reason;
    int check_first; /* all of these hold: into model.checks */
    int check_count;
    int for_steps;   /* true this many consecutive steps */
    bool has_reward; /* the step's reward becomes `reward` */
    double reward;
    bool truncate; /* truncation rather than termination */
} sc_condition;

typedef enum sc_random_kind {
    SC_R_TRANSLATE,
    SC_R_VELOCITY,
    SC_R_ROTATE,
    SC_R_SPIN,
    SC_R_MASS,
    SC_R_FRICTION,
    SC_R_GAIN,
    SC_R_GRAVITY,
} sc_random_kind;

#define SC_MAX_RANDOM_BODIES 16

typedef struct sc_random {
    sc_random_kind kind;
    int axis; /* translate, velocity: 0 x, 1 y */
    int bodies[SC_MAX_RANDOM_BODIES];
    int body_count;
    cpVect about; /* rotate, spin: body-frame point */
    int actuator; /* scale_gain */
    double lo, hi;
    double snap; /* translate: a multiple of it (0: any value) */
} sc_random;

typedef enum sc_gen_kind {
    SC_G_TERRAIN,
    SC_G_MAZE,
    SC_G_SCATTER,
    SC_G_TRACK,
    SC_G_LEVEL
} sc_gen_kind;
typedef enum sc_terrain_style {
    SC_ROUGH,
    SC_STUMPS,
    SC_PITS,
    SC_STAIRS,
    SC_SMOOTH,
    SC_COURSE /* gen_course.c: BipedalWalker's random-walk grass, optional obstacles */
} sc_terrain_style;

typedef struct sc_generator {
    sc_gen_kind kind;
    const char* name; /* its stream's name */
    int style;        /* terrain */
    double x0, x1, y; /* terrain span and base height */
    int segments;     /* terrain: segments; maze: columns; scatter: count */
    int rows;         /* maze */
    double amplitude; /* terrain: height scale; maze: wall thickness */
    double cell;      /* maze cell size; scatter: object size */
    cpVect origin;    /* maze lower-left; scatter area lower-left */
    cpVect extent;    /* scatter area size */
    double friction;
    int role;
    uint32_t categories;
    int shapes; /* upper bound of shapes it adds */
    /* terrain "smooth": heights U(lo, hi) per point, a 3-point average, a flat span */
    double height_lo, height_hi;
    int flat_from, flat_to; /* point indices, inclusive; -1: none */
    double flat_y;
    double shoulder; /* flat extension past both ends */
    bool env_stream; /* draw from the env stream (in build order), not its own */
    /* level (gen_level.c): a Kinetix-style level around two declared bodies, in `origin` +
     * `extent` (the area) */
    int agent, goal;            /* bodies it places */
    int hazards_lo, hazards_hi; /* static hazards per level */
    int shapes_lo, shapes_hi;   /* free dynamic obstacles per level */
    double size_lo, size_hi;    /* their half sizes */
    double gap;                 /* least |x| between agent and goal */
    bool has_goal_y;            /* the goal's height drawn in goal_y_lo..hi */
    double goal_y_lo, goal_y_hi;
    int motors, thrusters;     /* slots: the actuators' `slot` */
    double wheel_lo, wheel_hi; /* wheel radii */
    double max_torque;         /* each wheel's motor */
    cpVect mount_lo, mount_hi; /* the agent-frame box wheels and thrusters mount in */
    uint32_t hazard_categories;
    /* track: `rows` control points around `origin` at radius `cell` +- `amplitude` (a
     * fraction), a centreline of `segments` points, walls `extent.x` apart */
    int track_slot; /* its centreline's place in the state's track buffer, in points */
    /* terrain "course": flat pieces at the start, grass stretch length, obstacle kinds */
    int startpad;
    int grass;
    unsigned obstacles; /* bit SC_STUMPS, SC_PITS, SC_STAIRS */
} sc_generator;

/* What the level generator built for one actuator slot this episode. */
typedef struct sc_slot {
    cpConstraint* motor; /* slot motor: the wheel's motor */
    cpBody* body;        /* slot thruster: the body it pushes */
    cpVect point;        /* body frame */
    cpVect direction;    /* body frame, unit */
} sc_slot;

typedef struct sc_model {
    sp_env_spec spec;
    sp_env_class cls;
    double gravity_x, gravity_y;
    double damping;
    bool has_bounds;
    double bounds[4]; /* xmin, ymin, xmax, ymax */
    double collision_slop;

    int body_count;
    sc_body* bodies;
    int shape_count;
    sc_shape* shapes;
    int vert_count;
    cpVect* verts;
    int joint_count;
    sc_joint* joints;
    int actuator_count;
    sc_actuator* actuators;
    int action_count; /* discrete: rows of table */
    const char** action_names;
    double* table;     /* [action_count][actuator_count] */
    int channel_count; /* observed first, then hidden */
    sc_channel_def* channels;
    sp_channel* observed; /* the spec's sensors */
    sp_channel* spec_actuators;
    int term_count;
    sc_term* terms;
    int component_count;
    sc_component* components;
    int check_count;
    sc_check* checks;
    bool has_fuel;
    double fuel_capacity; /* N s of impulse */
    int latch_count;
    int condition_count;
    sc_condition* conditions;
    int constraint_count;
    sp_constraint* constraints;
    int random_count;
    sc_random* randoms;
    int generator_count;
    sc_generator* generators;
    int imu_count;
    int ray_count;
    int progress_count;   /* progress terms keep the last value */
    int generated_shapes; /* upper bound over all generators */
    int level;            /* the level generator (at most one), or -1 */
    int slot_count;       /* its motors, then its thrusters */
    int wheel_count;      /* wheels: encoder slots in the state */
    int track_points;     /* centreline points of all track generators */
    int track_progress;   /* track progress probes: unwrapping slots in the state */

    char* canonical; /* keys sorted, compact */
    size_t canonical_len;
    size_t bytes; /* everything above, for accounting */
} sc_model;

/* Episode state: the block the runtime allocates (state_size) and zeroes at each reset. The
 * model pointer comes first: the runtime writes it there (sp_env_class.model). */
typedef struct sc_state {
    const sc_model* m;
    cpBody** bodies;       /* [body_count], in the block after this header */
    cpConstraint** motors; /* [joint_count]: the simple motor of a joint, or NULL */
    double* command;       /* [actuator_count] this step's command */
    double* gain_scale;    /* [actuator_count] randomized strength */
    double* progress_prev; /* [term_count] */
    int* cond_steps;       /* [condition_count] consecutive true steps */
    cpVect* imu_prev_v;    /* [imu_count] body velocity at the last sense/evaluate */
    double* tilt;          /* [actuator_count] this step's thrust dispersion, rad */
    double* delivered;     /* [actuator_count] sum over the step's physics steps of u/gain */
    double* latches;       /* [latch_count] contact events of this env step */
    sc_slot* slots;        /* [slot_count] the level generator's motors, then thrusters */
    double* travel;        /* [wheel_count] distance each wheel rolled since the reset */
    cpVect* track;         /* [track_points] generated centrelines, each closed */
    double* track_len;     /* [track_points] arc length from a centreline's first point */
    double* track_prev;    /* [track_progress] the last unwrapped progress reading */
    double gravity_scale;
    double fuel; /* N s left */
} sc_state;

#endif
