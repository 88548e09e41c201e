/* Primitive rasterization into RGB8 images: rectangles, convex polygons, discs and capsules.
 *
 * Coverage is decided at pixel centres (x + 0.5, y + 0.5) with no antialiasing, so a shape's
 * pixels hold exactly its colour: tests compare colours with ==, and the GIF palette stays
 * exact. Every loop first clips its bounding box to the image in double precision, so
 * non-finite or huge coordinates (a world that blew up) never reach an int conversion. */

#include <math.h>
#include <string.h>

#include "sandpit/draw.h"

sp_image sp_image_wrap(uint8_t* pixels, int width, int height, int stride) {
    sp_image img = {pixels, width, height, stride};
    return img;
}

sp_image sp_image_sub(const sp_image* img, int x, int y, int w, int h) {
    if (x < 0) w += x, x = 0;
    if (y < 0) h += y, y = 0;
    if (x + w > img->width) w = img->width - x;
    if (y + h > img->height) h = img->height - y;
    if (w <= 0 || h <= 0) {
        sp_image empty = {img->pixels, 0, 0, img->stride};
        return empty;
    }
    sp_image sub = {img->pixels + (size_t)y * (size_t)img->stride + (size_t)x * 3u, w, h,
                    img->stride};
    return sub;
}

sp_rgb sp_image_get(const sp_image* img, int x, int y) {
    sp_rgb c = {0, 0, 0};
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) return c;
    const uint8_t* p = img->pixels + (size_t)y * (size_t)img->stride + (size_t)x * 3u;
    c.r = p[0];
    c.g = p[1];
    c.b = p[2];
    return c;
}

/* Sets pixels [x0, x1) of row y; callers have clipped. */
static void span(sp_image* img, int y, int x0, int x1, sp_rgb c) {
    uint8_t* p = img->pixels + (size_t)y * (size_t)img->stride + (size_t)x0 * 3u;
    for (int x = x0; x < x1; x++, p += 3) {
        p[0] = c.r;
        p[1] = c.g;
        p[2] = c.b;
    }
}

void sp_draw_clear(sp_image* img, sp_rgb c) {
    if (img->width <= 0 || img->height <= 0) return;
    /* One row pixel by pixel, the others copied from it: a frame is cleared at every step of
     * every env observing pixels, and memcpy moves whole words where span moves bytes. */
    span(img, 0, 0, img->width, c);
    size_t row = (size_t)img->width * 3u;
    for (int y = 1; y < img->height; y++)
        memcpy(img->pixels + (size_t)y * (size_t)img->stride, img->pixels, row);
}

void sp_draw_rect(sp_image* img, int x, int y, int w, int h, sp_rgb c) {
    sp_image r = sp_image_sub(img, x, y, w, h);
    sp_draw_clear(&r, c);
}

/* The pixel range whose centres lie in [lo, hi], clipped to [0, limit). Returns false when
 * empty. Written with `!(a <= b)` tests so NaN counts as empty. */
static bool centre_range(double lo, double hi, int limit, int* first, int* end) {
    if (!(lo <= hi)) return false;
    double a = ceil(lo - 0.5);
    double b = floor(hi - 0.5) + 1.0;
    if (a < 0.0) a = 0.0;
    if (b > (double)limit) b = (double)limit;
    if (!(a < b)) return false;
    *first = (int)a;
    *end = (int)b;
    return true;
}

void sp_draw_convex(sp_image* img, const double* xs, const double* ys, int n, sp_rgb c) {
    if (n < 3) return;
    double ymin = ys[0], ymax = ys[0];
    for (int i = 1; i < n; i++) {
        ymin = fmin(ymin, ys[i]);
        ymax = fmax(ymax, ys[i]);
    }
    int y0, y1;
    if (!centre_range(ymin, ymax, img->height, &y0, &y1)) return;
    for (int y = y0; y < y1; y++) {
        /* A convex polygon meets a horizontal line in one interval: the extremes of its edges'
         * crossings. Edges are half-open in y so a vertex on the line counts once. */
        double sy = (double)y + 0.5;
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            double ya = ys[i], yb = ys[j];
            if ((ya <= sy && sy < yb) || (yb <= sy && sy < ya)) {
                double x = xs[i] + (sy - ya) * (xs[j] - xs[i]) / (yb - ya);
                lo = fmin(lo, x);
                hi = fmax(hi, x);
            }
        }
        int x0, x1;
        if (centre_range(lo, hi, img->width, &x0, &x1)) span(img, y, x0, x1, c);
    }
}

void sp_draw_disc(sp_image* img, double cx, double cy, double r, sp_rgb c) {
    int y0, y1;
    if (!(r >= 0.0) || !centre_range(cy - r, cy + r, img->height, &y0, &y1)) return;
    for (int y = y0; y < y1; y++) {
        double dy = (double)y + 0.5 - cy;
        double half = r * r - dy * dy;
        if (half < 0.0) continue;
        half = sqrt(half);
        int x0, x1;
        if (centre_range(cx - half, cx + half, img->width, &x0, &x1)) span(img, y, x0, x1, c);
    }
}

void sp_draw_capsule(sp_image* img, double ax, double ay, double bx, double by, double r,
                     sp_rgb c) {
    double dx = bx - ax, dy = by - ay;
    double len2 = dx * dx + dy * dy;
    if (!(len2 > 1e-12)) {
        sp_draw_disc(img, ax, ay, r, c);
        return;
    }
    int y0, y1;
    if (!(r >= 0.0) || !centre_range(fmin(ay, by) - r, fmax(ay, by) + r, img->height, &y0, &y1))
        return;
    int xa, xb;
    if (!centre_range(fmin(ax, bx) - r, fmax(ax, bx) + r, img->width, &xa, &xb)) return;
    double r2 = r * r;
    for (int y = y0; y < y1; y++) {
        double py = (double)y + 0.5;
        /* Distance test per pixel: simple, exact, and cheap at the sizes we draw. */
        int first = -1, end = -1;
        for (int x = xa; x < xb; x++) {
            double px = (double)x + 0.5;
            double t = ((px - ax) * dx + (py - ay) * dy) / len2;
            t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
            double ex = px - (ax + t * dx), ey = py - (ay + t * dy);
            if (ex * ex + ey * ey <= r2) {
                if (first < 0) first = x;
                end = x + 1;
            } else if (first >= 0) {
                break; /* a capsule is convex: its row ends at the first miss after a hit */
            }
        }
        if (first >= 0) span(img, y, first, end, c);
    }
}
