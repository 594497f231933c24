/* SPDX-License-Identifier: GPL-2.0-only */
/* What the files of the configuration code (conf_*.c; the API is config.h)
 * share and nobody else sees: cleanup helpers, error reporting, and the
 * rule kinds the parser hands to the rule sets. */
#ifndef MPTCPIFY_CONF_PRIVATE_H
#define MPTCPIFY_CONF_PRIVATE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* asprintf(), strchrnul(), open_memstream() */
#endif

#include "cgroup_pattern.h"
#include "config.h"
#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mptcpify.h"

#define COMM_MAX (MPTCPIFY_COMM_LEN - 1)
#define NAME_MAX_BYTES 255  /* a single path component, NAME_MAX */

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
	free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void closedirp(DIR **d) {
	if (*d)
		closedir(*d);
}

static inline void fclosep(FILE **f) {
	if (*f)
		fclose(*f);
}

/* Hand a pointer over to someone else: returns it and clears the variable so
 * that its cleanup handler does nothing. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })


/* conf_names.c */
void escape_bytes(const char *s, size_t n, size_t show_max, char *buf, size_t size);
void escape_for_message(const char *s, size_t n, char *buf, size_t size);
void conf_error_clear(struct conf_error *err);
_printf_(4, 5)
void conf_error_set(struct conf_error *err, const char *file, unsigned line, const char *fmt, ...);
enum utf8_result {
	UTF8_OK,
	UTF8_INVALID,
	UTF8_TRUNCATED,   /* a valid start of a character, cut by the end */
};
enum utf8_result utf8_decode(const unsigned char *s, size_t n, size_t *ret_len, uint32_t *ret_cp);
const char *value_text_check(const char *s, size_t n);

/* conf_rules.c */
enum rule_kind {
	RULE_COMM,
	RULE_CGROUP,
	RULE_UNIT,
	RULE_EXCLUDE,
	RULE_AUDIT_COMM,
	RULE_AUDIT_CGROUP,
	RULE_AUDIT_UNIT,
	RULE_EXCLUDE_CGROUP,
	RULE_EXCLUDE_UNIT,
	RULE_DENY_COMM,
	RULE_DENY_CGROUP,
	RULE_DENY_UNIT,
};
int conf_copy(struct mptcpify_conf *dst, const struct mptcpify_conf *src);
void conf_replace(struct mptcpify_conf *dst, struct mptcpify_conf *src);
int conf_add_rule(struct mptcpify_conf *c, enum rule_kind k, const char *value, const char **why);

/* conf_parse.c */
bool looks_like_comment(const char *v, size_t n);

/* conf_daemon.c: the [daemon] settings of a configuration. */
int conf_daemon_copy(struct mptcpify_conf *dst, const struct mptcpify_conf *src);
void conf_daemon_free(struct mptcpify_conf *c);
bool conf_daemon_equal(const struct mptcpify_conf *a, const struct mptcpify_conf *b);
bool conf_daemon_is_empty(const struct mptcpify_conf *c);
/* One assignment of [daemon]: 0; -EINVAL with *why; -ENOENT for an unknown
 * key; -ENOMEM. */
int conf_daemon_set(struct mptcpify_conf *c, const char *key, const char *value,
		    const char **why);

#endif
