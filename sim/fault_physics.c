/* Physics faults: gravity, friction and mass perturbations, written into the world before the
 * env acts. Each value is derived from the nominal one captured at reset, every time, so a
 * perturbation that drifts for thousands of steps never compounds rounding, and a closing
 * window restores the nominal value exactly (x 1 + 0). Chipmunk refuses negative masses and
 * frictions, so friction is held at >= 0 and a body's mass at >= 1/1000 of its nominal. */

#include <math.h>
#include <stdlib.h>

#include "fault_internal.h"
#include "sandpit/error.h"
#include "world_chipmunk.h"

#define MIN_MASS_FRACTION 1e-3

static int grow(double** p, int* cap, int need) {
    if (need <= *cap) return 0;
    double* q = realloc(*p, (size_t)need * sizeof *q);
    if (!q) return -1;
    *p = q;
    *cap = need;
    return 0;
}

int sp_fault_physics_capture(sp_faults* fs, sp_world* world) {
    cpVect g = cpSpaceGetGravity(sp_world_space(world));
    fs->gravity[0] = g.x;
    fs->gravity[1] = g.y;
    for (int k = 0; k < PHYS_GROUPS; k++) {
        fs->applied_scale[k] = 1.0;
        fs->applied_offset[k] = 0.0;
    }
    fs->nshapes = fs->nbodies = 0;
    if (fs->needs_shapes) {
        int n = sp_world_shape_count(world);
        if (grow(&fs->friction, &fs->shapes_cap, n) != 0) return SP_E_NO_MEMORY;
        for (int i = 0; i < n; i++)
            fs->friction[i] = cpShapeGetFriction(sp_world_shape(world, i));
        fs->nshapes = n;
    }
    if (fs->needs_bodies) {
        int n = sp_world_body_count(world);
        int cap = fs->bodies_cap;
        if (grow(&fs->mass, &cap, n) != 0) return SP_E_NO_MEMORY;
        cap = fs->bodies_cap;
        if (grow(&fs->moment, &cap, n) != 0) return SP_E_NO_MEMORY;
        fs->bodies_cap = cap;
        for (int i = 0; i < n; i++) {
            cpBody* b = sp_world_body(world, i);
            bool dynamic = cpBodyGetType(b) == CP_BODY_TYPE_DYNAMIC && cpBodyGetMass(b) > 0.0;
            fs->mass[i] = dynamic ? cpBodyGetMass(b) : NAN;
            fs->moment[i] = dynamic ? cpBodyGetMoment(b) : NAN;
        }
        fs->nbodies = n;
    }
    return SP_OK;
}

static void write_group(sp_faults* fs, sp_world* world, int group, double scale, double offset) {
    switch (group) {
    case PHYS_GRAVITY_X:
    case PHYS_GRAVITY_Y: {
        cpSpace* space = sp_world_space(world);
        cpVect g = cpSpaceGetGravity(space);
        double v = fs->gravity[group - PHYS_GRAVITY_X] * scale + offset;
        if (group == PHYS_GRAVITY_X)
            g.x = v;
        else
            g.y = v;
        cpSpaceSetGravity(space, g);
        return;
    }
    case PHYS_FRICTION:
        for (int i = 0; i < fs->nshapes; i++) {
            double u = fs->friction[i] * scale + offset;
            cpShapeSetFriction(sp_world_shape(world, i), u > 0.0 ? u : 0.0);
        }
        return;
    case PHYS_MASS:
        for (int i = 0; i < fs->nbodies; i++) {
            double m0 = fs->mass[i];
            if (isnan(m0)) continue;
            double m = m0 * scale + offset;
            if (!(m >= m0 * MIN_MASS_FRACTION)) m = m0 * MIN_MASS_FRACTION;
            if (!isfinite(m)) m = m0;
            cpBody* b = sp_world_body(world, i);
            cpBodySetMass(b, m);
            /* The same body, denser or lighter: its moment follows its mass. */
            cpBodySetMoment(b, fs->moment[i] * (m / m0));
        }
        return;
    default:
        return;
    }
}

void sp_fault_physics_apply(sp_faults* fs, sp_world* world) {
    double scale[PHYS_GROUPS], offset[PHYS_GROUPS];
    for (int k = 0; k < PHYS_GROUPS; k++) {
        scale[k] = 1.0;
        offset[k] = 0.0;
    }
    /* Faults on one parameter compose in list order: v -> v x factor + offset. */
    for (int i = 0; i < fs->nphysics; i++) {
        const fault* f = &fs->faults[fs->physics[i]];
        const fault_state* s = FAULT_NEXT(f);
        if (!s->active) continue;
        double k = s->factor, o = f->def.offset;
        int groups[2], ng = 0;
        if (f->def.kind == SP_FAULT_GRAVITY) {
            for (int c = 0; c < f->nch; c++)
                groups[ng++] = PHYS_GRAVITY_X + f->ch[c];
        } else {
            groups[ng++] = f->def.kind == SP_FAULT_FRICTION ? PHYS_FRICTION : PHYS_MASS;
        }
        for (int g = 0; g < ng; g++) {
            scale[groups[g]] *= k;
            offset[groups[g]] = offset[groups[g]] * k + o;
        }
    }
    for (int k = 0; k < PHYS_GROUPS; k++) {
        if (scale[k] == fs->applied_scale[k] && offset[k] == fs->applied_offset[k]) continue;
        write_group(fs, world, k, scale[k], offset[k]);
        fs->applied_scale[k] = scale[k];
        fs->applied_offset[k] = offset[k];
    }
}
