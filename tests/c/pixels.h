#ifndef SANDPIT_TESTS_PIXELS_H
#define SANDPIT_TESTS_PIXELS_H

/* Colour checks shared by the drawing tests: exact equality, as sp_draw promises. */

#include "sandpit/draw.h"

static inline int same(sp_rgb a, sp_rgb b) {
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* Pixels of `img` holding exactly `c`. */
static inline int count_color(const sp_image* img, sp_rgb c) {
    int n = 0;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            n += same(sp_image_get(img, x, y), c);
    return n;
}

#endif
