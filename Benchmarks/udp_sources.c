/* Sends one valid fence_kdump datagram from each of COUNT distinct loopback source addresses
 * (127.2.0.1 upward), for the memory benchmark: a table of COUNT hosts, or a flood of
 * spoofed-looking sources that max_hosts must bound.
 *
 *   udp_sources PORT COUNT [FIRST_OFFSET]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT COUNT [FIRST_OFFSET]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    long count = atol(argv[2]);
    long offset = argc > 3 ? atol(argv[3]) : 0;
    unsigned char valid[8] = {0x40, 0x2a, 0x30, 0x1b, 0x01, 0, 0, 0};
    struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(port)};
    target.sin_addr.s_addr = htonl(0x7F000001u);
    long sent = 0;
    for (long i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in local = {.sin_family = AF_INET};
        local.sin_addr.s_addr = htonl(0x7F020001u + (unsigned)(offset + i));
        if (bind(fd, (struct sockaddr *)&local, sizeof local) == 0 &&
            sendto(fd, valid, sizeof valid, 0, (struct sockaddr *)&target, sizeof target) == sizeof valid)
            sent++;
        close(fd);
        if (i % 2000 == 1999) usleep(2000); /* let the receive buffer drain */
    }
    printf("%ld\n", sent);
    return 0;
}
