/* sandpit._codec: the client's hot path in C, for one lockstep step (docs/PROTOCOL.md).
 *
 * pack_step writes a step request's msgpack bytes, byte for byte what msgpack.packb writes
 * for the same map in the same key order; unpack_step reads a plain step reply (ok, id, obs,
 * reward, terminated, truncated and, when a guardrail constraint is on, cost, of one env)
 * into a tuple, and returns None for anything else
 * (an error, a reply with more keys, several envs, a malformed one), which the caller then
 * reads with the general Python path. sandpit/codec.py holds the pure-Python versions of
 * both, used when this module is not built; tests/python/test_codec_paths.py checks that the
 * two give identical results. Nothing here needs numpy: the observation comes back as a
 * bytearray, which numpy wraps writable without a copy. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- writing (msgpack's smallest encodings, as msgpack-python's packer chooses) ---- */

typedef struct out {
    uint8_t* p;
    size_t n, cap;
} out;

static int put(out* o, const void* src, size_t len) {
    if (o->n + len > o->cap) return -1;
    memcpy(o->p + o->n, src, len);
    o->n += len;
    return 0;
}

static int put_be(out* o, uint8_t tag, uint64_t v, int bytes) {
    uint8_t b[9];
    b[0] = tag;
    for (int i = 0; i < bytes; i++)
        b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    return put(o, b, (size_t)bytes + 1);
}

static int put_uint(out* o, uint64_t v) {
    if (v < 128) return put_be(o, (uint8_t)v, 0, 0);
    if (v <= 0xff) return put_be(o, 0xcc, v, 1);
    if (v <= 0xffff) return put_be(o, 0xcd, v, 2);
    if (v <= 0xffffffffu) return put_be(o, 0xce, v, 4);
    return put_be(o, 0xcf, v, 8);
}

static int put_str(out* o, const char* s, size_t len) {
    int rc;
    if (len < 32)
        rc = put_be(o, (uint8_t)(0xa0 | len), 0, 0);
    else if (len <= 0xff)
        rc = put_be(o, 0xd9, len, 1);
    else if (len <= 0xffff)
        rc = put_be(o, 0xda, len, 2);
    else
        rc = put_be(o, 0xdb, len, 4);
    return rc ? rc : put(o, s, len);
}

static int put_cstr(out* o, const char* s) {
    return put_str(o, s, strlen(s));
}

static int put_bin(out* o, const void* data, size_t len) {
    int rc;
    if (len <= 0xff)
        rc = put_be(o, 0xc4, len, 1);
    else if (len <= 0xffff)
        rc = put_be(o, 0xc5, len, 2);
    else
        rc = put_be(o, 0xc6, len, 4);
    return rc ? rc : put(o, data, len);
}

/* pack_step(session, seq, rid, data, dtype, shape) -> bytes of
 * {"op": "step", "session": session, "seq": seq, "actions": {"dtype": dtype, "shape": shape,
 *  "data": data}, "id": rid}. */
static PyObject* pack_step(PyObject* self, PyObject* args) {
    (void)self;
    unsigned long long session, seq, rid;
    Py_buffer data;
    const char* dtype;
    Py_ssize_t dtype_len;
    PyObject* shape;
    if (!PyArg_ParseTuple(args, "KKKy*s#O", &session, &seq, &rid, &data, &dtype, &dtype_len,
                          &shape))
        return NULL;
    PyObject* result = NULL;
    PyObject* dims = PySequence_Fast(shape, "shape must be a sequence");
    if (!dims) goto done;
    Py_ssize_t ndim = PySequence_Fast_GET_SIZE(dims);
    if (ndim > 15) {
        PyErr_SetString(PyExc_ValueError, "shape has too many dimensions");
        goto done;
    }
    size_t cap = 128 + (size_t)dtype_len + (size_t)ndim * 9 + (size_t)data.len;
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
    if (!result) goto done;
    out o = {(uint8_t*)PyBytes_AS_STRING(result), 0, cap};
    int rc = put_be(&o, 0x85, 0, 0) || put_cstr(&o, "op") || put_cstr(&o, "step") ||
             put_cstr(&o, "session") || put_uint(&o, session) || put_cstr(&o, "seq") ||
             put_uint(&o, seq) || put_cstr(&o, "actions") || put_be(&o, 0x83, 0, 0) ||
             put_cstr(&o, "dtype") || put_str(&o, dtype, (size_t)dtype_len) ||
             put_cstr(&o, "shape") || put_be(&o, (uint8_t)(0x90 | ndim), 0, 0);
    for (Py_ssize_t d = 0; !rc && d < ndim; d++) {
        unsigned long long v = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(dims, d));
        if (v == (unsigned long long)-1 && PyErr_Occurred()) {
            Py_CLEAR(result);
            goto done;
        }
        rc = put_uint(&o, v);
    }
    rc = rc || put_cstr(&o, "data") || put_bin(&o, data.buf, (size_t)data.len) ||
         put_cstr(&o, "id") || put_uint(&o, rid);
    if (rc) {
        PyErr_SetString(PyExc_ValueError, "step request larger than its buffer");
        Py_CLEAR(result);
        goto done;
    }
    _PyBytes_Resize(&result, (Py_ssize_t)o.n);
done:
    Py_XDECREF(dims);
    PyBuffer_Release(&data);
    return result;
}

/* ---- reading: only what a plain step reply holds; anything else is "not plain" ---- */

typedef struct in {
    const uint8_t* p;
    const uint8_t* end;
} in;

static int get_be(in* r, int bytes, uint64_t* v) {
    if (r->end - r->p < bytes) return -1;
    *v = 0;
    for (int i = 0; i < bytes; i++)
        *v = (*v << 8) | r->p[i];
    r->p += bytes;
    return 0;
}

static int get_tag(in* r, uint8_t* tag) {
    if (r->p >= r->end) return -1;
    *tag = *r->p++;
    return 0;
}

static int get_uint(in* r, uint64_t* v) {
    uint8_t t;
    if (get_tag(r, &t)) return -1;
    if (t < 0x80) {
        *v = t;
        return 0;
    }
    switch (t) {
    case 0xcc:
        return get_be(r, 1, v);
    case 0xcd:
        return get_be(r, 2, v);
    case 0xce:
        return get_be(r, 4, v);
    case 0xcf:
        return get_be(r, 8, v);
    default:
        return -1;
    }
}

/* The length that follows a str8/16/32 or bin8/16/32 tag (`base` is the 8-bit one's). */
static int get_len(in* r, uint8_t t, uint8_t base, uint64_t* n) {
    if (t < base || t > base + 2) return -1;
    return get_be(r, 1 << (t - base), n);
}

static int get_str(in* r, const uint8_t** s, size_t* len) {
    uint8_t t;
    uint64_t n;
    if (get_tag(r, &t)) return -1;
    if ((t & 0xe0) == 0xa0)
        n = t & 0x1f;
    else if (get_len(r, t, 0xd9, &n))
        return -1;
    if ((uint64_t)(r->end - r->p) < n) return -1;
    *s = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

static int get_bin(in* r, const uint8_t** s, size_t* len) {
    uint8_t t;
    uint64_t n;
    if (get_tag(r, &t) || get_len(r, t, 0xc4, &n)) return -1;
    if ((uint64_t)(r->end - r->p) < n) return -1;
    *s = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

static int get_map(in* r, uint64_t* n) {
    uint8_t t;
    if (get_tag(r, &t)) return -1;
    if ((t & 0xf0) == 0x80) {
        *n = t & 0x0f;
        return 0;
    }
    return t == 0xde ? get_be(r, 2, n) : t == 0xdf ? get_be(r, 4, n) : -1;
}

static int get_array(in* r, uint64_t* n) {
    uint8_t t;
    if (get_tag(r, &t)) return -1;
    if ((t & 0xf0) == 0x90) {
        *n = t & 0x0f;
        return 0;
    }
    return t == 0xdc ? get_be(r, 2, n) : t == 0xdd ? get_be(r, 4, n) : -1;
}

static int str_is(const uint8_t* s, size_t len, const char* want) {
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* An array map {"dtype": dtype, "shape": shape, "data": bin} (keys in any order, each once)
 * of exactly the given dtype and shape; its data. */
static int get_wire_array(in* r, const char* dtype, int ndim, const uint64_t* shape,
                          size_t itemsize, const uint8_t** data) {
    uint64_t keys;
    if (get_map(r, &keys) || keys != 3) return -1;
    int seen = 0;
    size_t data_len = 0;
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= shape[d];
    for (int k = 0; k < 3; k++) {
        const uint8_t* key;
        size_t key_len;
        if (get_str(r, &key, &key_len)) return -1;
        if (str_is(key, key_len, "dtype") && !(seen & 1)) {
            const uint8_t* v;
            size_t v_len;
            if (get_str(r, &v, &v_len) || !str_is(v, v_len, dtype)) return -1;
            seen |= 1;
        } else if (str_is(key, key_len, "shape") && !(seen & 2)) {
            uint64_t n, d;
            if (get_array(r, &n) || n != (uint64_t)ndim) return -1;
            for (int i = 0; i < ndim; i++)
                if (get_uint(r, &d) || d != shape[i]) return -1;
            seen |= 2;
        } else if (str_is(key, key_len, "data") && !(seen & 4)) {
            if (get_bin(r, data, &data_len)) return -1;
            seen |= 4;
        } else {
            return -1;
        }
    }
    return data_len == count * itemsize ? 0 : -1;
}

/* unpack_step(payload, n) -> (id, obs bytearray [n float32], reward, terminated, truncated,
 * cost or None) for a plain successful step reply of one env with n observations; None
 * otherwise. */
static PyObject* unpack_step(PyObject* self, PyObject* args) {
    (void)self;
    Py_buffer payload;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*n", &payload, &n)) return NULL;
    in r = {payload.buf, (const uint8_t*)payload.buf + payload.len};
    const uint8_t *obs = NULL, *reward = NULL, *terminated = NULL, *truncated = NULL;
    const uint8_t* cost = NULL;
    uint64_t rid = 0, keys;
    int ok = 0, has_id = 0;
    int plain = n >= 0 && !get_map(&r, &keys) && (keys == 6 || keys == 7);
    const uint64_t obs_shape[2] = {1, (uint64_t)n}, one[1] = {1};
    for (uint64_t k = 0; plain && k < keys; k++) {
        const uint8_t* key;
        size_t len;
        uint8_t t;
        if (get_str(&r, &key, &len)) {
            plain = 0;
        } else if (str_is(key, len, "ok") && !ok) {
            plain = !get_tag(&r, &t) && t == 0xc3;
            ok = 1;
        } else if (str_is(key, len, "id") && !has_id) {
            plain = !get_uint(&r, &rid);
            has_id = 1;
        } else if (str_is(key, len, "obs") && !obs) {
            plain = !get_wire_array(&r, "float32", 2, obs_shape, 4, &obs);
        } else if (str_is(key, len, "reward") && !reward) {
            plain = !get_wire_array(&r, "float64", 1, one, 8, &reward);
        } else if (str_is(key, len, "terminated") && !terminated) {
            plain = !get_wire_array(&r, "uint8", 1, one, 1, &terminated);
        } else if (str_is(key, len, "truncated") && !truncated) {
            plain = !get_wire_array(&r, "uint8", 1, one, 1, &truncated);
        } else if (str_is(key, len, "cost") && !cost) {
            plain = !get_wire_array(&r, "float64", 1, one, 8, &cost);
        } else {
            plain = 0;
        }
    }
    /* Flags other than 0 and 1, or bytes after the map, are for the checking path. */
    plain = plain && r.p == r.end && ok && has_id && obs && reward && terminated && truncated &&
            *terminated <= 1 && *truncated <= 1;
    PyObject* result = NULL;
    if (!plain) {
        result = Py_None;
        Py_INCREF(result);
    } else {
        double rew, c = 0.0;
        memcpy(&rew, reward, 8); /* little-endian on the wire and on every host we build for */
        if (cost) memcpy(&c, cost, 8);
        PyObject* o = PyByteArray_FromStringAndSize((const char*)obs, n * 4);
        PyObject* co = cost ? PyFloat_FromDouble(c) : (Py_INCREF(Py_None), Py_None);
        if (o && co)
            result = Py_BuildValue("(KOdOOO)", (unsigned long long)rid, o, rew,
                                   *terminated ? Py_True : Py_False,
                                   *truncated ? Py_True : Py_False, co);
        Py_XDECREF(o);
        Py_XDECREF(co);
    }
    PyBuffer_Release(&payload);
    return result;
}

static PyMethodDef methods[] = {
    {"pack_step", pack_step, METH_VARARGS, "A step request's msgpack bytes."},
    {"unpack_step", unpack_step, METH_VARARGS,
     "A plain one-env step reply as (id, obs, reward, terminated, truncated), else None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "sandpit._codec",
    "The client's hot path in C (sandpit/codec.py).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__codec(void) {
    return PyModule_Create(&module);
}
