// SPDX-License-Identifier: GPL-2.0-only
/* enable/disable UNIT: per-service opt-in without touching the vendor unit.
 * A drop-in makes systemd run `mptcpify attach --runtime --own-cgroup` as
 * an ExecStartPre= of the service, in the service's brand-new cgroup, so
 * that the service is selected from its first socket after every start;
 * ExecStopPost= removes the rule of the cgroup that is going away. */
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroups.h"
#include "commands.h"
#include "config.h"
#include "rules.h"
#include "state.h"
#include "util.h"

#define DROPIN_NAME "50-mptcpify.conf"

extern char **environ;

static const char *unit_dir(void)
{
	const char *e = getenv("MPTCPIFY_SYSTEMD_DIR");  /* for tests */

	return e && *e ? e : "/etc/systemd/system";
}

static int systemctl(const char *verb, const char *unit)
{
	char *argv[] = { "systemctl", (char *)verb, (char *)unit, NULL };
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "systemctl", NULL, NULL, argv, environ) != 0)
		return -errno;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int check_unit(const char *cmd, const char *unit)
{
	const char *why = NULL;

	if (unit_name_check(unit, &why) < 0)
		return fail(EXIT_BAD_UNIT, "cannot %s unit '%s': %s", cmd, unit, why);
	if (!strstr(unit, ".service") || strcmp(strrchr(unit, '.'), ".service") != 0)
		return fail(EXIT_BAD_UNIT, "cannot %s unit '%s': only .service units run "
			    "ExecStartPre=; for a slice or scope use 'mptcpify attach --cgroup'", cmd, unit);
	return 0;
}

int do_enable(const struct cli *c)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 64];
	const char *unit = c->unit;
	FILE *f;
	int r;

	r = check_unit("enable", unit);
	if (r)
		return r;
	snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir(), unit);
	snprintf(path, sizeof(path), "%s/%s", dir, DROPIN_NAME);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail(errno == EACCES ? EXIT_NOPERM : EXIT_INTERNAL, "cannot create %s: %s",
			    dir, strerror(errno));
	f = fopen(tmp, "we");
	if (!f)
		return fail(errno == EACCES ? EXIT_NOPERM : EXIT_INTERNAL, "cannot write %s: %s",
			    tmp, strerror(errno));
	/* '+': outside the service's sandbox and user; '-': never keeps the
	 * service from starting (it then simply keeps TCP). */
	fprintf(f, "# Written by 'mptcpify enable %s'; 'mptcpify disable %s' removes it.\n"
		"[Service]\n"
		"ExecStartPre=-+%s/mptcpify attach --runtime --own-cgroup\n"
		"ExecStopPost=-+%s/mptcpify detach --runtime --own-cgroup\n",
		unit, unit, MPTCPIFY_SBINDIR, MPTCPIFY_SBINDIR);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return fail(EXIT_INTERNAL, "cannot write %s: %s", path, strerror(errno));
	}
	if (systemctl("daemon-reload", NULL) < 0)
		warn("systemctl daemon-reload failed: run it before restarting %s", unit);
	if (!arg_json)
		printf("%s: enabled (%s); it is selected from its next start: systemctl restart %s\n",
		       unit, path, unit);
	return EXIT_OK;
}

/* The running instance's cgroup rule goes now: its ExecStopPost= is gone
 * with the drop-in, and its new sockets should be TCP from now on. */
static void deselect_running(const char *unit)
{
	struct state s = STATE_INIT;
	bool was = log_quiet;
	uint64_t id;

	if (!state_is_pinned() || cgroup_resolve_quiet(unit, true, &id) != 0)
		return;
	log_quiet = true;
	if (state_open(&s, STATE_WRITE) == 0 && rule_cgroup_del(&s, id) == 0)
		rules_recount(&s);
	log_quiet = was;
	state_close(&s);
}

int do_disable(const struct cli *c)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	const char *unit = c->unit;
	int r;

	r = check_unit("disable", unit);
	if (r)
		return r;
	snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir(), unit);
	snprintf(path, sizeof(path), "%s/%s", dir, DROPIN_NAME);
	if (unlink(path) < 0) {
		if (errno != ENOENT)
			return fail(errno == EACCES ? EXIT_NOPERM : EXIT_INTERNAL, "cannot remove %s: %s",
				    path, strerror(errno));
		if (!arg_json)
			printf("%s: was not enabled\n", unit);
		return EXIT_OK;
	}
	rmdir(dir);  /* only if nothing else is in it */
	deselect_running(unit);
	if (systemctl("daemon-reload", NULL) < 0)
		warn("systemctl daemon-reload failed: run it");
	if (!arg_json)
		printf("%s: disabled; its new sockets are TCP\n", unit);
	return EXIT_OK;
}
