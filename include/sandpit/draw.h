#ifndef SANDPIT_DRAW_H
#define SANDPIT_DRAW_H

/* Software drawing of a world into an RGB8 buffer: the one renderer shared by replay export,
 * the SDL2 viewer (which only uploads the buffer) and server-side `rgb_array` rendering.
 *
 * Everything is deterministic and exact: no antialiasing, no blending, colours from a fixed
 * table indexed by creation order. The same world state always gives the same bytes, so tests
 * can check colours at known pixels and the GIF palette holds every colour drawn. Drawing
 * allocates nothing; the caller owns the pixel buffer. */

#include <stdbool.h>
#include <stdint.h>

#include "sandpit/env.h"
#include "sandpit/world.h"

/* An RGB8 image, row-major, `stride` bytes between rows (>= 3 * width). A sub-rectangle of a
 * larger image is an sp_image too (see sp_image_sub), which is how side-by-side views work. */
typedef struct sp_image {
    uint8_t* pixels;
    int width;
    int height;
    int stride;
} sp_image;

typedef struct sp_rgb {
    uint8_t r, g, b;
} sp_rgb;

/* Wraps caller memory of at least `stride * height` bytes. */
sp_image sp_image_wrap(uint8_t* pixels, int width, int height, int stride);

/* The rectangle (x, y, w, h) of `img`, clipped to it; shares the pixels. */
sp_image sp_image_sub(const sp_image* img, int x, int y, int w, int h);

/* The colour at (x, y); black outside the image. */
sp_rgb sp_image_get(const sp_image* img, int x, int y);

/* ---- Primitives, in pixel coordinates (y down). Everything is clipped to the image. ---- */

void sp_draw_clear(sp_image* img, sp_rgb c);
void sp_draw_rect(sp_image* img, int x, int y, int w, int h, sp_rgb c);
/* A filled convex polygon; pixels whose centres lie inside are set. */
void sp_draw_convex(sp_image* img, const double* xs, const double* ys, int n, sp_rgb c);
void sp_draw_disc(sp_image* img, double cx, double cy, double r, sp_rgb c);
/* A capsule: every pixel whose centre is within `r` of the segment. */
void sp_draw_capsule(sp_image* img, double ax, double ay, double bx, double by, double r, sp_rgb c);

/* ---- Text: a built-in 5x7 ASCII font (descenders below) in 6x9 cells, scaled by an integer
 * factor. ---- */

#define SP_FONT_CELL_W 6
#define SP_FONT_CELL_H 9

/* Draws `text` with its top-left at (x, y); '\n' starts a new line. Bytes outside printable
 * ASCII draw as '?'. Returns the width in pixels of the longest line. */
int sp_draw_text(sp_image* img, int x, int y, const char* text, int scale, sp_rgb c);

/* ---- Scene ---- */

/* How to frame an env. Unknown envs get the default: follow body 0 on both axes, 10 m across. */
typedef struct sp_view_hint {
    double view_width; /* metres across the image's shorter side */
    int focus_body;    /* registry index of the body the camera follows */
    bool follow_x;     /* follow the focus body's x, else stay at center_x */
    bool follow_y;
    double center_x; /* metres; the fixed centre on axes not followed, and an offset added */
    double center_y; /* to the focus body's position on axes followed */
} sp_view_hint;

/* The hint for an env id (a small table in replay/draw, kept apart from the envs so they
 * stay free of drawing concerns). Never NULL-dereferences: NULL or unknown ids get the default. */
sp_view_hint sp_view_hint_for(const char* env_id);

/* World to pixels: px = (x - center_x) * scale + width / 2, py = height / 2 - (y - center_y) *
 * scale. */
typedef struct sp_camera {
    double center_x, center_y; /* metres at the image centre */
    double scale;              /* pixels per metre */
    int width, height;         /* the image it frames */
} sp_camera;

/* The camera for `world` in an image of width x height under `hint`. A focus body that does
 * not exist, or sits at a non-finite position, leaves the camera at the hint's centre. */
sp_camera sp_camera_frame(const sp_view_hint* hint, const sp_world* world, int width, int height);

/* Projects a world point. Returns false (and leaves outputs unset) when the result is not
 * finite; a finite result may still lie outside the image. */
bool sp_camera_project(const sp_camera* cam, double x, double y, double* px, double* py);

/* The pixel holding body `index`'s position: false when it is off-image or not finite. */
bool sp_draw_body_pixel(const sp_camera* cam, const sp_world* world, int index, int* px, int* py);

/* Colours, fixed so that tests and palettes can rely on them. Every colour the scene uses has
 * channels in {0, 51, 102, 153, 204, 255}: the 6x6x6 cube that the GIF palette holds. */
sp_rgb sp_draw_background(void);
sp_rgb sp_draw_terrain_color(void);
/* The colour of the shape with registry index `index` on a dynamic or kinematic body. */
sp_rgb sp_draw_shape_color(int index);
/* The colour of a scene role (sandpit/scene.h) above "agent": goal green, hazard red, terrain
 * grey, obstacle brown, target yellow. */
sp_rgb sp_draw_role_color(int role);
/* The colour body `index` is drawn in: that of its first shape in the registry; the background
 * colour if it has none. */
sp_rgb sp_draw_body_color(const sp_world* world, int index);

/* A point to mark on the scene, such as a contact, in world coordinates. */
typedef struct sp_draw_point {
    double x, y;
} sp_draw_point;

/* A ray to draw over the scene (a lidar beam), in world coordinates: from (x0, y0) to the
 * reading's end (x1, y1). `hit`: the reading is shorter than the range, so the end is marked;
 * `dropped`: the agent got no reading (an outage, NaN), drawn grey to the full range; `tx, ty`:
 * where the true reading ended, marked when it differs from what the agent saw. */
typedef struct sp_draw_ray {
    double x0, y0, x1, y1;
    double tx, ty;
    bool hit;
    bool dropped;
} sp_draw_ray;

/* The beams an env declares (spec->rays) as rays to draw, from one step's readings: `seen`
 * (what the agent got), `truth` and `valid` (0: the reading was dropped), each indexed by
 * sensor; `truth` and `valid` may be NULL. Bodies are read from `world` as posed. Writes at
 * most `max` rays; returns how many. */
int sp_draw_rays_from_readings(const sp_env_spec* spec, const sp_world* world, const float* seen,
                               const float* truth, const uint8_t* valid, sp_draw_ray* out, int max);

/* Overrides a shape's colour (a scene's roles: agent, goal, hazard). `fallback` is the colour
 * by creation order; return it to keep it. Colours should stay in the 6x6x6 cube. */
typedef sp_rgb (*sp_shape_color_fn)(void* user, const sp_world* world, int shape, sp_rgb fallback);

typedef struct sp_scene_opts {
    bool grid;                     /* a 1 m grid behind the scene, so camera motion shows */
    bool joints;                   /* constraints as lines and dots */
    const sp_draw_point* contacts; /* optional, drawn as small crosses */
    int contact_count;
    const sp_draw_ray* rays; /* optional, drawn after the shapes, before the contacts */
    int ray_count;
    sp_shape_color_fn shape_color; /* optional: role colours */
    void* shape_color_user;
} sp_scene_opts;

sp_scene_opts sp_default_scene_opts(void);

/* Clears `img` and draws the world: grid, static shapes (terrain), then other shapes in
 * registry order, then joints, then contacts. Reads body transforms only, so a world whose
 * bodies were posed with sp_body_set_pose draws as it would after a step. */
void sp_draw_world(sp_image* img, const sp_camera* cam, const sp_world* world,
                   const sp_scene_opts* opts);

/* ---- Pixel observations (sp_episode_set_render) ---- */

/* What a frame hook draws with: the env's camera, the scene options and, for grey frames, an
 * RGB scratch of width * height * 3 bytes (owned by the caller; NULL for RGB frames). */
typedef struct sp_frame_view {
    sp_view_hint hint;
    sp_scene_opts opts;
    uint8_t* rgb;
} sp_frame_view;

/* The view of `env_id`'s frames: its view hint, default scene options, no scratch. */
sp_frame_view sp_default_frame_view(const char* env_id);

/* An sp_render_fn (`user`: an sp_frame_view): draws the episode's world into the frame, RGB,
 * or grey (BT.601 luma of the RGB frame, in integers). Allocates nothing. */
struct sp_episode;
struct sp_frame;
void sp_draw_frame_hook(void* user, struct sp_episode* ep, struct sp_frame* frame);

/* Env-specific marks drawn over the scene from the world and the action the env received
 * (Lander: thruster flames sized by throttle, the landing pad's flags). A small table in
 * replay/draw keyed by env id, like the view hints; other envs get nothing. */
void sp_draw_decor(sp_image* img, const sp_camera* cam, const sp_world* world, const char* env_id,
                   const sp_action* applied);

/* Colours drawn for the rays (tests probe them). */
sp_rgb sp_draw_ray_color(void);
sp_rgb sp_draw_ray_hit_color(void);
sp_rgb sp_draw_ray_dropped_color(void);
sp_rgb sp_draw_flame_color(void);
sp_rgb sp_draw_flag_color(void);

/* ---- Overlays ---- */

/* What the HUD shows. Strings may be NULL. */
typedef struct sp_hud {
    const char* title; /* env id, file name */
    int step;
    int step_count; /* steps in the episode */
    double time;    /* seconds of simulated time */
    double reward;
    double episode_return;
    const char* action; /* already formatted, see sp_format_action */
    bool terminated;
    bool truncated;
    const char* reason;
    const char* note; /* one more line: play speed, "paused", divergence */
    /* More lines after the status, each in its own colour: active faults, guardrail trips. */
    const char* const* lines;
    const sp_rgb* line_colors;
    int line_count;
} sp_hud;

/* Draws the HUD in the top-left corner on a dark panel. */
void sp_draw_hud(sp_image* img, const sp_hud* hud, int scale);

/* Formats an action for display: the action's name for discrete envs, values for continuous. */
void sp_format_action(const sp_env_spec* spec, const sp_action* action, char* buf, int buf_sz);

/* Per-step marks for the timeline bar. */
enum {
    SP_MARK_GUARD = 1 << 0,   /* a guardrail tripped */
    SP_MARK_FAULT = 1 << 1,   /* a fault was active */
    SP_MARK_MACHINE = 1 << 2, /* a machine-dependent event (wall-clock truncation) */
    SP_MARK_END = 1 << 3,     /* terminated or truncated */
};

typedef struct sp_timeline {
    int step_count;       /* positions are 0..step_count */
    int current;          /* the step shown */
    const uint8_t* marks; /* step_count + 1 entries of SP_MARK_* bits, or NULL */
    int diverge_step;     /* first step whose hashes differ between two files; -1 for none */
    const uint8_t* band;  /* step_count + 1 entries: 0, or 1 + the fault whose colour the
                             middle third takes (sp_draw_fault_color); NULL: fault marks yellow */
} sp_timeline;

/* Draws the timeline filling `img` (pass a sub-image for the bar's rectangle). */
void sp_draw_timeline(sp_image* img, const sp_timeline* tl);

/* The step under pixel column `x` of a timeline `width` pixels wide, clamped to 0..step_count. */
int sp_timeline_step_at(int x, int width, int step_count);

/* ---- Charts: strip charts of values over a whole episode ---- */

/* A fault's colour, by its index in the episode's fault list: bright for text and the
 * timeline, and a dark tint for chart backgrounds while it is active. */
sp_rgb sp_draw_fault_color(int index);
sp_rgb sp_draw_fault_band(int index);

#define SP_CHART_MAX_SERIES 4

typedef struct sp_chart_series {
    const float* values; /* count + 1 values: steps 0..count; non-finite ones leave a gap */
    int count;           /* may be shorter than the chart's step_count (a shorter file) */
    sp_rgb color;
    const uint8_t* valid; /* per step: 0 draws the line into that step grey; NULL: all valid */
} sp_chart_series;

typedef struct sp_chart {
    const char* title; /* top-left, e.g. "hull.x m  seen 0.12  true 0.10" */
    int step_count;    /* x axis: steps 0..step_count, the same columns as sp_draw_timeline */
    sp_chart_series series[SP_CHART_MAX_SERIES]; /* drawn in order: the last is on top */
    int series_count;
    const uint8_t* band;  /* per step: 0, or 1 + the fault index whose tint fills the column */
    const uint8_t* marks; /* per step SP_MARK_* bits: guardrail trips draw a red line */
    int mark_steps;       /* band and marks hold steps 0..mark_steps (a shorter episode's) */
    /* The label written beside a guardrail line (its reason); NULL: none. */
    const char* (*mark_label)(const void* user, int step);
    const void* label_user;
    int current;      /* the cursor */
    int diverge_step; /* a magenta line; -1 for none */
} sp_chart;

/* Draws the chart filling `img`: y scaled to the finite values of every series (with min and
 * max printed at the right), bands, guardrail lines, divergence, cursor. Allocates nothing. */
void sp_draw_chart(sp_image* img, const sp_chart* chart);

/* Draws `text` on a dark box centred in the image (the viewer's help overlay). */
void sp_draw_text_box(sp_image* img, const char* text, int scale);

#endif
