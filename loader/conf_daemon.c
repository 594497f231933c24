// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's settings, section [daemon] of mptcpify.conf(5): where and how
 * often it writes its metrics. Single values: the last assignment read wins,
 * so that a drop-in can override (or, with an empty value, unset) the main
 * file's. */
#include "conf_private.h"

/* Directories the daemon would write into a place nobody else looks:
 * mptcpify-bpf.service has a /tmp of its own (PrivateTmp=yes) and no homes
 * (ProtectHome=yes). */
static const struct {
	const char *dir, *why;
} hidden_dirs[] = {
	{ "/tmp", "mptcpify-bpf.service has a /tmp of its own (PrivateTmp=yes)" },
	{ "/var/tmp", "mptcpify-bpf.service has a /var/tmp of its own (PrivateTmp=yes)" },
	{ "/home", "mptcpify-bpf.service cannot see /home (ProtectHome=yes)" },
	{ "/root", "mptcpify-bpf.service cannot see /root (ProtectHome=yes)" },
	{ "/run/user", "mptcpify-bpf.service cannot see /run/user (ProtectHome=yes)" },
};

static bool path_below(const char *path, const char *dir) {
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int metrics_dir_check(const char *s, const char **why) {
	const char *r = NULL, *p;
	size_t n = strlen(s);

	if (s[0] != '/')
		r = "not an absolute path";
	else if (n > PATH_MAX - 64)
		r = "longer than 4032 bytes";
	else if (strspn(s, "/") == n)
		r = "the root directory (the daemon would be allowed to write anywhere)";
	else if (strpbrk(s, "\"\\"))
		r = "contains '\"' or '\\' (the service's sandbox is set up from this path)";
	else
		r = value_text_check(s, n);
	for (p = s; !r && p; p = strchr(p + 1, '/'))
		if (strncmp(p, "/..", 3) == 0 && (p[3] == 0 || p[3] == '/'))
			r = "has a '..' component";
	for (size_t i = 0; !r && i < ELEMENTSOF(hidden_dirs); i++)
		if (path_below(s, hidden_dirs[i].dir))
			r = hidden_dirs[i].why;
	if (why)
		*why = r;
	return r ? -EINVAL : 0;
}

int metrics_interval_parse(const char *s, unsigned *ret, const char **why) {
	unsigned long v = 0;
	const char *r = NULL;

	if (!*s)
		r = "empty";
	for (const char *c = s; !r && *c; c++) {
		if (*c < '0' || *c > '9')
			r = "not a whole number of seconds";
		else if ((v = v * 10 + (unsigned long) (*c - '0')) > CONF_METRICS_INTERVAL_MAX)
			r = "more than a day (86400 seconds)";
	}
	if (!r && v == 0)
		r = "0 seconds";
	if (why)
		*why = r;
	if (r)
		return -EINVAL;
	*ret = (unsigned) v;
	return 0;
}

unsigned conf_metrics_interval(const struct mptcpify_conf *c) {
	return c->metrics_interval ? c->metrics_interval : CONF_METRICS_INTERVAL_DEFAULT;
}

int conf_daemon_copy(struct mptcpify_conf *dst, const struct mptcpify_conf *src) {
	dst->metrics_interval = src->metrics_interval;
	if (!src->metrics_dir)
		return 0;
	dst->metrics_dir = strdup(src->metrics_dir);
	return dst->metrics_dir ? 0 : -ENOMEM;
}

void conf_daemon_free(struct mptcpify_conf *c) {
	free(c->metrics_dir);
	c->metrics_dir = NULL;
	c->metrics_interval = 0;
}

bool conf_daemon_equal(const struct mptcpify_conf *a, const struct mptcpify_conf *b) {
	return a->metrics_interval == b->metrics_interval &&
		strcmp(a->metrics_dir ? a->metrics_dir : "", b->metrics_dir ? b->metrics_dir : "") == 0;
}

bool conf_daemon_is_empty(const struct mptcpify_conf *c) {
	return !c->metrics_dir && !c->metrics_interval;
}

int conf_daemon_set(struct mptcpify_conf *c, const char *key, const char *value,
		    const char **why) {
	unsigned interval;
	char *dir = NULL;
	int r;

	if (strcmp(key, "metrics-dir") == 0) {
		if (*value) {
			r = metrics_dir_check(value, why);
			if (r < 0)
				return r;
			dir = strdup(value);
			if (!dir)
				return -ENOMEM;
		}
		free(c->metrics_dir);
		c->metrics_dir = dir;
		return 0;
	}
	if (strcmp(key, "metrics-interval") == 0) {
		r = metrics_interval_parse(value, &interval, why);
		if (r < 0)
			return r;
		c->metrics_interval = interval;
		return 0;
	}
	return -ENOENT;
}
