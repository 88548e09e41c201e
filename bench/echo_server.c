/* sandpit-echo: the smallest ROUTER server, the baseline of the latency benchmark. It sends
 * every message back unchanged (envelope and payload), so a client's round trip against it
 * measures ZeroMQ and the client alone; the same client against `sandpit serve` adds exactly
 * the server's decoding, stepping and encoding.
 *
 *   sandpit-echo [--bind EP]     prints `listening <endpoint>` and `ready`, then echoes
 *                                until SIGINT or SIGTERM. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

int main(int argc, char** argv) {
    const char* bind = "tcp://127.0.0.1:5556";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bind") && i + 1 < argc) {
            bind = argv[++i];
        } else {
            fprintf(stderr, "usage: sandpit-echo [--bind EP]\n");
            return 2;
        }
    }
    void* ctx = zmq_ctx_new();
    void* sock = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(sock, bind) != 0) {
        fprintf(stderr, "sandpit-echo: cannot bind %s: %s\n", bind, zmq_strerror(zmq_errno()));
        return 1;
    }
    char actual[1024];
    size_t actual_sz = sizeof actual;
    zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, actual, &actual_sz);
    printf("listening %s\nready\n", actual);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Each frame goes straight back out as it arrives, keeping its "more" flag: a multipart
     * message is echoed whole and in order. zmq_msg_recv blocks; a signal interrupts it. */
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    while (!stop) {
        if (zmq_msg_recv(&frame, sock, 0) < 0) {
            if (zmq_errno() == EINTR) continue;
            break;
        }
        int more = zmq_msg_more(&frame);
        zmq_msg_send(&frame, sock, more ? ZMQ_SNDMORE : 0);
    }
    zmq_msg_close(&frame);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}
