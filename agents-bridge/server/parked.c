/* Held recv requests (parked.h). */

#include "parked.h"

#include <stdlib.h>
#include <string.h>

/* ROUTER's identity, up to 6 routing frames and the delimiter (server.c's envelope limit). */
#define ENVELOPE_MAX 8

typedef struct held {
    uint64_t session;
    bool has_id;
    uint64_t id;
    int count;
    zmq_msg_t envelope[ENVELOPE_MAX]; /* never copied by value: held by pointer */
} held;

struct sp_parked {
    held** items;
    int count, cap;
};

sp_parked* sp_parked_create(void) {
    return calloc(1, sizeof(sp_parked));
}

static void drop(held* h) {
    for (int i = 0; i < h->count; i++)
        zmq_msg_close(&h->envelope[i]);
    free(h);
}

void sp_parked_destroy(sp_parked* p) {
    if (!p) return;
    for (int i = 0; i < p->count; i++)
        drop(p->items[i]);
    free(p->items);
    free(p);
}

int sp_parked_count(const sp_parked* p) {
    return p->count;
}

bool sp_parked_add(sp_parked* p, const sp_service* svc, zmq_msg_t* envelope, int count) {
    if (count > ENVELOPE_MAX) return false;
    if (p->count == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        held** items = realloc(p->items, (size_t)cap * sizeof *items);
        if (!items) return false;
        p->items = items;
        p->cap = cap;
    }
    held* h = calloc(1, sizeof *h);
    if (!h) return false;
    h->session = svc->wait_session;
    h->has_id = svc->wait_has_id;
    h->id = svc->wait_id;
    for (; h->count < count; h->count++) {
        zmq_msg_init(&h->envelope[h->count]);
        zmq_msg_copy(&h->envelope[h->count], &envelope[h->count]);
    }
    p->items[p->count++] = h;
    return true;
}

static void send_answer(held* h, void* router, const void* reply, size_t len) {
    for (int i = 0; i < h->count; i++)
        if (zmq_msg_send(&h->envelope[i], router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return;
    zmq_send(router, reply, len, ZMQ_DONTWAIT); /* a reply that cannot go now is dropped */
}

void sp_parked_answer(sp_parked* p, sp_service* svc, void* router) {
    int kept = 0;
    for (int i = 0; i < p->count; i++) {
        held* h = p->items[i];
        const void* reply;
        size_t len;
        if (!sp_service_answer_recv(svc, h->session, h->has_id, h->id, &reply, &len)) {
            p->items[kept++] = h;
            continue;
        }
        send_answer(h, router, reply, len);
        drop(h);
    }
    p->count = kept;
}
