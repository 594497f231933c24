// SPDX-License-Identifier: GPL-2.0-only
/* The canonical text of a configuration, and replacing a file with it atomically. */
#include "conf_private.h"

/* ---- writer ------------------------------------------------------------ */

/* Whether a value must be quoted to read back the same: the cases where an
 * unquoted value would lose blanks, start a quoted one, or look like a
 * comment (see parse_value()). Values hold no tab: they are checked. */
static bool needs_quotes(const char *v) {
	size_t n = strlen(v);

	return n == 0 || v[0] == ' ' || v[n - 1] == ' ' || v[0] == '"' ||
		looks_like_comment(v, n);
}

static void write_value(FILE *f, const char *key, const char *v) {
	fprintf(f, "%s = ", key);
	if (!needs_quotes(v)) {
		fprintf(f, "%s\n", v);
		return;
	}
	fputc('"', f);
	for (const char *i = v; *i; i++) {
		if (*i == '"' || *i == '\\')
			fputc('\\', f);
		fputc(*i, f);
	}
	fputs("\"\n", f);
}

static void write_list(FILE *f, const char *key, const struct conf_list *l) {
	for (size_t i = 0; i < l->n; i++)
		write_value(f, key, l->v[i]);
}

/* key = PREFIXvalue, quoted when the whole value needs it. */
static void write_prefixed(FILE *f, const char *key, const char *prefix, const struct conf_list *l) {
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *v = NULL;

		if (asprintf(&v, "%s%s", prefix, l->v[i]) < 0)
			continue;
		write_value(f, key, v);
	}
}

int conf_format(const struct mptcpify_conf *c, char **ret, size_t *ret_len) {
	/* buf before f: cleanups run in reverse order, and fclose() writes to
	 * buf, so f must be closed before buf is freed. */
	_cleanup_free_ char *buf = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	size_t len = 0;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;

	fputs("# mptcpify configuration, see mptcpify.conf(5).\n"
	      "# mptcpify(8) rewrites this file when rules are added or removed: it keeps\n"
	      "# the rules, not comments or order. Keep hand-written rules in conf.d/.\n", f);

	if (c->all || c->comms.n > 0 || c->cgroups.n > 0 || c->units.n > 0) {
		fputs("\n[select]\n", f);
		if (c->all)
			fputs("all = yes\n", f);
		write_list(f, "comm", &c->comms);
		write_list(f, "cgroup", &c->cgroups);
		write_list(f, "unit", &c->units);
	}
	if (c->exclude_comms.n > 0 || c->exclude_cgroups.n > 0 || c->exclude_units.n > 0) {
		fputs("\n[exclude]\n", f);
		write_list(f, "comm", &c->exclude_comms);
		write_list(f, "cgroup", &c->exclude_cgroups);
		write_list(f, "unit", &c->exclude_units);
	}
	if (c->audit_all || c->audit_comms.n > 0 || c->audit_cgroups.n > 0 || c->audit_units.n > 0 ||
	    c->deny_comms.n > 0 || c->deny_cgroups.n > 0 || c->deny_units.n > 0 || c->compat_exclude) {
		fputs("\n[compat]\n", f);
		if (c->compat_exclude)
			fputs("compat = exclude\n", f);
		if (c->audit_all)
			fputs("audit = all\n", f);
		write_prefixed(f, "audit", "comm:", &c->audit_comms);
		write_prefixed(f, "audit", "cgroup:", &c->audit_cgroups);
		write_prefixed(f, "audit", "unit:", &c->audit_units);
		write_prefixed(f, "deny", "comm:", &c->deny_comms);
		write_prefixed(f, "deny", "cgroup:", &c->deny_cgroups);
		write_prefixed(f, "deny", "unit:", &c->deny_units);
	}
	if (!conf_daemon_is_empty(c)) {
		fputs("\n[daemon]\n", f);
		if (c->metrics_dir)
			write_value(f, "metrics-dir", c->metrics_dir);
		if (c->metrics_interval)
			fprintf(f, "metrics-interval = %u\n", c->metrics_interval);
	}

	if (fflush(f) != 0 || ferror(f))
		return -ENOMEM;
	/* buf stays valid after fclose(), with its final contents. */
	fclose(TAKE_PTR(f));

	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len) {
	while (len > 0) {
		ssize_t k = write(fd, buf, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += k;
		len -= k;
	}
	return 0;
}

/* Create ".#NAME.XXXXXXXXXXXXXXXX" next to the target: dot-names are skipped
 * by conf_load_dir(), so a leftover after a crash is never read. The name
 * only has to be unlikely to exist (O_EXCL does the rest), so pid and clock
 * will do, and no getrandom() can block early at boot. */
static int create_temp(int dfd, const char *base, char **ret_name) {
	for (unsigned attempt = 0; attempt < 16; attempt++) {
		_cleanup_free_ char *name = NULL;
		struct timespec ts;
		uint64_t tag;
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		tag = ((uint64_t) getpid() << 40) ^ ((uint64_t) ts.tv_sec << 30) ^
			(uint64_t) ts.tv_nsec ^ ((uint64_t) attempt << 56);
		if (asprintf(&name, ".#%s.%016llx", base, (unsigned long long) tag) < 0)
			return -ENOMEM;
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			*ret_name = TAKE_PTR(name);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Write text to a new temporary file and rename it over base in dfd. */
static int replace_file(int dfd, const char *base, const char *text, size_t len) {
	_cleanup_free_ char *tmp = NULL;
	int fd, r;

	fd = create_temp(dfd, base, &tmp);
	if (fd < 0)
		return fd;

	/* The umask must not decide who may read the rules. */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fault_point("config-written");  /* the new file is whole, not in place yet */
	if (r == 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r < 0) {
		(void) unlinkat(dfd, tmp, 0);
		return r;
	}

	/* Make the rename itself durable. */
	return fsync(dfd) < 0 ? -errno : 0;
}

int conf_write_atomic(const struct mptcpify_conf *c, const char *path) {
	_cleanup_free_ char *text = NULL, *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *slash, *base;
	size_t len;
	int r;

	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (*base == 0)
		return -EISDIR;
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	if (!dir)
		return -ENOMEM;

	r = conf_format(c, &text, &len);
	if (r < 0)
		return r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	return replace_file(dfd, base, text, len);
}
