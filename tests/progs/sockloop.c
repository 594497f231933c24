/* SPDX-License-Identifier: GPL-2.0-only */
/* sockloop: the benchmark loop. Measures what the socket() hook costs:
 *   socket mode   socket()+close(), N times per repetition
 *   connect mode  socket()+connect()+close() to a 127.0.0.1 listener that this
 *                 process opens itself (same family and protocol argument, so
 *                 under mptcpify both ends are converted alike)
 *   storm mode    socket()+close() as fast as possible for SEC seconds, counting
 *                 every socket by the protocol the kernel gave it; for load
 *                 tests where several run in parallel while rules change.
 * Time is CLOCK_MONOTONIC around the whole repetition; one untimed warm-up
 * repetition (a tenth of N) comes first. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "progs-common.h"

#define PROG "sockloop"
#define DEFAULT_ITERS 100000UL
#define DEFAULT_CONNECT_ITERS 2000UL
#define DEFAULT_REPS 5UL
#define MAX_REPS 1000UL

struct options {
	int family;
	int type;
	int proto;
	unsigned long iters;
	unsigned long reps;
	long connect_port;      /* -1: socket mode */
	double storm;           /* > 0: storm mode */
	long cpu;               /* -1: no pinning */
	bool json;
	bool alternate;         /* two names, switched before each socket() */
};

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [--iters N] [--reps R] [--proto P] [-6|--unix] [--type T] [--connect PORT] [--json]\n"
"       " PROG " --storm SEC [--proto P] [-6] [--json]\n"
"Benchmark loop for the socket() hook.\n"
"\n"
"Default mode: socket(AF_INET, SOCK_STREAM, P) + close(), N times per\n"
"repetition; prints the protocol the kernel gave (protocol=N), the time per\n"
"iteration of each repetition (ns_per_iter=X, one line each) and their median\n"
"(median_ns_per_iter=X).\n"
"With --connect PORT: socket() + connect() + close() (SO_LINGER 0: no\n"
"TIME_WAIT) to a listener on 127.0.0.1:PORT (::1 with -6) that a thread of\n"
"this process opens with the same protocol argument; PORT 0 picks a free port.\n"
"With --storm SEC: socket() + close() as fast as possible for SEC seconds, then\n"
"prints sockets=N errors=N tcp=N mptcp=N other=N (each socket's protocol is\n"
"read back); exits 1 if any socket() failed. SIGINT/SIGTERM end it early.\n"
"\n"
"  -i, --iters N     iterations per repetition (default %lu, %lu with --connect)\n"
"  -r, --reps R      repetitions (default %lu)\n"
"  -p, --proto P     protocol argument: 0 (default), tcp, mptcp or N\n"
"  -6                AF_INET6 (default AF_INET)\n"
"      --unix        AF_UNIX (socket mode only)\n"
"  -t, --type T      stream (default) or dgram (socket mode only)\n"
"  -c, --connect PORT  connect mode\n"
"  -s, --storm SEC   storm mode\n"
"      --cpu N       pin the measuring thread to CPU N\n"
"      --alternate   socket mode: before each socket(), rename the thread,\n"
"                    sockloop and sockloop-b in turn (prctl PR_SET_NAME)\n"
"  -j, --json        one JSON object on stdout instead of key=value lines\n"
"  -h, --help        show this help\n"
"\n"
"On failure prints error=ERRNO_NAME (text) and exits 1; usage errors exit 2.\n",
		DEFAULT_ITERS, DEFAULT_CONNECT_ITERS, DEFAULT_REPS);
}

static void on_signal(int sig __attribute__((unused)))
{
	stop = 1;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "inet6" : family == AF_UNIX ? "unix" : "inet";
}

static int socket_protocol(int fd, int *proto)
{
	socklen_t len = sizeof(*proto);

	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, proto, &len) < 0 ? -errno : 0;
}

/* The kernel's answer for one socket opened the way the loop opens them. */
static int probe_protocol(const struct options *o, int *proto)
{
	int fd, r;

	fd = socket(o->family, o->type, o->proto);
	if (fd < 0)
		return -errno;
	r = socket_protocol(fd, proto);
	close(fd);
	return r;
}

static void loopback(int family, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	}
}

static void *acceptor(void *arg)
{
	int lfd = (int)(long)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO &&
			 errno != ENOBUFS && errno != ENOMEM && errno != EMFILE)
			break;
	}
	return NULL;
}

/* Opens the listener and its accept thread; returns the listening port. */
static int start_listener(const struct options *o, int *listener_proto, const char **what)
{
	struct sockaddr_storage ss;
	socklen_t len;
	pthread_t t;
	int lfd, one = 1, r;

	*what = "listener socket";
	lfd = socket(o->family, SOCK_STREAM | SOCK_CLOEXEC, o->proto);
	if (lfd < 0)
		return -errno;
	*what = "getsockopt(SO_PROTOCOL)";
	if ((r = socket_protocol(lfd, listener_proto)) < 0)
		return r;
	*what = "setsockopt(SO_REUSEADDR)";
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	loopback(o->family, (int)o->connect_port, &ss, &len);
	*what = "bind";
	if (bind(lfd, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	*what = "listen";
	if (listen(lfd, 4096) < 0)
		return -errno;
	*what = "getsockname";
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	*what = "pthread_create";
	r = pthread_create(&t, NULL, acceptor, (void *)(long)lfd);
	if (r)
		return -r;
	pthread_detach(t);
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

/* Pins the calling thread only: the acceptor thread, started before, stays free. */
static int pin_cpu(const struct options *o)
{
	cpu_set_t set;

	if (o->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((int)o->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		report_errno(PROG, "sched_setaffinity", errno);
		return -1;
	}
	return 0;
}

/* One repetition of socket mode. */
static int run_socket(const struct options *o, unsigned long n, const char **what)
{
	for (unsigned long i = 0; i < n; i++) {
		int fd;

		if (o->alternate)
			prctl(PR_SET_NAME, i & 1 ? "sockloop-b" : "sockloop", 0, 0, 0);
		fd = socket(o->family, o->type, o->proto);
		if (fd < 0) {
			*what = "socket";
			return -errno;
		}
		close(fd);
	}
	if (o->alternate)
		prctl(PR_SET_NAME, "sockloop", 0, 0, 0);
	return 0;
}

/* One repetition of connect mode. */
static int run_connect(const struct options *o, const struct sockaddr_storage *ss,
		       socklen_t len, unsigned long n, const char **what)
{
	static const struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	for (unsigned long i = 0; i < n; i++) {
		int fd = socket(o->family, SOCK_STREAM, o->proto);
		int r = 0;

		if (fd < 0) {
			*what = "socket";
			return -errno;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) < 0) {
			*what = "setsockopt(SO_LINGER)";
			r = -errno;
		} else if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
			*what = "connect";
			r = -errno;
		}
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

static int do_loop(const struct options *o)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	const char *what = NULL;
	double *ns, *sorted, med;
	int proto, listener_proto = -1, port = -1, r;

	if (o->connect_port >= 0) {
		port = start_listener(o, &listener_proto, &what);
		if (port < 0) {
			report_errno(PROG, what, -port);
			return EXIT_FAILURE;
		}
		loopback(o->family, port, &ss, &sslen);
	}
	if (pin_cpu(o) < 0)
		return EXIT_FAILURE;
	if ((r = probe_protocol(o, &proto)) < 0) {
		report_errno(PROG, "probe socket", -r);
		return EXIT_FAILURE;
	}

	ns = calloc(o->reps, sizeof(*ns));
	sorted = calloc(o->reps, sizeof(*sorted));
	if (!ns || !sorted) {
		report_errno(PROG, "calloc", ENOMEM);
		return EXIT_FAILURE;
	}

	for (unsigned long rep = 0; rep <= o->reps; rep++) {
		/* rep 0 is the warm-up */
		unsigned long n = rep ? o->iters : (o->iters + 9) / 10;
		long long t0, t1;

		t0 = now_ns();
		if (port >= 0)
			r = run_connect(o, &ss, sslen, n, &what);
		else
			r = run_socket(o, n, &what);
		t1 = now_ns();
		if (r < 0) {
			report_errno(PROG, what, -r);
			return EXIT_FAILURE;
		}
		if (rep)
			ns[rep - 1] = (double)(t1 - t0) / (double)n;
	}
	memcpy(sorted, ns, o->reps * sizeof(*ns));
	med = median(sorted, o->reps);

	if (o->json) {
		printf("{\"mode\":\"%s\",\"family\":\"%s\",\"proto_requested\":%d,"
		       "\"protocol\":%d,", port >= 0 ? "connect" : "socket",
		       family_name(o->family), o->proto, proto);
		if (port >= 0)
			printf("\"port\":%d,\"listener_protocol\":%d,", port, listener_proto);
		printf("\"iters\":%lu,\"reps\":%lu,\"ns_per_iter\":[", o->iters, o->reps);
		for (unsigned long i = 0; i < o->reps; i++)
			printf("%s%.1f", i ? "," : "", ns[i]);
		printf("],\"median_ns_per_iter\":%.1f}\n", med);
	} else {
		printf("mode=%s\nfamily=%s\nproto_requested=%d\nprotocol=%d\n",
		       port >= 0 ? "connect" : "socket", family_name(o->family),
		       o->proto, proto);
		if (port >= 0)
			printf("port=%d\nlistener_protocol=%d\n", port, listener_proto);
		printf("iters=%lu\nreps=%lu\n", o->iters, o->reps);
		for (unsigned long i = 0; i < o->reps; i++)
			printf("ns_per_iter=%.1f\n", ns[i]);
		printf("median_ns_per_iter=%.1f\n", med);
	}
	free(ns);
	free(sorted);
	return EXIT_SUCCESS;
}

static int do_storm(const struct options *o)
{
	unsigned long long sockets = 0, errors = 0, tcp = 0, mptcp = 0, other = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	long long deadline, t0, t1;
	int first_error = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pin_cpu(o) < 0)
		return EXIT_FAILURE;

	t0 = now_ns();
	deadline = t0 + (long long)(o->storm * 1e9);
	for (unsigned long i = 0; !stop; i++) {
		int fd, proto, r;

		if ((i & 63) == 0 && now_ns() >= deadline)
			break;
		fd = socket(o->family, SOCK_STREAM, o->proto);
		if (fd < 0) {
			if (!first_error)
				first_error = errno;
			errors++;
			continue;
		}
		r = socket_protocol(fd, &proto);
		close(fd);
		if (r < 0) {
			if (!first_error)
				first_error = -r;
			errors++;
			continue;
		}
		sockets++;
		if (proto == IPPROTO_TCP)
			tcp++;
		else if (proto == IPPROTO_MPTCP)
			mptcp++;
		else
			other++;
	}
	t1 = now_ns();

	if (o->json) {
		printf("{\"mode\":\"storm\",\"family\":\"%s\",\"proto_requested\":%d,"
		       "\"seconds\":%.3f,\"sockets\":%llu,\"errors\":%llu,\"tcp\":%llu,"
		       "\"mptcp\":%llu,\"other\":%llu", family_name(o->family), o->proto,
		       (double)(t1 - t0) / 1e9, sockets, errors, tcp, mptcp, other);
		if (first_error)
			printf(",\"first_error\":\"%s\"", errno_name(first_error));
		printf("}\n");
	} else {
		printf("mode=storm\nfamily=%s\nproto_requested=%d\nseconds=%.3f\n"
		       "sockets=%llu\nerrors=%llu\ntcp=%llu\nmptcp=%llu\nother=%llu\n",
		       family_name(o->family), o->proto, (double)(t1 - t0) / 1e9,
		       sockets, errors, tcp, mptcp, other);
		if (first_error)
			printf("first_error=%s (%s)\n", errno_name(first_error),
			       strerror(first_error));
	}
	return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	enum { OPT_CPU = 0x100, OPT_UNIX, OPT_ALTERNATE };
	static const struct option longopts[] = {
		{ "iters", required_argument, NULL, 'i' },
		{ "reps", required_argument, NULL, 'r' },
		{ "proto", required_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, 'c' },
		{ "storm", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "unix", no_argument, NULL, OPT_UNIX },
		{ "alternate", no_argument, NULL, OPT_ALTERNATE },
		{ "type", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct options o = {
		.family = AF_INET, .type = SOCK_STREAM, .reps = DEFAULT_REPS, .connect_port = -1,
		.cpu = -1,
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "46i:r:p:c:s:t:jh", longopts, NULL)) != -1) {
		switch (c) {
		case '4': o.family = AF_INET; break;
		case '6': o.family = AF_INET6; break;
		case OPT_UNIX: o.family = AF_UNIX; break;
		case OPT_ALTERNATE: o.alternate = true; break;
		case 't':
			if (!strcmp(optarg, "stream"))
				o.type = SOCK_STREAM;
			else if (!strcmp(optarg, "dgram"))
				o.type = SOCK_DGRAM;
			else {
				fprintf(stderr, PROG ": invalid --type '%s' (stream or dgram)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': o.json = true; break;
		case 'i':
			if (parse_ulong(optarg, 1000000000UL, &o.iters) < 0 || !o.iters) {
				fprintf(stderr, PROG ": invalid --iters '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (parse_ulong(optarg, MAX_REPS, &o.reps) < 0 || !o.reps) {
				fprintf(stderr, PROG ": invalid --reps '%s' (1..%lu)\n", optarg, MAX_REPS);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_proto(optarg, &o.proto) < 0) {
				fprintf(stderr, PROG ": invalid --proto '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_ulong(optarg, 65535, &v) < 0) {
				fprintf(stderr, PROG ": invalid --connect port '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o.connect_port = (long)v;
			break;
		case 's':
			if (parse_seconds(optarg, &o.storm) < 0 || o.storm <= 0) {
				fprintf(stderr, PROG ": invalid --storm '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CPU:
			if (parse_ulong(optarg, CPU_SETSIZE - 1, &v) < 0) {
				fprintf(stderr, PROG ": invalid --cpu '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o.cpu = (long)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((o.type != SOCK_STREAM || o.family == AF_UNIX) && (o.storm > 0 || o.connect_port >= 0)) {
		fprintf(stderr, PROG ": --type and --unix only go with socket mode\n");
		return EXIT_USAGE;
	}
	if (o.storm > 0 && o.connect_port >= 0) {
		fprintf(stderr, PROG ": --storm and --connect cannot be combined\n");
		return EXIT_USAGE;
	}
	if (!o.iters)
		o.iters = o.connect_port >= 0 ? DEFAULT_CONNECT_ITERS : DEFAULT_ITERS;

	signal(SIGPIPE, SIG_IGN);
	return o.storm > 0 ? do_storm(&o) : do_loop(&o);
}
