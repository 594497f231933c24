// SPDX-License-Identifier: GPL-2.0-only
/* run: start a command in a fresh cgroup that is selected, so that it and
 * its children (and nobody else) get MPTCP; clean up when it exits. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroups.h"
#include "commands.h"
#include "rules.h"
#include "state.h"
#include "util.h"

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* A child cgroup of our own: moving ourselves out of a cgroup that has
 * processes is always allowed, and systemd delegates nothing here. */
static int make_cgroup(char *path, size_t len)
{
	char own[PATH_MAX - 64];

	if (cgroup_of_pid(0, own, sizeof(own)) < 0)
		snprintf(own, sizeof(own), "%s", CGROUP2_ROOT);
	snprintf(path, len, "%s/mptcpify-run-%d", own, (int)getpid());
	if (mkdir(path, 0755) < 0)
		return fail(EXIT_BAD_CGROUP, "cannot create cgroup %s: %s (is cgroup v2 mounted "
			    "on %s?)", path, strerror(errno), CGROUP2_ROOT);
	return 0;
}

static int select_cgroup(const char *path, uint64_t *id, bool on)
{
	struct state s = STATE_INIT;
	char canon[PATH_MAX];
	int r;

	r = on ? cgroup_resolve(path, id, canon, sizeof(canon), NULL) : 0;
	if (!r)
		r = state_open(&s, STATE_WRITE | (on ? STATE_CREATE : 0));
	if (!r) {
		int e = on ? rule_cgroup_add(&s, *id, 0, 0) : rule_cgroup_del(&s, *id);

		if (e == -E2BIG)
			r = fail(EXIT_FULL, "the cgroup rule map is full: detach some rules first");
		else if (e < 0 && e != -EEXIST && e != -ENOENT)
			r = fail(EXIT_INTERNAL, "cannot change the cgroup rule: %s", strerror(-e));
		rules_recount(&s);
	}
	state_close(&s);
	return r;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_INTERNAL;
}

int do_run(const struct cli *c)
{
	char *const *argv = c->run_argv;
	char path[PATH_MAX], procs[PATH_MAX + 16];
	struct sigaction sa = { .sa_handler = forward }, ign = { .sa_handler = SIG_IGN };
	uint64_t id = 0;
	int r, status, ready[2];

	r = need_bpf_privileges("run");
	if (r)
		return r;
	r = make_cgroup(path, sizeof(path));
	if (r)
		return r;
	r = select_cgroup(path, &id, true);
	if (r) {
		rmdir(path);
		return r;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	if (pipe2(ready, O_CLOEXEC) < 0) {
		r = fail(EXIT_INTERNAL, "pipe: %s", strerror(errno));
		goto cleanup;
	}
	child = fork();
	if (child < 0) {
		r = fail(EXIT_INTERNAL, "fork: %s", strerror(errno));
		goto cleanup;
	}
	if (child == 0) {
		char one;

		close(ready[1]);
		/* Wait until the parent has moved us; then exec. */
		if (read(ready[0], &one, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "mptcpify: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(ready[0]);
	{
		char pid[32];

		snprintf(pid, sizeof(pid), "%d", (int)child);
		if (write_file_str(procs, pid) < 0) {
			r = fail(EXIT_INTERNAL, "cannot move the command into %s: %s", path, strerror(errno));
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			close(ready[1]);
			goto cleanup;
		}
	}
	/* Like system(): the terminal's ^C/^\ reach the child directly. */
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (write(ready[1], "x", 1) != 1)
		warn("cannot start the command: %s", strerror(errno));
	close(ready[1]);
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			status = EXIT_INTERNAL << 8;
			break;
		}
	}
	r = exit_code(status);
cleanup:
	select_cgroup(path, &id, false);
	if (rmdir(path) < 0 && errno == EBUSY)
		warn("processes started by the command still run in %s; it is no longer selected "
		     "and stays until they exit", path);
	return r;
}
