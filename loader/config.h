/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration files of mptcpify: /etc/mptcpify/mptcpify.conf and
 * /etc/mptcpify/conf.d/NAME.conf. The format is described in mptcpify.conf(5)
 * and at the top of conf_parse.c. The code is in six files, one job each:
 * conf_names.c (validators), conf_rules.c (rule sets), conf_parse.c (the
 * parser), conf_load.c (files and drop-ins), conf_write.c (atomic writes),
 * conf_daemon.c (the daemon's settings, section [daemon]).
 *
 * Conventions: functions return 0 or a negative errno and never print.
 * Functions that read files fill a struct conf_error; print it as
 * "FILE:LINE: MESSAGE", or "FILE: MESSAGE" when line is 0. On failure the
 * struct mptcpify_conf passed in is left exactly as it was. */
#ifndef MPTCPIFY_CONFIG_H
#define MPTCPIFY_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest line accepted, not counting the newline: a maximal cgroup path
 * (4095 bytes) plus key, quotes and escapes fits. */
#define CONF_LINE_MAX 16384
/* Larger files are refused: realistic files are a few hundred bytes, and the
 * whole file is read into memory. */
#define CONF_FILE_MAX (4 * 1024 * 1024)
/* A cgroup path, like any path, has at most PATH_MAX - 1 bytes. */
#define CONF_CGROUP_PATH_MAX (PATH_MAX - 1)
/* systemd's UNIT_NAME_MAX (256) counts the NUL. */
#define CONF_UNIT_NAME_MAX 255

#define CONF_MAIN_FILE "mptcpify.conf"
#define CONF_DROPIN_DIR "conf.d"

/* A sorted set of strings without duplicates. */
struct conf_list {
	char **v;
	size_t n;
	size_t allocated;
};

struct mptcpify_conf {
	struct conf_list comms;          /* [select] comm= */
	struct conf_list cgroups;        /* [select] cgroup=, normalized */
	struct conf_list units;          /* [select] unit= */
	struct conf_list exclude_comms;  /* [exclude] comm= */
	struct conf_list exclude_cgroups; /* [exclude] cgroup=, normalized (no pattern) */
	struct conf_list exclude_units;  /* [exclude] unit= */
	bool all;                        /* [select] all= */
	/* [compat] audit= (mptcpify audit): watched, not converted */
	struct conf_list audit_comms;    /* audit = comm:NAME */
	struct conf_list audit_cgroups;  /* audit = cgroup:PATH, normalized */
	struct conf_list audit_units;    /* audit = unit:UNIT */
	bool audit_all;                  /* audit = all */
	/* [compat] deny= (mptcpify deny): never MPTCP, even when asked for */
	struct conf_list deny_comms;     /* deny = comm:NAME */
	struct conf_list deny_cgroups;   /* deny = cgroup:PATH, normalized (no pattern) */
	struct conf_list deny_units;     /* deny = unit:UNIT */
	/* [compat] compat= report (false, the default) or exclude: a program
	 * whose option MPTCP refused gets TCP from its next socket on. The
	 * last assignment wins. */
	bool compat_exclude;
	/* [daemon]: single values, the last assignment wins. */
	char *metrics_dir;               /* metrics-dir=: NULL when unset or empty */
	unsigned metrics_interval;       /* metrics-interval= in seconds; 0: unset */
};

/* What the daemon writes into metrics-dir, every metrics-interval seconds. */
#define CONF_METRICS_FILE "mptcpify.prom"
#define CONF_METRICS_INTERVAL_DEFAULT 15
#define CONF_METRICS_INTERVAL_MAX 86400
/* The interval in force: metrics-interval, or the default. */
unsigned conf_metrics_interval(const struct mptcpify_conf *c);

struct conf_error {
	char file[PATH_MAX];   /* empty when not about a file */
	unsigned line;         /* 1-based, 0 when not about one line */
	char message[512];
};

/* Zero-initialized struct mptcpify_conf is an empty, valid configuration. */
void conf_free(struct mptcpify_conf *c);
bool conf_equal(const struct mptcpify_conf *a, const struct mptcpify_conf *b);
bool conf_is_empty(const struct mptcpify_conf *c);

/* Validators, for values from files and from the command line alike.
 * Return 0, or -EINVAL with *why (if why is not NULL) set to a short static
 * reason such as "longer than 15 bytes (the kernel keeps 15)".
 * unit_name_check() returns -EOPNOTSUPP for valid names of unit types that
 * have no processes of their own to select (.socket, .target, ...). */
int comm_name_check(const char *s, const char **why);
int cgroup_path_check(const char *s, const char **why);
int unit_name_check(const char *s, const char **why);
/* metrics-dir: an absolute directory outside the daemon's private /tmp and
 * the homes it cannot see, without '"' or '\\' (it goes into the unit's
 * sandbox as is). metrics-interval: seconds, 1 to CONF_METRICS_INTERVAL_MAX. */
int metrics_dir_check(const char *s, const char **why);
int metrics_interval_parse(const char *s, unsigned *ret, const char **why);

/* The form a cgroup path is stored in: repeated and trailing slashes and "."
 * components removed ("/a//b/./c/" -> "/a/b/c"). Checks the path first. */
int cgroup_path_normalize(const char *s, char **ret, const char **why);

/* Add or remove one rule. Add: 0, -EEXIST (already there, nothing changed),
 * -EINVAL (invalid value: use the validators to learn why), -E2BIG (as many
 * rules as the BPF maps hold), -ENOMEM. Remove: 0 or -ENOENT. Cgroup paths
 * are compared after normalization. */
int conf_add_comm(struct mptcpify_conf *c, const char *comm);
int conf_remove_comm(struct mptcpify_conf *c, const char *comm);
int conf_add_cgroup(struct mptcpify_conf *c, const char *path);
int conf_remove_cgroup(struct mptcpify_conf *c, const char *path);
int conf_add_unit(struct mptcpify_conf *c, const char *unit);
int conf_remove_unit(struct mptcpify_conf *c, const char *unit);
int conf_add_exclude(struct mptcpify_conf *c, const char *comm);
int conf_remove_exclude(struct mptcpify_conf *c, const char *comm);
/* Audit rules ([compat] audit =): kind is 'c' (comm), 'g' (cgroup) or 'u'
 * (unit); same returns as above. */
int conf_add_audit(struct mptcpify_conf *c, char kind, const char *value);
int conf_remove_audit(struct mptcpify_conf *c, char kind, const char *value);
/* Deny rules ([compat] deny =) and excludes ([exclude]), kind as above;
 * cgroups are directories, not patterns. Same returns as above. */
int conf_add_deny(struct mptcpify_conf *c, char kind, const char *value);
int conf_remove_deny(struct mptcpify_conf *c, char kind, const char *value);
int conf_add_exclude_kind(struct mptcpify_conf *c, char kind, const char *value);
int conf_remove_exclude_kind(struct mptcpify_conf *c, char kind, const char *value);

/* Parse buf (len bytes, need not be NUL-terminated; NUL bytes in it are
 * refused) and merge its rules into *c. fname is used in error messages.
 * Errors: -EBADMSG (syntax or invalid value), -E2BIG (too many rules),
 * -ENOMEM. */
int conf_parse_buffer(struct mptcpify_conf *c, const char *buf, size_t len,
		      const char *fname, struct conf_error *err);

/* Read one file and merge it into *c. Refuses symbolic links (-ELOOP),
 * anything but a regular file (-EISDIR, -EBADFD), files owned by a user other
 * than root or the effective uid, world-writable files, and files writable by
 * a group other than root's or the effective gid (-EPERM), and files larger
 * than CONF_FILE_MAX (-EFBIG). A missing file is -ENOENT. */
int conf_load_file(struct mptcpify_conf *c, const char *path, struct conf_error *err);

/* Read DIR/mptcpify.conf (if present), then DIR/conf.d/NAME.conf in strcmp()
 * order (names starting with '.' are skipped), and merge them into *c.
 * DIR and conf.d are held to the same ownership and mode rules as the files
 * (conf.d may not be a symlink either; DIR may). A missing main file or
 * conf.d is not an error; a missing DIR is -ENOENT. Each file starts outside
 * of any section. */
int conf_load_dir(struct mptcpify_conf *c, const char *dir, struct conf_error *err);

/* The canonical text of *c: a header comment, then [select], [exclude],
 * [compat] and [daemon] with their rules in sorted order; parsing it gives
 * back an equal conf.
 * *ret is NUL-terminated and owned by the caller. */
int conf_format(const struct mptcpify_conf *c, char **ret, size_t *ret_len);

/* Replace path with the canonical text of *c, mode 0644: written to a
 * temporary file in the same directory, fsync()ed, renamed over path, and
 * the directory fsync()ed, so readers see the old or the new file whole. */
int conf_write_atomic(const struct mptcpify_conf *c, const char *path);

#endif
