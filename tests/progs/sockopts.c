/* SPDX-License-Identifier: GPL-2.0-only */
/* sockopts: set (or get) socket options the way servers do, on a listener
 * and on a socket not yet connected, and print what the kernel answered:
 * the reference the compat tests compare mptcpify's reports with.
 *
 *   sockopts [-4|-6] [--proto P] [--get] [--repeat N] [--hold SEC] OPTION...
 *
 * OPTION is a name (TCP_MD5SIG, TCP_USER_TIMEOUT, TCP_NODELAY, IP_TTL,
 * IP_RECVERR, IPV6_TCLASS, SO_ZEROCOPY, SO_KEEPALIVE) or LEVEL:NUMBER.
 * Output, one key=value or word per line:
 *   socket=listener protocol=262
 *   set TCP_MD5SIG error=ENOPROTOOPT
 *   set TCP_NODELAY ok
 * then the same for socket=unconnected. --repeat does each call N times
 * (one line: the first answer). Statically linked: comm rules and the
 * audit see it as it is named. Exit 0 unless a socket could not be made. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "progs-common.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif

static const struct { const char *name; int level, opt, value; } known[] = {
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, 1 },
	{ "TCP_MD5SIG", IPPROTO_TCP, TCP_MD5SIG, 0 },
	{ "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 30000 },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE, 60 },
	{ "TCP_MAXSEG", IPPROTO_TCP, TCP_MAXSEG, 1200 },
	{ "IP_TTL", IPPROTO_IP, IP_TTL, 64 },
	{ "IP_RECVERR", IPPROTO_IP, IP_RECVERR, 1 },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, 0x10 },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, 0x10 },
	{ "SO_ZEROCOPY", SOL_SOCKET, SO_ZEROCOPY, 1 },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 1 },
};

struct opt { const char *name; int level, opt, value; };

static int parse_opt(const char *s, struct opt *o)
{
	unsigned long l, n;
	const char *colon = strchr(s, ':');
	char lv[16];

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(s, known[i].name)) {
			*o = (struct opt){ known[i].name, known[i].level, known[i].opt, known[i].value };
			return 0;
		}
	if (!colon || (size_t)(colon - s) >= sizeof(lv))
		return -EINVAL;
	memcpy(lv, s, colon - s);
	lv[colon - s] = '\0';
	if (parse_ulong(lv, 1000, &l) < 0 || parse_ulong(colon + 1, 1000, &n) < 0)
		return -EINVAL;
	*o = (struct opt){ s, (int)l, (int)n, 1 };
	return 0;
}

/* One call; 0 or the errno. TCP_MD5SIG gets a real key for the loopback
 * address of the socket's family, as a BGP daemon would set for its peer. */
static int call(int fd, int family, bool get, const struct opt *o)
{
	if (get) {
		char buf[256];
		socklen_t len = sizeof(buf);

		return getsockopt(fd, o->level, o->opt, buf, &len) < 0 ? errno : 0;
	}
	if (o->level == IPPROTO_TCP && o->opt == TCP_MD5SIG) {
		struct tcp_md5sig md5 = { .tcpm_keylen = 6 };

		memcpy(md5.tcpm_key, "secret", 6);
		if (family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&md5.tcpm_addr;

			a->sin6_family = AF_INET6;
			a->sin6_addr = in6addr_loopback;
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&md5.tcpm_addr;

			a->sin_family = AF_INET;
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		}
		return setsockopt(fd, o->level, o->opt, &md5, sizeof(md5)) < 0 ? errno : 0;
	}
	return setsockopt(fd, o->level, o->opt, &o->value, sizeof(o->value)) < 0 ? errno : 0;
}

static int open_socket(int family, int proto, bool listener)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(family, SOCK_STREAM, proto), p;
	socklen_t plen = sizeof(p);

	if (fd < 0)
		return -errno;
	if (listener && (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0))
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &plen) < 0)
		p = -1;
	printf("socket=%s protocol=%d\n", listener ? "listener" : "unconnected", p);
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "get", no_argument, NULL, 'g' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int family = AF_INET, proto = 0, c, fds[2];
	unsigned long repeat = 1;
	double hold = 0;
	bool get = false;
	struct opt *opts;
	int n;

	while ((c = getopt_long(argc, argv, "46p:gr:H:h", longopts, NULL)) != -1) {
		switch (c) {
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case 'g': get = true; break;
		case 'p':
			if (parse_proto(optarg, &proto) < 0)
				return EXIT_USAGE;
			break;
		case 'r':
			if (parse_ulong(optarg, 10000000, &repeat) < 0 || !repeat)
				return EXIT_USAGE;
			break;
		case 'H':
			if (parse_seconds(optarg, &hold) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			printf("Usage: sockopts [-4|-6] [--proto P] [--get] [--repeat N] [--hold SEC] OPTION...\n");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	n = argc - optind;
	opts = calloc(n + 1, sizeof(*opts));
	if (!opts)
		return 1;
	for (int i = 0; i < n; i++)
		if (parse_opt(argv[optind + i], &opts[i]) < 0) {
			fprintf(stderr, "sockopts: unknown option '%s'\n", argv[optind + i]);
			return EXIT_USAGE;
		}
	for (int s = 0; s < 2; s++) {
		fds[s] = open_socket(family, proto, s == 0);
		if (fds[s] < 0) {
			report_errno("sockopts", "socket", -fds[s]);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int e = call(fds[s], family, get, &opts[i]);

			for (unsigned long k = 1; k < repeat; k++)
				call(fds[s], family, get, &opts[i]);
			if (e)
				printf("%s %s error=%s\n", get ? "get" : "set", opts[i].name, errno_name(e));
			else
				printf("%s %s ok\n", get ? "get" : "set", opts[i].name);
		}
		fflush(stdout);
	}
	if (hold > 0)
		sleep_seconds(hold);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
