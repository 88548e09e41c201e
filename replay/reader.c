/* The streaming reader: preamble and header at open, then one record per call.
 *
 * Every check of docs/REPLAY_FORMAT.md "Reading rules" is here, in the documented order, so
 * a problem is named precisely: which record, which step, which byte offset, and whether the
 * file was damaged (corrupt) or merely cut short (truncated). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "header.h"
#include "sandpit/replay.h"

typedef enum expect { EXPECT_RESET, EXPECT_STEP, EXPECT_FOOTER, EXPECT_EOF } expect;

struct sp_replay {
    FILE* file;
    int64_t pos;   /* offset of the next record: the end of the last whole one */
    int64_t index; /* the next record's number */
    sp_replay_header header;
    uint8_t* header_payload; /* kept: header.config points into it */
    size_t action_size;
    size_t max_step_payload;
    uint8_t* buf; /* one payload and its CRC */
    float obs[SP_MAX_SENSORS];
    expect expect;
    int steps;
    double episode_return; /* summed in recording order: must equal the footer's bits */
    bool terminated;
    bool truncated;
    sp_replay_problem problem;
};

static const char* const status_names[] = {
#define SP_REPLAY_STATUS_NAME(sym, num, name) [num] = name,
    SP_REPLAY_STATUS_LIST(SP_REPLAY_STATUS_NAME)
#undef SP_REPLAY_STATUS_NAME
};

const char* sp_replay_status_name(int status) {
    if (status < 0 || status >= (int)(sizeof status_names / sizeof status_names[0]))
        return "unknown";
    return status_names[status];
}

/* Sets the problem of record `index` (kind byte `kind`, 0 when unknown) at `offset`. */
static sp_replay_status problem(sp_replay_problem* p, sp_replay_status status, int64_t index,
                                int kind, int64_t offset, const char* fmt, ...)
    __attribute__((format(printf, 6, 7)));
static sp_replay_status problem(sp_replay_problem* p, sp_replay_status status, int64_t index,
                                int kind, int64_t offset, const char* fmt, ...) {
    char what[112];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    p->status = status;
    p->record = index;
    p->offset = offset;
    p->step = -1;
    char label[64];
    if (index < 0) {
        snprintf(label, sizeof label, "preamble");
    } else if (index == 0) {
        snprintf(label, sizeof label, "record 0 (header)");
    } else if (index == 1 && kind != RP_KIND_FOOTER) {
        p->step = 0;
        snprintf(label, sizeof label, "record 1 (reset)");
    } else if (kind == RP_KIND_FOOTER) {
        snprintf(label, sizeof label, "record %lld (footer)", (long long)index);
    } else {
        p->step = (int)(index - 1);
        snprintf(label, sizeof label, "record %lld (step %lld)", (long long)index,
                 (long long)(index - 1));
    }
    snprintf(p->message, sizeof p->message, "%s at byte %lld: %s", label, (long long)offset, what);
    return status;
}

/* Reads exactly n bytes; false on a short read (end of file or an I/O error). */
static bool read_exact(sp_replay* r, void* out, size_t n, size_t* got) {
    *got = fread(out, 1, n, r->file);
    return *got == n;
}

/* The outcome of a short read: an I/O error is unreadable, the end of the file truncated. */
static sp_replay_status short_read(sp_replay* r, sp_replay_problem* p, int kind, const char* what) {
    if (ferror(r->file))
        return problem(p, SP_REPLAY_UNREADABLE, r->index, kind, r->pos, "read error");
    return problem(p, SP_REPLAY_TRUNCATED, r->index, kind, r->pos, "the file ends inside %s", what);
}

/* Reads the frame head of the record at r->pos. Returns OK, END (the file ends cleanly here:
 * no byte at all), or a problem. */
/* One byte of a frame head, or EOF. getc_unlocked: a reader belongs to one thread, and the
 * frame head is read a byte at a time, so stdio's locking would cost more than the byte. */
static int next_byte(sp_replay* r) {
    return getc_unlocked(r->file);
}

static sp_replay_status read_frame(sp_replay* r, sp_replay_problem* p, uint8_t* head,
                                   size_t* head_n, uint8_t* kind, uint32_t* length) {
    int c = next_byte(r);
    if (c == EOF) {
        if (ferror(r->file))
            return problem(p, SP_REPLAY_UNREADABLE, r->index, 0, r->pos, "read error");
        return SP_REPLAY_END;
    }
    *kind = head[0] = (uint8_t)c;
    if (!rp_kind_valid(*kind))
        return problem(p, SP_REPLAY_CORRUPT, r->index, 0, r->pos, "unknown record kind 0x%02x",
                       *kind);
    uint32_t len = 0;
    size_t n = 1;
    for (;;) {
        if ((c = next_byte(r)) == EOF) return short_read(r, p, *kind, "a frame head");
        uint8_t b = head[n++] = (uint8_t)c;
        len |= (uint32_t)(b & 0x7Fu) << (7 * (n - 2));
        if (!(b & 0x80u)) {
            if (n > 2 && b == 0)
                return problem(p, SP_REPLAY_CORRUPT, r->index, *kind, r->pos,
                               "non-minimal length encoding");
            break;
        }
        if (n - 1 == RP_MAX_LENGTH_BYTES)
            return problem(p, SP_REPLAY_CORRUPT, r->index, *kind, r->pos, "length too long");
    }
    if ((c = next_byte(r)) == EOF) return short_read(r, p, *kind, "a frame head");
    head[n] = (uint8_t)c;
    if (head[n] != rp_crc8(head, n))
        return problem(p, SP_REPLAY_CORRUPT, r->index, *kind, r->pos, "frame check mismatch");
    *head_n = n + 1;
    *length = len;
    return SP_REPLAY_OK;
}

/* Reads payload and CRC into `buf` and checks the CRC (seeded with `crc`). */
static sp_replay_status read_body(sp_replay* r, sp_replay_problem* p, uint8_t kind,
                                  const uint8_t* head, size_t head_n, uint8_t* buf, uint32_t length,
                                  uint32_t crc) {
    size_t got;
    if (!read_exact(r, buf, (size_t)length + RP_CRC_SIZE, &got))
        return short_read(r, p, kind, "a record");
    crc = rp_crc32_update(crc, head, head_n);
    crc = rp_crc32_final(rp_crc32_update(crc, buf, length));
    if (crc != rp_get_u32(buf + length))
        return problem(p, SP_REPLAY_CORRUPT, r->index, kind, r->pos, "checksum mismatch");
    return SP_REPLAY_OK;
}

void sp_replay_close(sp_replay* r) {
    if (!r) return;
    if (r->file) fclose(r->file);
    free(r->header_payload);
    free(r->buf);
    free(r);
}

sp_replay* sp_replay_open(const char* path, sp_replay_problem* out) {
    sp_replay_problem scratch;
    sp_replay_problem* p = out ? out : &scratch;
    memset(p, 0, sizeof *p);
    sp_replay* r = calloc(1, sizeof *r);
    if (!r) {
        problem(p, SP_REPLAY_UNREADABLE, -1, 0, 0, "out of memory");
        return NULL;
    }
    r->file = fopen(path, "rb");
    if (!r->file) {
        problem(p, SP_REPLAY_UNREADABLE, -1, 0, 0, "cannot open the file");
        goto fail;
    }
    setvbuf(r->file, NULL, _IOFBF, 64 * 1024);
    uint8_t pre[RP_PREAMBLE_SIZE];
    size_t got;
    r->index = -1;
    if (!read_exact(r, pre, sizeof pre, &got) || memcmp(pre, RP_MAGIC, 4) != 0) {
        problem(p, SP_REPLAY_UNREADABLE, -1, 0, 0, "not a sandpit replay (no SPRP magic)");
        goto fail;
    }
    r->header.format_major = rp_get_u16(pre + 4);
    r->header.format_minor = rp_get_u16(pre + 6);
    if (r->header.format_major != SP_REPLAY_FORMAT_MAJOR) {
        problem(p, SP_REPLAY_UNREADABLE, -1, 0, 4, "format %d.%d; this build reads %d.x",
                r->header.format_major, r->header.format_minor, SP_REPLAY_FORMAT_MAJOR);
        goto fail;
    }
    r->pos = RP_PREAMBLE_SIZE;
    r->index = 0;

    uint8_t head[RP_FRAME_HEAD_MAX], kind;
    size_t head_n;
    uint32_t len;
    sp_replay_status st = read_frame(r, p, head, &head_n, &kind, &len);
    if (st == SP_REPLAY_END) st = short_read(r, p, RP_KIND_HEADER, "the header");
    if (st == SP_REPLAY_OK && kind != RP_KIND_HEADER)
        st =
            problem(p, SP_REPLAY_CORRUPT, 0, kind, r->pos, "expected the header, found '%c'", kind);
    if (st == SP_REPLAY_OK && len > RP_MAX_HEADER_PAYLOAD)
        st = problem(p, SP_REPLAY_CORRUPT, 0, kind, r->pos, "impossible header length %u", len);
    if (st == SP_REPLAY_OK && !(r->header_payload = malloc((size_t)len + RP_CRC_SIZE)))
        st = problem(p, SP_REPLAY_UNREADABLE, 0, kind, r->pos, "out of memory");
    if (st == SP_REPLAY_OK) {
        uint32_t crc = rp_crc32_update(RP_CRC32_INIT, pre, sizeof pre);
        st = read_body(r, p, kind, head, head_n, r->header_payload, len, crc);
    }
    if (st != SP_REPLAY_OK) {
        /* Nothing can be verified without a whole header: a cut one is unreadable too. */
        if (st == SP_REPLAY_TRUNCATED) p->status = SP_REPLAY_UNREADABLE;
        goto fail;
    }
    int major = r->header.format_major, minor = r->header.format_minor;
    char why[128];
    if (!rp_parse_header(r->header_payload, len, &r->header, why, sizeof why)) {
        problem(p, SP_REPLAY_UNREADABLE, 0, kind, r->pos, "bad header: %s", why);
        goto fail;
    }
    r->header.format_major = major;
    r->header.format_minor = minor;
    r->pos += (int64_t)(head_n + len + RP_CRC_SIZE);
    r->index = 1;

    const sp_replay_header* h = &r->header;
    r->action_size = rp_action_size(h->action_kind == SP_ACTION_DISCRETE, h->actuator_count);
    r->max_step_payload = rp_step_payload_size(true, RP_FLAG_KNOWN, SP_MAX_STEP_EVENTS,
                                               r->action_size, h->sensor_count);
    size_t cap =
        r->max_step_payload > RP_MAX_FOOTER_PAYLOAD ? r->max_step_payload : RP_MAX_FOOTER_PAYLOAD;
    if (!(r->buf = malloc(cap + RP_CRC_SIZE))) {
        problem(p, SP_REPLAY_UNREADABLE, 1, 0, r->pos, "out of memory");
        goto fail;
    }
    r->expect = EXPECT_RESET;
    r->problem.status = SP_REPLAY_OK;
    return r;
fail:
    sp_replay_close(r);
    return NULL;
}

const sp_replay_header* sp_replay_get_header(const sp_replay* r) {
    return &r->header;
}

const sp_replay_problem* sp_replay_get_problem(const sp_replay* r) {
    return &r->problem;
}

int64_t sp_replay_position(const sp_replay* r) {
    return r->pos;
}

/* Decodes a reset or step payload whose CRC already passed. */
static sp_replay_status decode_step(sp_replay* r, uint8_t kind, uint32_t len,
                                    sp_replay_record* rec) {
    const sp_replay_header* h = &r->header;
    const uint8_t* p = r->buf;
    bool step = kind == RP_KIND_STEP;
    sp_replay_problem* pr = &r->problem;
    unsigned flags = *p++;
    if (flags & ~RP_FLAG_KNOWN)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos, "reserved flag bits set");
    if (!step && (flags & (RP_FLAG_TERMINATED | RP_FLAG_TRUNCATED | RP_FLAG_APPLIED)))
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos, "step flags in a reset");
    if ((flags & RP_FLAG_TERMINATED) && (flags & RP_FLAG_TRUNCATED))
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos,
                       "both terminated and truncated");
    if (!(flags & RP_FLAG_OBS) != !h->observations)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos,
                       "observation flag disagrees with the header");
    int events = 0;
    size_t at_events = rp_step_payload_size(step, flags & RP_FLAG_APPLIED, 0, r->action_size, 0);
    if ((flags & RP_FLAG_EVENTS) && at_events < len) events = r->buf[at_events];
    if ((flags & RP_FLAG_EVENTS) && (events < 1 || events > SP_MAX_STEP_EVENTS))
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos, "bad event count %d", events);
    if (rp_step_payload_size(step, flags, events, r->action_size, h->sensor_count) != len)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos,
                       "length %u does not match the record's flags", len);

    rec->hash = rp_get_u64(p);
    p += 8;
    if (step) {
        rec->terminated = flags & RP_FLAG_TERMINATED;
        rec->truncated = flags & RP_FLAG_TRUNCATED;
        rec->reward = rp_get_f64(p);
        p += 8;
        for (int pass = 0; pass < 2; pass++) {
            sp_action* a = pass ? &rec->applied : &rec->action;
            if (pass && !(flags & RP_FLAG_APPLIED)) {
                *a = rec->action;
                break;
            }
            if (h->action_kind == SP_ACTION_DISCRETE) {
                a->index = (int32_t)rp_get_u32(p);
                p += 4;
            } else {
                for (int i = 0; i < h->actuator_count; i++, p += 4)
                    a->value[i] = rp_get_f32(p);
            }
        }
    }
    if (flags & RP_FLAG_EVENTS) {
        rec->event_count = *p++;
        for (int i = 0; i < rec->event_count; i++, p += RP_EVENT_SIZE)
            rp_get_event(p, &rec->events[i]);
    }
    if (flags & RP_FLAG_OBS) {
        for (int i = 0; i < h->sensor_count; i++, p += 4)
            r->obs[i] = rp_get_f32(p);
        rec->obs = r->obs;
    }
    return SP_REPLAY_OK;
}

/* Checks the footer against the records before it. */
static sp_replay_status check_footer(sp_replay* r, const sp_replay_footer* f) {
    sp_replay_problem* pr = &r->problem;
    if (f->steps != r->steps)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, RP_KIND_FOOTER, r->pos,
                       "footer says %d steps, the file has %d", f->steps, r->steps);
    if (f->terminated != r->terminated || f->truncated != r->truncated ||
        memcmp(&f->episode_return, &r->episode_return, sizeof(double)) != 0)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, RP_KIND_FOOTER, r->pos,
                       "footer disagrees with the steps (flags or return)");
    return SP_REPLAY_OK;
}

sp_replay_status sp_replay_next(sp_replay* r, sp_replay_record* rec) {
    sp_replay_problem* pr = &r->problem;
    if (pr->status != SP_REPLAY_OK) return pr->status;
    /* Only the small fields are cleared: events and the footer are written when present, and
     * clearing all ~700 bytes per record would cost more than reading it. */
    rec->step = 0;
    rec->hash = 0;
    rec->reward = 0.0;
    rec->terminated = rec->truncated = false;
    rec->event_count = 0;
    rec->obs = NULL;
    memset(&rec->action, 0, sizeof rec->action);
    memset(&rec->applied, 0, sizeof rec->applied);
    uint8_t head[RP_FRAME_HEAD_MAX], kind;
    size_t head_n;
    uint32_t len;
    sp_replay_status st = read_frame(r, pr, head, &head_n, &kind, &len);
    if (st == SP_REPLAY_END) {
        if (r->expect == EXPECT_EOF) {
            pr->status = SP_REPLAY_END;
            snprintf(pr->message, sizeof pr->message, "end of a complete file");
            return SP_REPLAY_END;
        }
        return problem(pr, SP_REPLAY_TRUNCATED, r->index, RP_KIND_FOOTER, r->pos,
                       "missing: the file ends after record %lld", (long long)(r->index - 1));
    }
    if (st != SP_REPLAY_OK) return st;

    if (r->expect == EXPECT_EOF)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, 0, r->pos, "data after the footer");
    bool fits = r->expect == EXPECT_RESET  ? kind == RP_KIND_RESET
                : r->expect == EXPECT_STEP ? kind == RP_KIND_STEP || kind == RP_KIND_FOOTER
                                           : kind == RP_KIND_FOOTER;
    if (!fits) {
        const char* wanted = r->expect == EXPECT_RESET  ? "the reset"
                             : r->expect == EXPECT_STEP ? "a step or the footer"
                                                        : "the footer (the episode had ended)";
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos,
                       "record '%c' out of order: expected %s", kind, wanted);
    }
    bool step_like = kind == RP_KIND_RESET || kind == RP_KIND_STEP;
    size_t min =
        step_like ? rp_step_payload_size(kind == RP_KIND_STEP, 0, 0, r->action_size, 0) : 1;
    size_t max = step_like ? r->max_step_payload : RP_MAX_FOOTER_PAYLOAD;
    if (len < min || len > max)
        return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos, "impossible length %u", len);
    st = read_body(r, pr, kind, head, head_n, r->buf, len, RP_CRC32_INIT);
    if (st != SP_REPLAY_OK) return st;

    rec->kind = (sp_replay_kind)kind;
    rec->index = r->index;
    rec->offset = r->pos;
    if (step_like) {
        st = decode_step(r, kind, len, rec);
        if (st != SP_REPLAY_OK) return st;
        if (kind == RP_KIND_STEP) {
            rec->step = ++r->steps;
            r->episode_return += rec->reward;
            r->terminated = rec->terminated;
            r->truncated = rec->truncated;
        }
        r->expect = rec->terminated || rec->truncated ? EXPECT_FOOTER : EXPECT_STEP;
    } else {
        char why[128];
        if (!rp_parse_footer(r->buf, len, &rec->footer, why, sizeof why))
            return problem(pr, SP_REPLAY_CORRUPT, r->index, kind, r->pos, "bad footer: %s", why);
        st = check_footer(r, &rec->footer);
        if (st != SP_REPLAY_OK) return st;
        rec->step = -1;
        r->expect = EXPECT_EOF;
    }
    r->pos += (int64_t)(head_n + len + RP_CRC_SIZE);
    r->index++;
    return SP_REPLAY_OK;
}
