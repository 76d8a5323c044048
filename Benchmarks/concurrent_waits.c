/* Concurrent fences against kdump-watchd: COUNT control connections each wait (max_age 0) for
 * their own host 127.3.x.y; then one valid datagram per host from its own address. Measures,
 * per host, the time from sending its datagram to reading its answer. A compiled client, so
 * that the client is not what is measured.
 *
 *   concurrent_waits SOCKET UDP_PORT COUNT      prints "p50_ms p99_ms"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int connect_unix(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    for (int attempt = 0; attempt < 100; attempt++) {
        if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) return fd;
        usleep(10000);
    }
    perror("connect");
    exit(1);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int waits_in_flight(const char *path) {
    int fd = connect_unix(path);
    const char *request = "{\"v\":1,\"op\":\"health\"}\n";
    write(fd, request, strlen(request));
    char buffer[4096];
    int n = 0, r;
    while (n < (int)sizeof buffer - 1 && (r = read(fd, buffer + n, sizeof buffer - 1 - n)) > 0) {
        n += r;
        if (buffer[n - 1] == '\n') break;
    }
    buffer[n] = 0;
    close(fd);
    char *field = strstr(buffer, "\"waits_in_flight\":");
    return field ? atoi(field + strlen("\"waits_in_flight\":")) : -1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SOCKET UDP_PORT COUNT\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int port = atoi(argv[2]), count = atoi(argv[3]);
    int *connections = calloc(count, sizeof(int)), *senders = calloc(count, sizeof(int));
    double *sent = calloc(count, sizeof(double)), *latency = calloc(count, sizeof(double));
    int epoll = epoll_create1(0);
    for (int i = 0; i < count; i++) {
        connections[i] = connect_unix(path);
        char request[256];
        int length = snprintf(request, sizeof request,
                              "{\"v\":1,\"op\":\"wait\",\"targets\":[\"127.3.%d.%d\"],\"timeout\":60,\"max_age\":0}\n",
                              i / 250, i % 250 + 1);
        write(connections[i], request, length);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(epoll, EPOLL_CTL_ADD, connections[i], &event);
        senders[i] = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in local = {.sin_family = AF_INET};
        local.sin_addr.s_addr = htonl(0x7F030000u | (unsigned)(i / 250) << 8 | (unsigned)(i % 250 + 1));
        if (bind(senders[i], (struct sockaddr *)&local, sizeof local) != 0) { perror("bind"); return 1; }
    }
    while (waits_in_flight(path) < count) usleep(5000);
    struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(port)};
    target.sin_addr.s_addr = htonl(0x7F000001u);
    unsigned char valid[8] = {0x40, 0x2a, 0x30, 0x1b, 0x01, 0, 0, 0};
    int answered = 0, next = 0;
    struct epoll_event events[64];
    char buffer[4096];
    while (answered < count) {
        if (next < count) {
            sent[next] = now();
            sendto(senders[next], valid, sizeof valid, 0, (struct sockaddr *)&target, sizeof target);
            next++;
        }
        int ready = epoll_wait(epoll, events, 64, next < count ? 0 : 1000);
        double at = now();
        for (int e = 0; e < ready; e++) {
            int i = (int)events[e].data.u32;
            if (read(connections[i], buffer, sizeof buffer) > 0 && latency[i] == 0) {
                if (!strstr(buffer, "\"confirmed\"")) { fprintf(stderr, "not confirmed: %s\n", buffer); return 1; }
                latency[i] = at - sent[i];
                answered++;
            }
            epoll_ctl(epoll, EPOLL_CTL_DEL, connections[i], NULL);
        }
        if (ready == 0 && next >= count) { fprintf(stderr, "timed out with %d answers\n", answered); return 1; }
    }
    qsort(latency, count, sizeof(double), cmp);
    printf("%.3f %.3f\n", latency[count / 2] * 1000, latency[(int)(0.99 * (count - 1) + 0.5)] * 1000);
    return 0;
}
