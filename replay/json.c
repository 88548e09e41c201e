/* The one JSON writer (sandpit/json.h), and msgpack to JSON for `sandpit replay info --json`
 * (a header's config). Off the stepping path: text formatting is fine here. */

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "sandpit/mpread.h"
#include "sandpit/json.h"
#include "sandpit/replay.h"

/* The length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if it is ill-formed. */
static size_t utf8_length(const uint8_t* s, size_t n) {
    uint8_t c = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

void sp_json_string_n(FILE* out, const void* str, size_t n) {
    const uint8_t* s = str;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len = utf8_length(s + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", out);
            i++;
            continue;
        }
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fwrite(s + i, 1, len, out);
        i += len;
    }
    fputc('"', out);
}

void sp_json_string(FILE* out, const char* s) {
    if (s)
        sp_json_string_n(out, s, strlen(s));
    else
        fputs("null", out);
}

void sp_json_number(FILE* out, double v) {
    if (isfinite(v))
        fprintf(out, "%.17g", v);
    else
        fputs("null", out);
}

/* Writes one value; `key` asks for a JSON object key (a string whatever the value is). The
 * bytes were validated beforehand, so reads cannot fail here. */
static void write_value(FILE* out, sp_mp_reader* r, bool key) {
    sp_mp_value v;
    sp_mp_read(r, &v);
    if (key && (v.type == SP_MP_ARRAY || v.type == SP_MP_MAP)) {
        /* JSON has no container keys; such a key is kept visible but not reproduced. */
        uint64_t n = v.type == SP_MP_MAP ? 2u * (uint64_t)v.len : v.len;
        for (uint64_t i = 0; i < n; i++)
            sp_mp_skip(r);
        fputs("\"(container key)\"", out);
        return;
    }
    if (key && v.type != SP_MP_STR) fputc('"', out);
    switch (v.type) {
    case SP_MP_NIL:
        fputs("null", out);
        break;
    case SP_MP_BOOL:
        fputs(v.b ? "true" : "false", out);
        break;
    case SP_MP_INT:
        if (v.negative)
            fprintf(out, "%" PRId64, v.i);
        else
            fprintf(out, "%" PRIu64, v.u);
        break;
    case SP_MP_FLOAT:
        sp_json_number(out, v.f);
        break;
    case SP_MP_STR:
        sp_json_string_n(out, v.ptr, v.len);
        break;
    case SP_MP_BIN:
        if (!key) fputc('"', out);
        for (uint32_t i = 0; i < v.len; i++)
            fprintf(out, "%02x", v.ptr[i]);
        if (!key) fputc('"', out);
        break;
    case SP_MP_EXT:
        fputs("null", out);
        break;
    case SP_MP_ARRAY:
        fputc('[', out);
        for (uint32_t i = 0; i < v.len; i++) {
            if (i) fputs(", ", out);
            write_value(out, r, false);
        }
        fputc(']', out);
        break;
    case SP_MP_MAP:
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
    if (key && v.type != SP_MP_STR) fputc('"', out);
}

bool sp_replay_msgpack_to_json(FILE* out, const uint8_t* data, size_t n) {
    sp_mp_reader check = sp_mp_reader_make(data, n);
    if (sp_mp_skip(&check) != SP_MP_OK || check.p != check.end) return false;
    sp_mp_reader r = sp_mp_reader_make(data, n);
    write_value(out, &r, false);
    return true;
}
