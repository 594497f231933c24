/* SPDX-License-Identifier: GPL-2.0-only */
/* uring_socket: opens a TCP socket through io_uring's IORING_OP_SOCKET
 * (Linux >= 5.19), which creates the socket in io_uring's own code and never
 * goes through __sys_socket(): update_socket_protocol is not called, so
 * mptcpify cannot convert it. The test documents that limit. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "progs-common.h"

#define PROG "uring_socket"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [-6] [--proto P] [--also-syscall]\n"
"Open a stream socket with io_uring (IORING_OP_SOCKET) and print the protocol\n"
"the kernel gave it, read back with getsockopt(SO_PROTOCOL):\n"
"  protocol=N\n"
"Prints \"unsupported\" and exits 77 when io_uring or IORING_OP_SOCKET is not\n"
"available (old kernel, kernel.io_uring_disabled, seccomp).\n"
"\n"
"  -6                  AF_INET6 (default AF_INET)\n"
"  -p, --proto P       protocol argument: 0 (default), tcp, mptcp or N\n"
"  -s, --also-syscall  then open the same socket with socket(2) and print\n"
"                      syscall_protocol=N (same process, same thread name)\n"
"  -h, --help          show this help\n"
"\n"
"On failure prints error=ERRNO_NAME (text) and exits 1; usage errors exit 2.\n");
}

static int unsupported(const char *why, int err)
{
	fprintf(stderr, PROG ": %s: %s\n", why, strerror(err));
	printf("unsupported\n");
	return EXIT_SKIP;
}

static int print_protocol(const char *key, int fd)
{
	socklen_t len;
	int proto;

	len = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0) {
		report_errno(PROG, "getsockopt(SO_PROTOCOL)", errno);
		return -1;
	}
	printf("%s=%d\n", key, proto);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "also-syscall", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct io_uring_probe *probe;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	bool also_syscall = false, ok;
	int family = AF_INET, proto = 0, c, r, fd;

	while ((c = getopt_long(argc, argv, "6p:sh", longopts, NULL)) != -1) {
		switch (c) {
		case '6':
			family = AF_INET6;
			break;
		case 'p':
			if (parse_proto(optarg, &proto) < 0) {
				fprintf(stderr, PROG ": invalid --proto '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			also_syscall = true;
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

	r = io_uring_queue_init(4, &ring, 0);
	if (r < 0)
		return unsupported("io_uring_setup", -r);

	probe = io_uring_get_probe_ring(&ring);
	if (!probe)
		return unsupported("IORING_REGISTER_PROBE", EOPNOTSUPP);
	ok = io_uring_opcode_supported(probe, IORING_OP_SOCKET);
	io_uring_free_probe(probe);
	if (!ok)
		return unsupported("IORING_OP_SOCKET", EOPNOTSUPP);

	sqe = io_uring_get_sqe(&ring);
	if (!sqe) {
		report_errno(PROG, "io_uring_get_sqe", EBUSY);
		return EXIT_FAILURE;
	}
	io_uring_prep_socket(sqe, family, SOCK_STREAM, proto, 0);
	r = io_uring_submit(&ring);
	if (r < 0) {
		report_errno(PROG, "io_uring_submit", -r);
		return EXIT_FAILURE;
	}
	r = io_uring_wait_cqe(&ring, &cqe);
	if (r < 0) {
		report_errno(PROG, "io_uring_wait_cqe", -r);
		return EXIT_FAILURE;
	}
	fd = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (fd < 0) {
		report_errno(PROG, "IORING_OP_SOCKET", -fd);
		return EXIT_FAILURE;
	}
	if (print_protocol("protocol", fd) < 0)
		return EXIT_FAILURE;
	close(fd);

	if (also_syscall) {
		fd = socket(family, SOCK_STREAM, proto);
		if (fd < 0) {
			report_errno(PROG, "socket", errno);
			return EXIT_FAILURE;
		}
		if (print_protocol("syscall_protocol", fd) < 0)
			return EXIT_FAILURE;
		close(fd);
	}
	return EXIT_SUCCESS;
}
