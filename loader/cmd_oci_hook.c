// SPDX-License-Identifier: GPL-2.0-only
/* oci-hook: what an OCI runtime (crun, runc) runs at createRuntime for a
 * container that opted in (the hooks.d file matches the annotation
 * io.mptcpify.enable=true; the CDI device mptcpify.io/mptcp=enable carries
 * the same hook). The state on stdin names the container's first process,
 * already in its final cgroup and stopped before the container's program;
 * that cgroup is selected by its id, as `run` and --own-cgroup do, so
 * everything the container runs gets MPTCP from its first socket(). The
 * kernel's rmdir() program forgets the id when the container's cgroup goes.
 *
 * It fails open: a runtime stops a container whose hook exits non-zero or
 * outlives its timeout, and nothing of ours may do that. So the work runs in
 * a child: the hook waits for it at most --wait seconds (below the hooks.d
 * timeout), logs one line to syslog (the journal) saying what happened and,
 * when it failed, why and what fixes it, and exits 0 whatever happened. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#include "cgroups.h"
#include "commands.h"
#include "containers.h"
#include "oci_state.h"
#include "persist.h"
#include "rules.h"
#include "state.h"
#include "util.h"

/* What the child tells the parent, before its messages. */
#define SAY_LOADED "@loaded\n"
#define SAY_CGROUP "@cgroup "

static void hook_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line to syslog, and to stderr for a person running it by hand
 * (runtimes send a hook's stderr nowhere unless told to). */
static void hook_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	fputs("mptcpify oci-hook: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The saved selection, when this hook is what loaded the program (as
 * `attach` does): a bad file is reported and the container still selected. */
static void apply_saved(struct state *s)
{
	struct mptcpify_conf conf = {};

	if (persist_load(&conf) == 0)
		persist_apply(s, &conf);
	else
		fprintf(stderr, "mptcpify: the saved rules were not applied; fix the file, then "
			"'systemctl reload mptcpify-bpf' or 'mptcpify load'\n");
	conf_free(&conf);
}

/* The child's job: select the cgroup of pid. An exit status; messages on
 * stderr (fail()'s), the facts for the parent on stdout. */
static int select_container(pid_t pid)
{
	struct state s = STATE_INIT;
	char cg[PATH_MAX], canon[PATH_MAX], own[PATH_MAX];
	uint64_t id, again;
	int r, e, depth;

	r = cgroup_of_pid(pid, cg, sizeof(cg));
	if (r < 0)
		return fail(EXIT_BAD_CGROUP, "cannot read /proc/%d/cgroup: %s (the container's "
			    "process is gone, or the hook runs in another PID namespace than the "
			    "runtime)", (int)pid, strerror(-r));
	r = cgroup_resolve(cg, &id, canon, sizeof(canon), &depth);
	if (r)
		return r;
	/* A container without a cgroup of its own (podman --cgroups=disabled,
	 * a runtime in the root cgroup) shares it with others: selecting it
	 * would select them too. */
	if (depth == 0 || (cgroup_of_pid(0, own, sizeof(own)) == 0 && strcmp(own, canon) == 0))
		return fail(EXIT_BAD_CGROUP, "the container has no cgroup of its own (its process "
			    "is in %s, with %s): select it by another rule", canon,
			    depth == 0 ? "every process of the machine" : "the container engine");
	r = state_open(&s, STATE_WRITE | STATE_CREATE);
	if (r)
		return r;
	if (s.created) {
		printf(SAY_LOADED);
		apply_saved(&s);
	}
	e = rule_cgroup_add(&s, id, MPTCPIFY_RULE_CONTAINER, 0);
	if (e == -E2BIG)
		r = fail(EXIT_FULL, "the cgroup rule map is full (%d live cgroups selected): detach "
			 "some rules", MPTCPIFY_MAX_CGROUP_RULES);
	else if (e < 0 && e != -EEXIST)
		r = fail(EXIT_INTERNAL, "cannot add the cgroup rule: %s", strerror(-e));
	else if (cgroup_id_of_path(canon, &again) < 0 || again != id) {
		/* Removed before the rule was in: the rmdir() program had
		 * nothing to forget, so the id must not stay. */
		rule_cgroup_del(&s, id);
		r = fail(EXIT_BAD_CGROUP, "the container's cgroup %s was removed meanwhile", canon);
	}
	rules_recount(&s);
	state_close(&s);
	if (!r)
		printf(SAY_CGROUP "%s\n", canon + strlen(CGROUP2_ROOT));
	return r;
}

/* The child's messages as one line: facts taken out, "mptcpify: " dropped,
 * lines joined with "; ". */
static void summarise(char *text, bool *loaded, char *cgroup, size_t cg_len,
		      char *msg, size_t msg_len)
{
	size_t n = 0;

	msg[0] = '\0';
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strcmp(line, "@loaded") == 0) {
			*loaded = true;
			continue;
		}
		if (strncmp(line, SAY_CGROUP, strlen(SAY_CGROUP)) == 0) {
			snprintf(cgroup, cg_len, "%s", line + strlen(SAY_CGROUP));
			continue;
		}
		if (strncmp(line, "mptcpify: ", 10) == 0)
			line += 10;
		if (n < msg_len)
			n += snprintf(msg + n, msg_len - n, "%s%s", n ? "; " : "", line);
	}
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The child: does the work with its messages kept in memory, then hands
 * them to the parent in one write. Neither the runtime's pipes nor a parent
 * that stopped waiting may hold it up; when the parent is gone (it waited
 * --wait seconds and let the container start), it logs the outcome itself. */
static int worker(const struct oci_state *st, int out_fd, pid_t parent, const struct timespec *t0)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), status;

	signal(SIGPIPE, SIG_IGN);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	if (m)
		stdout = stderr = m;
	status = select_container(st->pid);
	if (m)
		fclose(m);
	if (getppid() != parent || !text || write(out_fd, text, len) != (ssize_t)len) {
		char cg[PATH_MAX] = "", msg[2048];
		bool loaded = false;

		if (text)
			summarise(text, &loaded, cg, sizeof(cg), msg, sizeof(msg));
		syslog(status ? LOG_WARNING : LOG_INFO, "container %.12s: %s after the hook stopped "
		       "waiting (%.1f s)%s%s", st->id, status ? "not selected" : "selected",
		       elapsed_ms(t0) / 1000.0, text && msg[0] ? ": " : "", text ? msg : "");
	}
	free(text);
	return status;
}

/* Reads the child's output until it closes it or the wait is over: true
 * when it ended in time. */
static bool collect(int fd, char *buf, size_t len, long wait_ms, const struct timespec *t0)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = wait_ms - elapsed_ms(t0);
		ssize_t r;

		if (left <= 0)
			break;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n += r) >= len - 1) {
			buf[n] = '\0';
			return true;
		}
	}
	buf[n] = '\0';
	return false;
}

static void report(const struct oci_state *st, int status, char *out)
{
	char cgroup[PATH_MAX] = "", msg[2048], name[CONTAINER_SHORT_LEN + 1];
	bool loaded = false;

	/* The id as the engines show it (podman ps, crictl ps). */
	snprintf(name, sizeof(name), "%.*s", CONTAINER_SHORT_LEN, st->id);
	summarise(out, &loaded, cgroup, sizeof(cgroup), msg, sizeof(msg));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		hook_log(msg[0] ? LOG_WARNING : LOG_INFO, "container %s: selected, its TCP sockets "
			 "are MPTCP (cgroup %s)%s%s%s", name, cgroup,
			 loaded ? "; the program was not loaded: loaded it (enable "
			 "mptcpify-bpf.service to load it at boot)" : "",
			 msg[0] ? "; " : "", msg);
	else if (WIFEXITED(status))
		hook_log(LOG_WARNING, "container %s: not selected, it keeps TCP: %s", name,
			 msg[0] ? msg : "no reason given");
	else
		hook_log(LOG_ERR, "container %s: not selected, it keeps TCP: the hook was killed by "
			 "signal %d; please report this", name, WTERMSIG(status));
}

int do_oci_hook(const struct cli *c)
{
	_cleanup_free_ char *in = NULL;
	char why[256], out[8192];
	struct oci_state st;
	struct timespec t0;
	size_t n = 0;
	long wait_ms = (long)(c->timeout * 1000);
	int p[2], status;
	pid_t parent = getpid(), child;
	ssize_t r;

	if (isatty(STDIN_FILENO))
		return usage_error("oci-hook", "%s%s%sthe container runtime runs it with the "
				   "container's state (JSON) on stdin; see mptcpify(8)",
				   c->bad_arg ? "unexpected argument '" : "", c->bad_arg ? c->bad_arg : "",
				   c->bad_arg ? "'; " : "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	openlog("mptcpify-oci-hook", LOG_PID, LOG_DAEMON);
	if (c->bad_arg)
		hook_log(LOG_WARNING, "ignoring the argument '%s' (see mptcpify oci-hook --help); "
			 "waiting at most %.1f s", c->bad_arg, c->timeout);
	in = malloc(OCI_STATE_MAX + 1);
	if (!in) {
		hook_log(LOG_ERR, "out of memory: no container selected");
		return EXIT_OK;
	}
	while (n <= OCI_STATE_MAX && (r = read(STDIN_FILENO, in + n, OCI_STATE_MAX + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			hook_log(LOG_WARNING, "cannot read the OCI state on stdin: %s; no container "
				 "selected", strerror(errno));
			return EXIT_OK;
		}
		n += r;
	}
	if (oci_state_parse(in, n, &st, why, sizeof(why)) < 0) {
		hook_log(LOG_WARNING, "%s; no container selected (is the hook run by a container "
			 "runtime, at the createRuntime stage?)", why);
		return EXIT_OK;
	}
	if (st.pid <= 0) {
		hook_log(LOG_WARNING, "container %.12s: the OCI state has no pid (status '%s'); nothing "
			 "selected: run the hook at the createRuntime stage", st.id, st.status);
		return EXIT_OK;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (child = fork()) < 0) {
		hook_log(LOG_WARNING, "container %.12s: not selected, it keeps TCP: cannot start the "
			 "hook's worker: %s", st.id, strerror(errno));
		return EXIT_OK;
	}
	if (child == 0)
		_exit(worker(&st, p[1], parent, &t0));
	close(p[1]);
	if (!collect(p[0], out, sizeof(out), wait_ms, &t0)) {
		/* The child's write fails from now on: it logs its outcome. */
		close(p[0]);
		hook_log(LOG_WARNING, "container %.12s: not selected within %.1f s, so its first "
			 "sockets may be TCP; still trying in the background (pid %d); is another "
			 "mptcpify holding %s? (mptcpify oci-hook --wait SEC waits longer; keep it "
			 "below the hook's timeout)", st.id, wait_ms / 1000.0, (int)child, pin_root());
		return EXIT_OK;
	}
	close(p[0]);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) {
			status = EXIT_INTERNAL << 8;
			break;
		}
	report(&st, status, out);
	return EXIT_OK;
}
