/* `sandpit envs [--json]`: the catalogue with full specs, scene files included. */

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sandpit/json.h"
#include "scenes.h"
#include "sandpit/envs.h"

/* Values by kind (sandpit/env.h: SP_SPEC_SCALARS, SP_CHANNEL_FIELDS). */
#define JSON_STR(out, v) sp_json_string(out, v)
#define JSON_INT(out, v) fprintf(out, "%d", v)
#define JSON_F64(out, v) sp_json_number(out, v)

static void json_channels(FILE* out, const sp_channel* ch, int n) {
    fputc('[', out);
    for (int i = 0; i < n; i++) {
        const char* sep = i ? ", {" : "{";
#define JSON_FIELD(member, kind, wire)                                                             \
    fprintf(out, "%s\"" #member "\": ", sep);                                                      \
    JSON_##kind(out, ch[i].member);                                                                \
    sep = ", ";
        SP_CHANNEL_FIELDS(JSON_FIELD)
#undef JSON_FIELD
        fputc('}', out);
    }
    fputc(']', out);
}

void sp_cli_json_spec(FILE* out, const sp_env_spec* s) {
    const char* sep = "{";
#define JSON_FIELD(member, kind)                                                                   \
    fprintf(out, "%s\"" #member "\": ", sep);                                                      \
    JSON_##kind(out, s->member);                                                                   \
    sep = ", ";
    SP_SPEC_SCALARS(JSON_FIELD)
#undef JSON_FIELD
    fputs(", \"observation\": {\"dtype\": \"float32\", \"channels\": ", out);
    json_channels(out, s->sensors, s->sensor_count);
    fputs("}, \"action\": ", out);
    if (s->action_kind == SP_ACTION_DISCRETE) {
        fprintf(out, "{\"kind\": \"discrete\", \"dtype\": \"int32\", \"n\": %d, \"names\": [",
                s->action_count);
        for (int i = 0; i < s->action_count; i++) {
            if (i) fputs(", ", out);
            sp_json_string(out, s->action_names[i]);
        }
        fputs("]}", out);
    } else {
        fputs("{\"kind\": \"continuous\", \"dtype\": \"float32\", \"channels\": ", out);
        json_channels(out, s->actuators, s->actuator_count);
        fputc('}', out);
    }
    fputc('}', out);
}

static void text_channels(const char* title, const sp_channel* ch, int n) {
    printf("  %s:\n", title);
    for (int i = 0; i < n; i++)
        printf("    %-28s %-7s [%g, %g]  %s\n", ch[i].name, ch[i].unit, ch[i].low, ch[i].high,
               ch[i].doc);
}

void sp_cli_text_spec(const sp_env_spec* s) {
    printf("%s (version %d): %s\n", s->id, s->version, s->summary);
    printf("  dt %g s, %d iterations, frame skip %d, max steps %d\n", s->dt, s->iterations,
           s->frame_skip, s->max_steps);
    text_channels("observation (float32)", s->sensors, s->sensor_count);
    if (s->action_kind == SP_ACTION_DISCRETE) {
        printf("  action (discrete, %d):", s->action_count);
        for (int i = 0; i < s->action_count; i++)
            printf(" %d=%s", i, s->action_names[i]);
        printf("\n");
    } else {
        text_channels("action (continuous float32)", s->actuators, s->actuator_count);
    }
}

int sp_cmd_envs(int argc, char** argv) {
    static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    static const char hint[] = "options: --json";
    int json = 0, ch;
    while ((ch = sp_cli_option("envs", hint, argc, argv, "", options)) != -1) {
        if (ch != 'j') return SP_EXIT_USAGE;
        json = 1;
    }
    if (sp_cli_operands() < argc) {
        sp_cli_error("envs: unknown option '%s' (%s)", argv[sp_cli_operands()], hint);
        return SP_EXIT_USAGE;
    }
    if (sp_cli_load_scenes(NULL, 0) != 0) return 1;
    if (json) fputs("[", stdout);
    for (int i = 0; i < sp_env_count(); i++) {
        const sp_env_spec* s = sp_env_at(i)->spec;
        if (json) {
            fputs(i ? ",\n " : "", stdout);
            sp_cli_json_spec(stdout, s);
        } else {
            if (i) printf("\n");
            sp_cli_text_spec(s);
        }
    }
    if (json) fputs("]\n", stdout);
    return 0;
}
