/* Process start -> first datagram on loopback, of two commands taken in turn (rows 6 and 9).
 *
 *   start_pairs PAIRS OURS... -- REFERENCE...
 *
 * Each command is started PAIRS times with posix_spawn(3), its argument "{port}" replaced by
 * the port of a UDP socket bound on 127.0.0.1 here; a sample is the time from the spawn to the
 * arrival of the command's first datagram. The two commands alternate, and which of them goes
 * first in a pair alternates too (on this machine the first start of a pair measured 10-15 us
 * slower than the second, whichever program it was). Prints
 *
 *   OURS_MEDIAN_US REFERENCE_MEDIAN_US PAIRED_DIFFERENCE_US OURS_DATAGRAM_LENGTH
 *
 * where the paired difference is the median over the pairs of (ours - reference): both samples of
 * a pair see the same moment of the machine, so the difference is steadier than the difference
 * of the two medians. Compiled rather than Python, so that the spawning costs little and the
 * same every time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *values, int count) {
    qsort(values, count, sizeof *values, cmp);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* One start of `command`: microseconds from the spawn to its first datagram; its length in `length`. */
static double start(char **command, int listener, ssize_t *length) {
    char datagram[512];
    pid_t child;
    double begin = now_us();
    if (posix_spawn(&child, command[0], NULL, NULL, command, environ) != 0) {
        perror(command[0]);
        exit(1);
    }
    *length = recv(listener, datagram, sizeof datagram, 0);
    double elapsed = now_us() - begin;
    if (*length < 0) {
        perror("recv (no datagram within 5 s)");
        exit(1);
    }
    int status;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: exit status %d\n", command[0], status);
        exit(1);
    }
    return elapsed;
}

int main(int argc, char **argv) {
    int separator = 2;
    while (separator < argc && strcmp(argv[separator], "--") != 0) separator++;
    int pairs = argc > 1 ? atoi(argv[1]) : 0;
    if (pairs < 1 || separator == 2 || separator >= argc - 1) {
        fprintf(stderr, "usage: start_pairs PAIRS OURS... -- REFERENCE...\n");
        return 2;
    }
    int listener = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    struct timeval timeout = {.tv_sec = 5};
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &size) != 0 ||
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
        perror("listener");
        return 1;
    }
    char port[8];
    snprintf(port, sizeof port, "%d", ntohs(address.sin_port));
    argv[separator] = NULL;
    for (int index = 2; index < argc; index++)
        if (argv[index] && strcmp(argv[index], "{port}") == 0) argv[index] = port;
    char **ours = argv + 2, **reference = argv + separator + 1;

    double *our_samples = malloc(pairs * sizeof(double)), *reference_samples = malloc(pairs * sizeof(double));
    double *differences = malloc(pairs * sizeof(double));
    ssize_t our_length = 0, reference_length;
    for (int pair = 0; pair < pairs; pair++) {
        if (pair % 2) {
            reference_samples[pair] = start(reference, listener, &reference_length);
            our_samples[pair] = start(ours, listener, &our_length);
        } else {
            our_samples[pair] = start(ours, listener, &our_length);
            reference_samples[pair] = start(reference, listener, &reference_length);
        }
        differences[pair] = our_samples[pair] - reference_samples[pair];
    }
    printf("%.1f %.1f %.1f %zd\n", median(our_samples, pairs), median(reference_samples, pairs),
           median(differences, pairs), our_length);
    return 0;
}
