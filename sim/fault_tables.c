/* The fault tables expanded: names, defaults and generic field access, so the wire decoder,
 * the replay header writer, the docs test and validation all read the same lists. */

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "fault_internal.h"
#include "sandpit/error.h"

#define NAME_ITEM(sym, num, name) name,

/* Kind numbers index arrays (stats, the name table): they must be dense from 1. */
enum {
#define KIND_ONE(sym, num, name, domain, doc) +1
    KIND_COUNT = 0 SP_FAULT_KIND_LIST(KIND_ONE)
#undef KIND_ONE
};
_Static_assert(KIND_COUNT + 1 == SP_FAULT_KIND_SLOTS, "SP_FAULT_KIND_SLOTS is stale");
#define KIND_DENSE(sym, num, name, domain, doc)                                                    \
    _Static_assert(num >= 1 && num <= KIND_COUNT, "fault kind numbers must be dense from 1");
SP_FAULT_KIND_LIST(KIND_DENSE)
#undef KIND_DENSE

static const char* const kind_names[SP_FAULT_KIND_SLOTS] = {
#define KIND_NAME(sym, num, name, domain, doc) [num] = name,
    SP_FAULT_KIND_LIST(KIND_NAME)
#undef KIND_NAME
};

static const sp_fault_domain kind_domains[SP_FAULT_KIND_SLOTS] = {
#define KIND_DOMAIN(sym, num, name, domain, doc) [num] = domain,
    SP_FAULT_KIND_LIST(KIND_DOMAIN)
#undef KIND_DOMAIN
};

static const char* const schedule_names[] = {SP_FAULT_SCHEDULE_LIST(NAME_ITEM) NULL};

/* One NULL-terminated name array per field, indexed by choice value. */
#define FIELD_CHOICES(field, name, type, choices, applies, required, def, doc)                     \
    static const char* const choices_##field[] = {choices(NAME_ITEM) NULL};
SP_FAULT_PARAM_LIST(FIELD_CHOICES)
#undef FIELD_CHOICES
#define SCHEDULE_CHOICES(field, name, type, choices, applies, required, def, doc)                  \
    static const char* const schedule_choices_##field[] = {choices(NAME_ITEM) NULL};
SP_FAULT_SCHEDULE_FIELD_LIST(SCHEDULE_CHOICES)
#undef SCHEDULE_CHOICES

// clang-format off
static const sp_fault_field params[] = {
#define PARAM_ROW(field, name, type, choices, applies, required, def, doc)                        \
    {name,     SP_FAULT_##type, offsetof(sp_fault_def, field), applies, required, def,            \
     choices_##field, doc},
    SP_FAULT_PARAM_LIST(PARAM_ROW)
#undef PARAM_ROW
};

static const sp_fault_field schedule_fields[] = {
#define SCHEDULE_ROW(field, name, type, choices, applies, required, def, doc)                     \
    {name,     SP_FAULT_##type, offsetof(sp_fault_schedule, field), applies, required, def,       \
     schedule_choices_##field, doc},
    SP_FAULT_SCHEDULE_FIELD_LIST(SCHEDULE_ROW)
#undef SCHEDULE_ROW
};
// clang-format on

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

const sp_fault_field* sp_fault_params(int* count) {
    if (count) *count = COUNT_OF(params);
    return params;
}

const sp_fault_field* sp_fault_schedule_fields(int* count) {
    if (count) *count = COUNT_OF(schedule_fields);
    return schedule_fields;
}

static const sp_fault_field* find(const sp_fault_field* table, int n, const char* name) {
    if (!name) return NULL;
    for (int i = 0; i < n; i++)
        if (!strcmp(table[i].name, name)) return &table[i];
    return NULL;
}

const sp_fault_field* sp_fault_param_find(const char* name) {
    return find(params, COUNT_OF(params), name);
}

const sp_fault_field* sp_fault_schedule_field_find(const char* name) {
    return find(schedule_fields, COUNT_OF(schedule_fields), name);
}

static int choice_count(const sp_fault_field* f) {
    int n = 0;
    while (f->choices && f->choices[n])
        n++;
    return n;
}

int sp_fault_choice_value(const sp_fault_field* field, const char* name) {
    if (!field || field->type != SP_FAULT_CHOICE || !name) return -1;
    for (int i = 0; field->choices[i]; i++)
        if (!strcmp(field->choices[i], name)) return i;
    return -1;
}

int sp_fault_field_set(const sp_fault_field* field, void* base, double value) {
    char* p = (char*)base + field->offset;
    if (field->type == SP_FAULT_REAL) {
        memcpy(p, &value, sizeof value);
        return SP_OK;
    }
    /* INT_MIN itself is the "not given" marker, so it is never a value. */
    if (!(value > (double)INT_MIN && value <= (double)INT_MAX) || value != floor(value))
        return SP_E_BAD_ARGUMENT;
    int v = (int)value;
    if (field->type == SP_FAULT_CHOICE && (v < 0 || v >= choice_count(field)))
        return SP_E_BAD_ARGUMENT;
    memcpy(p, &v, sizeof v);
    return SP_OK;
}

double sp_fault_field_get(const sp_fault_field* field, const void* base) {
    const char* p = (const char*)base + field->offset;
    if (field->type == SP_FAULT_REAL) {
        double d;
        memcpy(&d, p, sizeof d);
        return d;
    }
    int v;
    memcpy(&v, p, sizeof v);
    return (double)v;
}

bool sp_fault_real_unset(double v) {
    return isnan(v);
}

/* Writes a field's default, or its "not given" marker when `unset`. */
static void put_default(const sp_fault_field* f, void* base, bool unset) {
    char* p = (char*)base + f->offset;
    if (f->type == SP_FAULT_REAL) {
        double d = unset ? NAN : f->default_value;
        memcpy(p, &d, sizeof d);
    } else {
        int v = unset ? SP_FAULT_UNSET_INT : (int)f->default_value;
        memcpy(p, &v, sizeof v);
    }
}

sp_fault_schedule sp_default_fault_schedule(void) {
    sp_fault_schedule s;
    memset(&s, 0, sizeof s);
    s.type = SP_SCHEDULE_ALWAYS;
    /* A field any type requires starts "not given", so the type that needs it can say so. */
    for (int i = 0; i < COUNT_OF(schedule_fields); i++)
        put_default(&schedule_fields[i], &s, schedule_fields[i].required != 0);
    return s;
}

sp_fault_def sp_default_fault_def(sp_fault_kind kind) {
    sp_fault_def d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.target = NULL;
    d.schedule = sp_default_fault_schedule();
    unsigned bit = (kind > 0 && kind < SP_FAULT_KIND_SLOTS) ? SP_FAULT_BIT(kind) : 0u;
    for (int i = 0; i < COUNT_OF(params); i++)
        put_default(&params[i], &d, (params[i].required & bit) != 0);
    return d;
}

int sp_fault_kind_from_name(const char* name) {
    if (!name) return 0;
    for (int k = 1; k < SP_FAULT_KIND_SLOTS; k++)
        if (!strcmp(kind_names[k], name)) return k;
    return 0;
}

const char* sp_fault_kind_name(int kind) {
    return (kind > 0 && kind < SP_FAULT_KIND_SLOTS) ? kind_names[kind] : NULL;
}

sp_fault_domain sp_fault_kind_domain(sp_fault_kind kind) {
    return (kind > 0 && kind < SP_FAULT_KIND_SLOTS) ? kind_domains[kind] : SP_FAULT_SENSOR;
}

int sp_fault_schedule_type_from_name(const char* name) {
    if (!name) return -1;
    for (int i = 0; schedule_names[i]; i++)
        if (!strcmp(schedule_names[i], name)) return i;
    return -1;
}

const char* sp_fault_schedule_type_name(int type) {
    return (type >= 0 && type < COUNT_OF(schedule_names) - 1) ? schedule_names[type] : NULL;
}
