/* `sandpit keygen [--out PREFIX]`: a CURVE key pair for `sandpit serve --curve-secret` and for
 * clients (docs/SECURITY.md). PREFIX.key holds the secret key (mode 0600), PREFIX.pub the
 * public one; neither is ever overwritten. */

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "args.h"
#include "commands.h"
#include "keyfile.h"

static const char usage_text[] =
    "usage: sandpit keygen [--out PREFIX]\n"
    "\n"
    "Writes a CurveZMQ key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (public),\n"
    "each one line of Z85 text. Default PREFIX: sandpit. Existing files are never overwritten.\n"
    "A server uses its .key with --curve-secret; a client's .pub goes into the server's\n"
    "--authorized-keys directory.\n";

int sp_cmd_keygen(int argc, char** argv) {
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    static const char hint[] = "see sandpit keygen --help";
    const char* prefix = "sandpit";
    int ch;
    while ((ch = sp_cli_option("keygen", hint, argc, argv, "h", options)) != -1) {
        if (ch == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (ch != 'o') return SP_EXIT_USAGE;
        prefix = optarg;
        if (!prefix[0]) {
            sp_cli_error("--out needs a non-empty prefix");
            return SP_EXIT_USAGE;
        }
    }
    if (sp_cli_operands() < argc) {
        sp_cli_error("keygen: unknown option '%s' (%s)", argv[sp_cli_operands()], hint);
        return SP_EXIT_USAGE;
    }
    if (!zmq_has("curve")) {
        sp_cli_error("keygen: this libzmq was built without CURVE support");
        return 1;
    }
    char public_key[SP_KEY_Z85_LEN + 1], secret_key[SP_KEY_Z85_LEN + 1];
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
        sp_cli_error("keygen: cannot make a key pair: %s", zmq_strerror(zmq_errno()));
        return 1;
    }
    char key_path[4096], pub_path[4096], err[512];
    if ((size_t)snprintf(key_path, sizeof key_path, "%s.key", prefix) >= sizeof key_path ||
        (size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", prefix) >= sizeof pub_path) {
        sp_cli_error("keygen: the prefix is too long");
        return SP_EXIT_USAGE;
    }
    /* The public file first: if it cannot be written, no orphan secret is left behind. */
    if (!sp_keyfile_write(pub_path, "sandpit CURVE public key", public_key, 0644, err,
                          sizeof err)) {
        sp_cli_error("keygen: %s", err);
        return 1;
    }
    if (!sp_keyfile_write(key_path, "sandpit CURVE secret key: keep it private", secret_key, 0600,
                          err, sizeof err)) {
        unlink(pub_path);
        sp_cli_error("keygen: %s", err);
        return 1;
    }
    memset(secret_key, 0, sizeof secret_key);
    printf("wrote %s (secret) and %s (public %s)\n", key_path, pub_path, public_key);
    return 0;
}
