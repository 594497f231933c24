/* SPDX-License-Identifier: GPL-2.0-only */
/* connhold: open N TCP connections to a listener of its own on 127.0.0.1
 * and hold them, for measuring what counting thousands of connections costs
 * (tests/bench/metrics-cost.sh). Every socket is made with socket(AF_INET,
 * SOCK_STREAM, P): selected by mptcpify, the listener and the clients are
 * MPTCP, and so are the accepted sockets. Prints connections=N once all are
 * up, then holds them for SEC seconds (or until SIGTERM/SIGINT). */
#include <getopt.h>
#include <signal.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "progs-common.h"

#define PROG "connhold"

static void usage(FILE *f)
{
	fprintf(f, "Usage: connhold [-n N] [-H SEC] [-p PROTO]\n"
		"Open N connections (default 1000) to a listener of this process on\n"
		"127.0.0.1, print connections=N, hold them SEC seconds (default 3600).\n"
		"  -p, --proto P   protocol argument of socket(): 0 (default), tcp or mptcp\n");
}

static void on_signal(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 'H' },
		{ "proto", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;
	long n = 1000, hold = 3600;
	int proto = 0, l, o;

	while ((o = getopt_long(argc, argv, "n:H:p:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n': n = atol(optarg); break;
		case 'H': hold = atol(optarg); break;
		case 'p':
			proto = strcmp(optarg, "tcp") == 0 ? IPPROTO_TCP :
				strcmp(optarg, "mptcp") == 0 ? IPPROTO_MPTCP : atoi(optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (n < 1 || hold < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Two descriptors per connection, the listener, stdio. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(2 * n + 16)) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)(2 * n + 16) ? rl.rlim_max : (rlim_t)(2 * n + 16);
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	l = socket(AF_INET, SOCK_STREAM, proto);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 128) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0) {
		report_errno(PROG, "listener", errno);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, proto);

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 || accept(l, NULL, NULL) < 0) {
			report_errno(PROG, "connection", errno);
			return 1;
		}
	}
	printf("connections=%ld\n", n);
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sleep((unsigned)hold);
	return 0;
}
