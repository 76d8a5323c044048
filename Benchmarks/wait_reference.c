/* Reference server for the concurrent-fences benchmark: the machine's limit for answering waits.
 * One thread, one epoll: it accepts control connections, reads each one's `wait` request line,
 * notes which IPv4 address it waits for, and answers `health` with the number of waits; on a
 * valid datagram (reference_receive.h: the daemon's check, recvmmsg 64 at a time) from
 * an address somebody waits for, it writes a one-line `confirmed` answer to that connection.
 * No table, no state file, no logging, no timeouts: the least a daemon must do for each fence,
 * so that `concurrent_waits` against it shows what the machine itself allows.
 *
 *   wait_reference SOCKET UDP_PORT      runs until killed
 */
#include "reference_receive.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 65536
/* Waiters by the low 16 bits of their IPv4 address: concurrent_waits uses 127.3.x.y. */
#define SLOTS 65536

static char line[MAX_FDS][256];
static int line_length[MAX_FDS];
static int waiter_by_address[SLOTS];
static int waits;

static void request(int fd, const char *text) {
    if (strstr(text, "\"op\":\"health\"")) {
        char answer[128];
        int n = snprintf(answer, sizeof answer, "{\"v\":1,\"ok\":true,\"waits_in_flight\":%d}\n", waits);
        write(fd, answer, n);
        return;
    }
    const char *target = strstr(text, "\"targets\":[\"");
    struct in_addr address;
    char name[64] = {0};
    if (!target || sscanf(target + strlen("\"targets\":[\""), "%63[0-9.]", name) != 1 ||
        inet_pton(AF_INET, name, &address) != 1) {
        write(fd, "{\"v\":1,\"ok\":false}\n", 19);
        return;
    }
    waiter_by_address[ntohl(address.s_addr) & 0xFFFF] = fd;
    waits++;
}

static void readable(int fd) {
    int n = read(fd, line[fd] + line_length[fd], sizeof line[fd] - 1 - line_length[fd]);
    if (n <= 0) {
        close(fd);
        line_length[fd] = 0;
        return;
    }
    line_length[fd] += n;
    line[fd][line_length[fd]] = 0;
    char *end = strchr(line[fd], '\n');
    if (!end) return;
    *end = 0;
    request(fd, line[fd]);
    line_length[fd] = 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SOCKET UDP_PORT\n", argv[0]);
        return 2;
    }
    int udp = bind_udp(atoi(argv[2]), SOCK_NONBLOCK);
    if (udp < 0) return 1;
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un path = {.sun_family = AF_UNIX};
    strncpy(path.sun_path, argv[1], sizeof path.sun_path - 1);
    unlink(argv[1]);
    if (bind(listener, (struct sockaddr *)&path, sizeof path) != 0 || listen(listener, 4096) != 0) {
        perror("listen");
        return 1;
    }
    int epoll = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = udp};
    epoll_ctl(epoll, EPOLL_CTL_ADD, udp, &event);
    event.data.fd = listener;
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);

    static struct batch batch;
    batch_init(&batch);
    static const char confirmed[] =
        "{\"v\":1,\"op\":\"wait\",\"ok\":true,\"result\":\"confirmed\",\"host\":{\"address\":\"127.3.0.1\"}}\n";
    struct epoll_event ready[64];
    for (;;) {
        int count = epoll_wait(epoll, ready, 64, -1);
        for (int e = 0; e < count; e++) {
            int fd = ready[e].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAX_FDS) { close(client); continue; }
                    struct epoll_event in = {.events = EPOLLIN, .data.fd = client};
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &in);
                }
            } else if (fd == udp) {
                int received;
                do {
                    received = batch_receive(udp, &batch);
                    for (int i = 0; i < received; i++) {
                        if (!valid(batch.data[i], (int)batch.messages[i].msg_len)) continue;
                        const uint8_t *a = batch.from[i].sin6_addr.s6_addr;
                        /* IPv4-mapped ::ffff:a.b.c.d: the low 16 bits are bytes 14 and 15. */
                        int slot = a[14] << 8 | a[15], waiter = waiter_by_address[slot];
                        if (waiter > 0) {
                            write(waiter, confirmed, sizeof confirmed - 1);
                            waiter_by_address[slot] = 0;
                            waits--;
                        }
                    }
                } while (received == BATCH);
            } else {
                readable(fd);
            }
        }
    }
}
