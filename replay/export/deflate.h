#ifndef SANDPIT_EXPORT_DEFLATE_H
#define SANDPIT_EXPORT_DEFLATE_H

/* A zlib stream (RFC 1950) holding one fixed-Huffman deflate block (RFC 1951) found by LZ77
 * with hash chains. Rendered frames are flat colours, so matches alone shrink them ~50x;
 * dynamic Huffman tables would gain little for much more code. The output is deterministic:
 * the same input always gives the same bytes. */

#include <stddef.h>
#include <stdint.h>

typedef struct sp_deflate sp_deflate;

/* A compressor for inputs of up to `max_input` bytes. Returns NULL when out of memory. */
sp_deflate* sp_deflate_create(size_t max_input);
void sp_deflate_destroy(sp_deflate* d);

/* The largest stream sp_zlib_compress can produce for `n` input bytes. */
size_t sp_zlib_bound(size_t n);

/* Compresses in[0..n) (n <= max_input) into out, which has room for sp_zlib_bound(n) bytes.
 * Returns the stream's length. Allocates nothing. */
size_t sp_zlib_compress(sp_deflate* d, const uint8_t* in, size_t n, uint8_t* out);

#endif
