/* SPDX-License-Identifier: GPL-2.0-only */
/* threadname: shows that a comm rule matches the name of the *calling thread*
 * (task->comm), not the process name. A second thread renames itself with
 * pthread_setname_np() and opens a TCP socket; then the main thread, still
 * called "threadname", opens one. Each prints the name the kernel holds for it
 * (/proc/thread-self/comm) and the protocol the kernel gave its socket:
 *   thread_comm=NAME  thread_protocol=N  main_comm=threadname  main_protocol=N
 * So `mptcpify attach --comm NAME` gives thread_protocol=262, main_protocol=6,
 * and `attach --comm threadname` the reverse. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "progs-common.h"

#define PROG "threadname"
#define DEFAULT_NAME "tn-worker"

struct result {
	char comm[32];
	int proto;
	int err;            /* positive errno, 0 on success */
	const char *what;   /* the call that failed */
};

static const char *thread_name = DEFAULT_NAME;
static int family = AF_INET;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [-6] [--name NAME]\n"
"A thread renames itself to NAME (default \"" DEFAULT_NAME "\") with\n"
"pthread_setname_np() and opens a TCP socket (socket(AF_INET, SOCK_STREAM, 0));\n"
"then the main thread opens one. Prints, from the kernel's point of view:\n"
"  thread_comm=NAME\n  thread_protocol=N\n  main_comm=" PROG "\n  main_protocol=N\n"
"\n"
"  -6            use AF_INET6\n"
"  -n, --name    the thread's new name (at most 15 bytes, the kernel's limit)\n"
"  -h, --help    show this help\n"
"\n"
"On failure prints error=ERRNO_NAME (text) and exits 1; usage errors exit 2.\n");
}

/* The calling thread's comm as the kernel sees it, and a fresh TCP socket. */
static void probe(struct result *res)
{
	socklen_t len = sizeof(res->proto);
	ssize_t n;
	int fd;

	fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		res->err = errno;
		res->what = "/proc/thread-self/comm";
		return;
	}
	n = read(fd, res->comm, sizeof(res->comm) - 1);
	close(fd);
	if (n < 0) {
		res->err = errno;
		res->what = "read comm";
		return;
	}
	res->comm[n] = '\0';
	res->comm[strcspn(res->comm, "\n")] = '\0';

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0) {
		res->err = errno;
		res->what = "socket";
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &res->proto, &len) < 0) {
		res->err = errno;
		res->what = "getsockopt(SO_PROTOCOL)";
	}
	close(fd);
}

static void *thread_main(void *arg)
{
	struct result *res = arg;
	int r;

	r = pthread_setname_np(pthread_self(), thread_name);
	if (r) {
		res->err = r;
		res->what = "pthread_setname_np";
		return NULL;
	}
	probe(res);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct result thr = {}, mn = {};
	pthread_t t;
	int c, r;

	while ((c = getopt_long(argc, argv, "6n:h", longopts, NULL)) != -1) {
		switch (c) {
		case '6':
			family = AF_INET6;
			break;
		case 'n':
			if (!*optarg || strlen(optarg) > 15) {
				fprintf(stderr, PROG ": --name must be 1 to 15 bytes\n");
				return EXIT_USAGE;
			}
			thread_name = optarg;
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

	r = pthread_create(&t, NULL, thread_main, &thr);
	if (r) {
		report_errno(PROG, "pthread_create", r);
		return EXIT_FAILURE;
	}
	pthread_join(t, NULL);
	if (thr.err) {
		report_errno(PROG, thr.what, thr.err);
		return EXIT_FAILURE;
	}
	printf("thread_comm=%s\nthread_protocol=%d\n", thr.comm, thr.proto);
	fflush(stdout);

	probe(&mn);
	if (mn.err) {
		report_errno(PROG, mn.what, mn.err);
		return EXIT_FAILURE;
	}
	printf("main_comm=%s\nmain_protocol=%d\n", mn.comm, mn.proto);
	return EXIT_SUCCESS;
}
