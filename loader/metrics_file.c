// SPDX-License-Identifier: GPL-2.0-only
/* METRICS-DIR/mptcpify.prom, for the daemon (see metrics_file.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_file.h"
#include "util.h"

/* node_exporter reads *.prom only: a temporary file is never read. */
#define TEMP_PREFIX "." CONF_METRICS_FILE "."

/* The sock_diag socket among those systemd passed (sd_listen_fds(3), read
 * by hand: libsystemd is optional), or -1. The variables are unset so that
 * programs the daemon runs (systemctl) do not take them for theirs. */
static int take_diag_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int found = -1, n;

	if (!pid || !fds || atol(pid) != (long)getpid())
		return -1;
	n = atoi(fds);
	for (int fd = 3; fd < 3 + n && fd < 64; fd++) {
		int domain = 0, proto = 0;
		socklen_t len = sizeof(int);

		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
			continue;
		len = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
			continue;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (domain == AF_NETLINK && proto == NETLINK_SOCK_DIAG && found < 0)
			found = fd;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return found;
}

void metrics_file_init(struct metrics_file *m)
{
	*m = (struct metrics_file) { .diag_fd = take_diag_socket() };
}

void metrics_file_configure(struct metrics_file *m, const struct mptcpify_conf *c)
{
	const char *dir = c->metrics_dir;
	unsigned interval = conf_metrics_interval(c);
	bool same = (!dir && !m->dir) || (dir && m->dir && strcmp(dir, m->dir) == 0);

	if (same && interval == m->interval)
		return;
	free(m->dir);
	m->dir = dir ? strdup(dir) : NULL;
	m->interval = interval;
	m->swept = false;
	m->said[0] = m->said_connections[0] = '\0';
	if (m->dir)
		printf("metrics: writing %s/%s every %u s\n", m->dir, CONF_METRICS_FILE, interval);
	else if (!same)
		printf("metrics: no metrics-dir, none written\n");
	clock_gettime(CLOCK_MONOTONIC, &m->due);  /* now */
}

/* Temporaries of a daemon killed before its rename. Ours is reused. */
static void sweep(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char ours[64];

	if (!d) {
		closep(&fd);
		return;
	}
	snprintf(ours, sizeof(ours), TEMP_PREFIX "%d", (int)getpid());
	for (struct dirent *de; (de = readdir(d));)
		if (strncmp(de->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0 &&
		    strcmp(de->d_name, ours) != 0)
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, buf, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += k;
		len -= (size_t)k;
	}
	return 0;
}

/* One line for a failure to write into dir, cause and fix. */
static void explain(const struct metrics_file *m, int dfd, int err, const char *step,
		    char *buf, size_t len)
{
	struct stat st;

	switch (err) {
	case ENOENT:
		snprintf(buf, len, "metrics-dir %s does not exist: create it, then restart "
			 "mptcpify-bpf (its sandbox opens metrics-dir for writing at start)", m->dir);
		break;
	case ENOTDIR:
		snprintf(buf, len, "metrics-dir %s is not a directory: name a directory in "
			 "mptcpify.conf, then systemctl daemon-reload and restart mptcpify-bpf", m->dir);
		break;
	case EROFS:
		snprintf(buf, len, "metrics-dir %s is read-only for mptcpify-bpf: its sandbox allows "
			 "writing only where metrics-dir pointed when it started (systemctl "
			 "daemon-reload, then restart mptcpify-bpf), and the file system must be "
			 "writable", m->dir);
		break;
	case EACCES:
	case EPERM:
		if ((dfd >= 0 ? fstat(dfd, &st) : stat(m->dir, &st)) == 0) {
			snprintf(buf, len, "metrics-dir %s is not writable by mptcpify-bpf (owner uid "
				 "%u, mode %04o; the daemon is root without CAP_DAC_OVERRIDE): make it "
				 "root's, writable by its owner", m->dir, (unsigned)st.st_uid,
				 (unsigned)(st.st_mode & 07777));
			break;
		}
		/* fall through */
	default:
		snprintf(buf, len, "cannot %s %s/%s: %s", step, m->dir, CONF_METRICS_FILE,
			 strerror(err));
	}
}

/* 0, or the errno of the step that failed with the message in msg. */
static int write_file(struct metrics_file *m, const char *text, size_t len, char *msg, size_t msglen)
{
	_cleanup_close_ int dfd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char tmp[64];
	int fd, r;

	if (dfd < 0) {
		r = errno;
		explain(m, -1, r, "open", msg, msglen);
		return r;
	}
	if (!m->swept) {
		sweep(dfd);
		m->swept = true;
	}
	snprintf(tmp, sizeof(tmp), TEMP_PREFIX "%d", (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = errno;
		explain(m, dfd, r, "create a temporary file beside", msg, msglen);
		return r;
	}
	/* The service's umask (0077) must not hide the file from
	 * node_exporter, which runs as another user. */
	r = fchmod(fd, 0644) < 0 ? errno : 0;
	if (!r)
		r = -write_all(fd, text, len);
	if (close(fd) < 0 && !r)
		r = errno;
	/* No fsync(): the file is rewritten every few seconds and means
	 * nothing after a crash; syncing each time would only wear the disk.
	 * After a crash node_exporter may find it empty or old until the next
	 * write, never half of it. */
	if (!r && renameat(dfd, tmp, dfd, CONF_METRICS_FILE) < 0)
		r = errno;
	if (r) {
		unlinkat(dfd, tmp, 0);
		explain(m, dfd, r, "write", msg, msglen);
	}
	return r;
}


void metrics_file_tick(struct metrics_file *m, bool now)
{
	struct metrics_opts o = { .host_diag_fd = m->diag_fd };
	struct metrics_problems p;
	struct timespec t;
	char *text = NULL, msg[sizeof(m->said)] = "";
	size_t len = 0;
	FILE *f;

	if (!m->dir)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!now && (t.tv_sec < m->due.tv_sec ||
		     (t.tv_sec == m->due.tv_sec && t.tv_nsec < m->due.tv_nsec)))
		return;
	/* Every interval from the first write, whatever each write took;
	 * after a stall (a suspended machine), from now on. */
	m->due.tv_sec += m->interval;
	if (m->due.tv_sec < t.tv_sec || (m->due.tv_sec == t.tv_sec && m->due.tv_nsec < t.tv_nsec)) {
		m->due = t;
		m->due.tv_sec += m->interval;
	}

	f = open_memstream(&text, &len);
	if (!f || metrics_write(f, &o, &p) < 0) {
		snprintf(msg, sizeof(msg), "cannot gather the metrics: out of memory");
		p.connections[0] = '\0';
	}
	if (f)
		fclose(f);
	if (!msg[0])
		write_file(m, text, len, msg, sizeof(msg));
	free(text);
	/* Each change is said once: a new failure, or the end of one. */
	if (strcmp(m->said, msg) != 0) {
		if (msg[0])
			warn("metrics: %s; no metrics are written until this changes", msg);
		else
			printf("metrics: %s/%s written again\n", m->dir, CONF_METRICS_FILE);
		snprintf(m->said, sizeof(m->said), "%s", msg);
	}
	if (strcmp(m->said_connections, p.connections) != 0) {
		if (p.connections[0])
			warn("metrics: MPTCP connections not counted: %s", p.connections);
		else if (m->said_connections[0])
			printf("metrics: MPTCP connections counted again\n");
		snprintf(m->said_connections, sizeof(m->said_connections), "%s", p.connections);
	}
}

int metrics_file_wait_ms(const struct metrics_file *m, int max_ms)
{
	struct timespec t;
	long long ms;

	if (!m->dir)
		return max_ms;
	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(m->due.tv_sec - t.tv_sec) * 1000 + (m->due.tv_nsec - t.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms < max_ms ? (int)ms + 1 : max_ms;
}

void metrics_file_free(struct metrics_file *m)
{
	free(m->dir);
	m->dir = NULL;
	closep(&m->diag_fd);
}
