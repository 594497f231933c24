/* SPDX-License-Identifier: GPL-2.0-only */
/* sockprobe: open a socket the way a program would and print what the kernel
 * actually created, read back with getsockopt(SO_DOMAIN/SO_TYPE/SO_PROTOCOL):
 * the protocol printed is the kernel's answer, never the one requested.
 *
 * Built three times from this file (tests/progs/meson.build):
 *   sockprobe         dynamic, calls glibc's socket()
 *   sockprobe-static  the same, linked with -static
 *   sockprobe-raw     static, socket(2) through syscall(SYS_socket, ...), like a
 *                     Go program; LD_PRELOAD wrappers (mptcpize) cannot see it */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "progs-common.h"

#ifdef SOCKPROBE_RAW_SYSCALL
#define PROG "sockprobe-raw"
#define HOW "syscall(SYS_socket)"
#elif defined(SOCKPROBE_STATIC)
#define PROG "sockprobe-static"
#define HOW "socket() (static glibc)"
#else
#define PROG "sockprobe"
#define HOW "socket() (glibc)"
#endif

#define CONNECT_TIMEOUT_MS 10000

struct options {
	int family;
	int type;
	int proto;
	bool nonblock;
	bool cloexec;
	const char *connect_to;
	const char *wait_fifo;
	double hold;
	unsigned long count;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [OPTION]...\n"
"Open a socket with " HOW " and print what the kernel created, as read back\n"
"with getsockopt(SO_DOMAIN, SO_TYPE, SO_PROTOCOL), one key=value per line:\n"
"  family=inet|inet6|unix  type=stream|dgram|seqpacket|raw  protocol=N\n"
"  nonblock=0|1  cloexec=0|1  [connected]\n"
"\n"
"  -4                  AF_INET (default)\n"
"  -6                  AF_INET6\n"
"      --unix          AF_UNIX\n"
"  -t, --type TYPE     stream (default), dgram, seqpacket or raw\n"
"      --nonblock      add SOCK_NONBLOCK to the type\n"
"      --cloexec       add SOCK_CLOEXEC to the type\n"
"  -p, --proto P       protocol argument: 0 (default), tcp, mptcp, udp, sctp or N\n"
"  -c, --connect ADDR  connect each socket: A.B.C.D:PORT, [V6]:PORT or a path\n"
"                      with --unix; prints \"connected\" (waits up to %d s\n"
"                      with --nonblock)\n"
"  -w, --wait-fifo PATH  before opening anything, wait until a line can be read\n"
"                      from this fifo (created if missing), so that a test can\n"
"                      start the process first and let it open its socket later\n"
"  -H, --hold SEC      keep the sockets open SEC seconds before exiting\n"
"  -n, --count N       open N sockets (default 1); one block of lines each\n"
"  -h, --help          show this help\n"
"\n"
"On failure prints error=ERRNO_NAME (text) and exits 1; usage errors exit 2.\n",
		CONNECT_TIMEOUT_MS / 1000);
}

static int open_socket(int family, int type, int proto)
{
#ifdef SOCKPROBE_RAW_SYSCALL
	return (int)syscall(SYS_socket, family, type, proto);
#else
	return socket(family, type, proto);
#endif
}

static const char *family_name(int f)
{
	switch (f) {
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_UNIX: return "unix";
	default: return NULL;
	}
}

static const char *type_name(int t)
{
	switch (t) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	case SOCK_RAW: return "raw";
	default: return NULL;
	}
}

static int parse_type(const char *s, int *ret)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(s, type_name(types[i]))) {
			*ret = types[i];
			return 0;
		}
	return -EINVAL;
}

/* "1.2.3.4:80", "[::1]:80", "::1:80" (last colon), or a path for AF_UNIX. */
static int parse_address(int family, const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		if (strlen(s) >= sizeof(sun->sun_path))
			return -ENAMETOOLONG;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, s);
		*len = sizeof(*sun);
		return 0;
	}

	colon = strrchr(s, ':');
	if (!colon || parse_ulong(colon + 1, 65535, &port) < 0)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*sin6);
	}
	return 0;
}

/* Blocks until one line (or EOF) can be read from the fifo. */
static int wait_fifo(const char *path)
{
	char c;
	ssize_t n;
	int fd;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, &c, 1);
	} while ((n == 1 && c != '\n') || (n < 0 && errno == EINTR));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int get_int_opt(int fd, int opt, int *ret)
{
	socklen_t len = sizeof(*ret);

	if (getsockopt(fd, SOL_SOCKET, opt, ret, &len) < 0)
		return -errno;
	return 0;
}

/* Prints the kernel's view of fd. */
static int describe(int fd)
{
	int family, type, proto, fl, fdfl, r;
	const char *n;

	if ((r = get_int_opt(fd, SO_DOMAIN, &family)) < 0 ||
	    (r = get_int_opt(fd, SO_TYPE, &type)) < 0 ||
	    (r = get_int_opt(fd, SO_PROTOCOL, &proto)) < 0)
		return r;
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return -errno;

	if ((n = family_name(family)))
		printf("family=%s\n", n);
	else
		printf("family=%d\n", family);
	if ((n = type_name(type)))
		printf("type=%s\n", n);
	else
		printf("type=%d\n", type);
	printf("protocol=%d\n", proto);
	printf("nonblock=%d\n", !!(fl & O_NONBLOCK));
	printf("cloexec=%d\n", !!(fdfl & FD_CLOEXEC));
	fflush(stdout);
	return 0;
}

static int do_connect(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int err, r;

	if (connect(fd, (const struct sockaddr *)ss, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do {
		r = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	if ((r = get_int_opt(fd, SO_ERROR, &err)) < 0)
		return r;
	return -err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "unix", no_argument, NULL, 'u' },
		{ "type", required_argument, NULL, 't' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "cloexec", no_argument, NULL, 'C' },
		{ "proto", required_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, 'c' },
		{ "wait-fifo", required_argument, NULL, 'w' },
		{ "hold", required_argument, NULL, 'H' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct options o = { .family = AF_INET, .type = SOCK_STREAM, .count = 1 };
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int c, r, type;
	int *fds;

	while ((c = getopt_long(argc, argv, "46ut:p:c:w:H:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case '4': o.family = AF_INET; break;
		case '6': o.family = AF_INET6; break;
		case 'u': o.family = AF_UNIX; break;
		case 'N': o.nonblock = true; break;
		case 'C': o.cloexec = true; break;
		case 'c': o.connect_to = optarg; break;
		case 'w': o.wait_fifo = optarg; break;
		case 't':
			if (parse_type(optarg, &o.type) < 0) {
				fprintf(stderr, PROG ": invalid --type '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_proto(optarg, &o.proto) < 0) {
				fprintf(stderr, PROG ": invalid --proto '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			if (parse_seconds(optarg, &o.hold) < 0) {
				fprintf(stderr, PROG ": invalid --hold '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_ulong(optarg, 100000, &o.count) < 0 || o.count == 0) {
				fprintf(stderr, PROG ": invalid --count '%s' (1..100000)\n", optarg);
				return EXIT_USAGE;
			}
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
	if (o.connect_to && (r = parse_address(o.family, o.connect_to, &ss, &sslen)) < 0) {
		fprintf(stderr, PROG ": invalid --connect '%s' for this family\n", o.connect_to);
		return EXIT_USAGE;
	}

	/* A peer that resets the connection must not kill us silently. */
	signal(SIGPIPE, SIG_IGN);

	if (o.wait_fifo && (r = wait_fifo(o.wait_fifo)) < 0) {
		report_errno(PROG, o.wait_fifo, -r);
		return EXIT_FAILURE;
	}

	fds = calloc(o.count, sizeof(*fds));
	if (!fds) {
		report_errno(PROG, "calloc", ENOMEM);
		return EXIT_FAILURE;
	}

	type = o.type | (o.nonblock ? SOCK_NONBLOCK : 0) | (o.cloexec ? SOCK_CLOEXEC : 0);
	for (unsigned long i = 0; i < o.count; i++) {
		fds[i] = open_socket(o.family, type, o.proto);
		if (fds[i] < 0) {
			report_errno(PROG, "socket", errno);
			return EXIT_FAILURE;
		}
		if ((r = describe(fds[i])) < 0) {
			report_errno(PROG, "getsockopt", -r);
			return EXIT_FAILURE;
		}
		if (o.connect_to) {
			if ((r = do_connect(fds[i], &ss, sslen)) < 0) {
				report_errno(PROG, "connect", -r);
				return EXIT_FAILURE;
			}
			printf("connected\n");
			fflush(stdout);
		}
	}

	if (o.hold > 0)
		sleep_seconds(o.hold);
	for (unsigned long i = 0; i < o.count; i++)
		close(fds[i]);
	free(fds);
	return EXIT_SUCCESS;
}
