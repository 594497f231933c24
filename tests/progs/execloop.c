/* SPDX-License-Identifier: GPL-2.0-only */
/* execloop: start-up cost of a command, e.g. `mptcpize run true` (an exec of
 * a wrapper, then of the command with LD_PRELOAD) against plain `true`.
 * Runs CMD N times per repetition with fork() + execv() + waitpid(), one at a
 * time, and reports the mean time per exec of each repetition and their
 * median. The command's stdin, stdout and stderr are /dev/null unless
 * --show-output. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "progs-common.h"

#define PROG "execloop"
#define DEFAULT_ITERS 200UL
#define DEFAULT_REPS 5UL
#define MAX_REPS 1000UL

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [--iters N] [--reps R] [--json] [--show-output] [--] CMD [ARG]...\n"
"Run CMD N times per repetition (fork + exec + wait, one at a time) and print\n"
"the mean time per exec of each repetition (ns_per_exec=X, one line each) and\n"
"their median (median_ns_per_exec=X). CMD is looked up in PATH once.\n"
"Exits 1 if any timed run did not exit with status 0 (failures=N).\n"
"\n"
"  -i, --iters N       runs per repetition (default %lu)\n"
"  -r, --reps R        repetitions (default %lu); one untimed warm-up run first\n"
"  -o, --show-output   leave the command's stdout/stderr alone (default /dev/null)\n"
"  -j, --json          one JSON object on stdout instead of key=value lines\n"
"  -h, --help          show this help\n",
		DEFAULT_ITERS, DEFAULT_REPS);
}

/* Resolves cmd through PATH like execvp() would, once, so the loop does not
 * measure the path search. Returns a malloc'd path or NULL (errno set). */
static char *resolve(const char *cmd)
{
	const char *path = getenv("PATH");
	char *buf;
	size_t len;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	for (;;) {
		const char *end = strchrnul(path, ':');

		len = (size_t)(end - path);
		buf = malloc(len + strlen(cmd) + 3);
		if (!buf)
			return NULL;
		sprintf(buf, "%.*s/%s", (int)len, len ? path : ".", cmd);
		if (access(buf, X_OK) == 0)
			return buf;
		free(buf);
		if (!*end)
			break;
		path = end + 1;
	}
	errno = ENOENT;
	return NULL;
}

/* One run; returns the child's wait status or -errno. */
static int run_once(const char *file, char **argv, int devnull)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execv(file, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iters", required_argument, NULL, 'i' },
		{ "reps", required_argument, NULL, 'r' },
		{ "show-output", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long iters = DEFAULT_ITERS, reps = DEFAULT_REPS, failures = 0;
	bool json = false, show = false;
	int c, devnull = -1, last_status = 0;
	double *ns, *sorted, med;
	char **cmd, *file;

	/* '+': stop at the first non-option, so CMD's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+i:r:ojh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_ulong(optarg, 10000000UL, &iters) < 0 || !iters) {
				fprintf(stderr, PROG ": invalid --iters '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (parse_ulong(optarg, MAX_REPS, &reps) < 0 || !reps) {
				fprintf(stderr, PROG ": invalid --reps '%s' (1..%lu)\n", optarg, MAX_REPS);
				return EXIT_USAGE;
			}
			break;
		case 'o': show = true; break;
		case 'j': json = true; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, PROG ": no command given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv + optind;

	file = resolve(cmd[0]);
	if (!file) {
		report_errno(PROG, cmd[0], errno);
		return EXIT_FAILURE;
	}
	if (!show) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0) {
			report_errno(PROG, "/dev/null", errno);
			return EXIT_FAILURE;
		}
	}
	ns = calloc(reps, sizeof(*ns));
	sorted = calloc(reps, sizeof(*sorted));
	if (!ns || !sorted) {
		report_errno(PROG, "calloc", ENOMEM);
		return EXIT_FAILURE;
	}

	for (unsigned long rep = 0; rep <= reps; rep++) {
		/* rep 0: one warm-up run (page cache, dynamic loader caches) */
		unsigned long n = rep ? iters : 1;
		long long t0 = now_ns();

		for (unsigned long i = 0; i < n; i++) {
			int st = run_once(file, cmd, devnull);

			if (st < 0) {
				report_errno(PROG, "fork/wait", -st);
				return EXIT_FAILURE;
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				failures += rep > 0; /* the warm-up run is not counted */
				last_status = st;
			}
		}
		if (rep)
			ns[rep - 1] = (double)(now_ns() - t0) / (double)n;
	}
	memcpy(sorted, ns, reps * sizeof(*ns));
	med = median(sorted, reps);

	if (json) {
		printf("{\"command\":\"");
		for (char **a = cmd; *a; a++) {
			if (a != cmd)
				putchar(' ');
			for (const char *p = *a; *p; p++) {
				if (*p == '"' || *p == '\\')
					printf("\\%c", *p);
				else if ((unsigned char)*p < 0x20)
					printf("\\u%04x", *p);
				else
					putchar(*p);
			}
		}
		printf("\",\"iters\":%lu,\"reps\":%lu,\"failures\":%lu,\"ns_per_exec\":[",
		       iters, reps, failures);
		for (unsigned long i = 0; i < reps; i++)
			printf("%s%.0f", i ? "," : "", ns[i]);
		printf("],\"median_ns_per_exec\":%.0f}\n", med);
	} else {
		printf("command=");
		for (char **a = cmd; *a; a++)
			printf("%s%s", a != cmd ? " " : "", *a);
		printf("\niters=%lu\nreps=%lu\n", iters, reps);
		for (unsigned long i = 0; i < reps; i++)
			printf("ns_per_exec=%.0f\n", ns[i]);
		printf("median_ns_per_exec=%.0f\n", med);
		printf("failures=%lu\n", failures);
	}
	if (failures) {
		if (WIFEXITED(last_status))
			fprintf(stderr, PROG ": %lu runs failed (last: exit status %d)\n",
				failures, WEXITSTATUS(last_status));
		else
			fprintf(stderr, PROG ": %lu runs failed (last: signal %d)\n",
				failures, WTERMSIG(last_status));
		return EXIT_FAILURE;
	}
	free(ns);
	free(sorted);
	free(file);
	return EXIT_SUCCESS;
}
