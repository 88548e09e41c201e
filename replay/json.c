/* msgpack to JSON, for `sandpit replay info --json` (a header's config). Off the stepping
 * path: text formatting is fine here. */

#include <inttypes.h>
#include <math.h>

#include "mp.h"
#include "sandpit/replay.h"

static void json_string(FILE* out, const uint8_t* s, uint32_t n) {
    fputc('"', out);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Writes one value; `key` asks for a JSON object key (a string whatever the value is). The
 * bytes were validated beforehand, so reads cannot fail here. */
static void write_value(FILE* out, rp_mp_reader* r, bool key) {
    rp_mp_value v;
    rp_mp_read(r, &v);
    if (key && (v.type == RP_MP_ARRAY || v.type == RP_MP_MAP)) {
        /* JSON has no container keys; such a key is kept visible but not reproduced. */
        uint64_t n = v.type == RP_MP_MAP ? 2u * (uint64_t)v.len : v.len;
        for (uint64_t i = 0; i < n; i++)
            rp_mp_skip(r);
        fputs("\"(container key)\"", out);
        return;
    }
    if (key && v.type != RP_MP_STR) fputc('"', out);
    switch (v.type) {
    case RP_MP_NIL:
        fputs("null", out);
        break;
    case RP_MP_BOOL:
        fputs(v.b ? "true" : "false", out);
        break;
    case RP_MP_UINT:
        fprintf(out, "%" PRIu64, v.u);
        break;
    case RP_MP_INT:
        fprintf(out, "%" PRId64, v.i);
        break;
    case RP_MP_FLOAT:
        if (isfinite(v.f))
            fprintf(out, "%.17g", v.f);
        else
            fputs("null", out);
        break;
    case RP_MP_STR:
        json_string(out, v.ptr, v.len);
        break;
    case RP_MP_BIN:
        if (!key) fputc('"', out);
        for (uint32_t i = 0; i < v.len; i++)
            fprintf(out, "%02x", v.ptr[i]);
        if (!key) fputc('"', out);
        break;
    case RP_MP_EXT:
        fputs("null", out);
        break;
    case RP_MP_ARRAY:
        fputc('[', out);
        for (uint32_t i = 0; i < v.len; i++) {
            if (i) fputs(", ", out);
            write_value(out, r, false);
        }
        fputc(']', out);
        break;
    case RP_MP_MAP:
        fputc('{', out);
        for (uint32_t i = 0; i < v.len; i++) {
            if (i) fputs(", ", out);
            write_value(out, r, true);
            fputs(": ", out);
            write_value(out, r, false);
        }
        fputc('}', out);
        break;
    }
    if (key && v.type != RP_MP_STR) fputc('"', out);
}

bool sp_replay_msgpack_to_json(FILE* out, const uint8_t* data, size_t n) {
    rp_mp_reader check = {data, data + n};
    if (!rp_mp_skip(&check) || check.p != check.end) return false;
    rp_mp_reader r = {data, data + n};
    write_value(out, &r, false);
    return true;
}
