/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser and writer for mptcpify.conf(5).
 *
 * The format, in short (the man page is the reference):
 *
 *   # comment            ('#' or ';' as the first non-blank character)
 *   [select]
 *   comm = iperf3        process name, 1..15 bytes
 *   cgroup = system.slice/foo.service
 *   unit = foo.service
 *   all = no             yes/no/true/false/on/off/1/0
 *   [exclude]
 *   comm = sshd
 *
 * - UTF-8 text, lines end with '\n' (the last one may lack it). NUL bytes,
 *   carriage returns and other control characters except tab are refused
 *   anywhere, comments included, with FILE:LINE.
 * - Spaces and tabs around keys, '=' and values are ignored. A value may be
 *   put in double quotes to keep leading or trailing spaces or a '#'; inside
 *   quotes \" and \\ are the only escapes. There are no trailing comments:
 *   an unquoted value that starts with '#' or contains " #" is refused
 *   rather than silently taken as part of a process name.
 * - Sections and keys are lower case; unknown ones are errors, so a typo
 *   never silently drops a rule.
 * - A section may appear any number of times; its contents are merged. This
 *   keeps `cat a.conf b.conf` meaning what a.conf plus b.conf in conf.d/
 *   mean, which is also how drop-ins merge.
 * - Rules are sets: repeating a value is harmless. For `all` the last
 *   assignment wins, so a drop-in can override the main file.
 * - Limits are the sizes of the BPF maps (include/mptcpify.h).
 *
 * Everything here returns a negative errno and prints nothing; file-level
 * errors come back in struct conf_error. */

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

/* ---- error reporting --------------------------------------------------- */

/* Copy s (n bytes) into buf for an error message: printable ASCII as is,
 * every other byte as \xNN, so that a hostile name cannot send escape
 * sequences to the terminal that shows the message. Cut with "..." after
 * show_max bytes or when buf is full. */
static void escape_bytes(const char *s, size_t n, size_t show_max, char *buf, size_t size) {
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (i >= show_max || o + 8 >= size) {
			snprintf(buf + o, size - o, "...");
			return;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = ch;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	buf[o] = 0;
}

/* Values are shown up to 64 bytes: enough to recognize them. */
static void escape_for_message(const char *s, size_t n, char *buf, size_t size) {
	escape_bytes(s, n, 64, buf, size);
}

static void conf_error_clear(struct conf_error *err) {
	if (err)
		*err = (struct conf_error) {};
}

/* Set err->{file,line,message}. errno is kept for a %m in fmt. */
_printf_(4, 5)
static void conf_error_set(struct conf_error *err, const char *file, unsigned line,
			   const char *fmt, ...) {
	int saved = errno;
	va_list ap;

	if (!err)
		return;
	if (file)
		escape_bytes(file, strlen(file), SIZE_MAX, err->file, sizeof(err->file));
	else
		err->file[0] = 0;
	err->line = line;

	va_start(ap, fmt);
	errno = saved;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* ---- text checks -------------------------------------------------------- */

enum utf8_result {
	UTF8_OK,
	UTF8_INVALID,
	UTF8_TRUNCATED,   /* a valid start of a character, cut by the end */
};

/* Decode one character at s (n > 0 bytes left). Refuses overlong forms,
 * surrogates and code points above U+10FFFF, like the Unicode standard. */
static enum utf8_result utf8_decode(const unsigned char *s, size_t n,
				    size_t *ret_len, uint32_t *ret_cp) {
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80) {
		*ret_len = 1;
		*ret_cp = s[0];
		return UTF8_OK;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; cp = s[0] & 0x07; min = 0x10000;
	} else
		return UTF8_INVALID;

	for (size_t i = 1; i < len; i++) {
		if (i >= n)
			return UTF8_TRUNCATED;
		if ((s[i] & 0xc0) != 0x80)
			return UTF8_INVALID;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return UTF8_INVALID;

	*ret_len = len;
	*ret_cp = cp;
	return UTF8_OK;
}

static bool is_control(uint32_t cp) {
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Common to all values: valid UTF-8 without NUL or control characters
 * (C0, DEL and C1, tab included). Returns a reason or NULL. */
static const char *value_text_check(const char *s, size_t n) {
	const unsigned char *u = (const unsigned char *) s;

	for (size_t i = 0; i < n; ) {
		size_t len;
		uint32_t cp;

		switch (utf8_decode(u + i, n - i, &len, &cp)) {
		case UTF8_TRUNCATED:
			return "ends in the middle of a UTF-8 character";
		case UTF8_INVALID:
			return "is not valid UTF-8";
		case UTF8_OK:
			break;
		}
		if (cp == 0)
			return "contains a NUL byte";
		if (is_control(cp))
			return "contains a control character";
		i += len;
	}
	return NULL;
}

/* A process name as the kernel keeps it in task->comm, n bytes. */
static int comm_check_bytes(const char *s, size_t n, const char **why) {
	const char *r;

	if (n == 0)
		r = "empty";
	else if (n > COMM_MAX)
		r = "longer than 15 bytes (the kernel keeps 15)";
	else if (memchr(s, 0, n))
		r = "contains a NUL byte";
	else if (memchr(s, '/', n))
		r = "contains '/': a process name has no directory part (see /proc/PID/comm)";
	else
		r = value_text_check(s, n);

	if (why)
		*why = r;
	return r ? -EINVAL : 0;
}

int comm_name_check(const char *s, const char **why) {
	return comm_check_bytes(s, strlen(s), why);
}

/* The '/'-separated component of a path that starts at p: its length, and
 * where the next one starts (NULL after the last). */
static size_t path_component(const char *p, const char **ret_next) {
	const char *end = strchrnul(p, '/');

	*ret_next = *end ? end + 1 : NULL;
	return end - p;
}

static bool is_dot(const char *s, size_t n) {
	return n == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t n) {
	return n == 2 && s[0] == '.' && s[1] == '.';
}

/* Only the syntax: whether the path is really a cgroup is for the loader. */
int cgroup_path_check(const char *s, const char **why) {
	size_t n = strlen(s);
	bool named_something = false;
	const char *r = NULL;

	if (n == 0)
		r = "empty";
	else if (n > CONF_CGROUP_PATH_MAX)
		r = "longer than 4095 bytes (PATH_MAX)";
	else
		r = value_text_check(s, n);

	for (const char *p = r ? NULL : s, *next; p; p = next) {
		size_t len = path_component(p, &next);

		if (is_dotdot(p, len)) {
			r = "contains a '..' component";
			break;
		}
		if (len > NAME_MAX_BYTES) {
			r = "has a component longer than 255 bytes (NAME_MAX)";
			break;
		}
		if (len > 0 && !is_dot(p, len))
			named_something = true;
	}
	if (!r && !named_something)
		r = s[0] == '/' ? "is the file system root, not a cgroup"
				: "names the cgroup root: use all = yes (attach --all) for every process";
	if (!r)
		cgroup_pattern_check(s, &r);

	if (why)
		*why = r;
	return r ? -EINVAL : 0;
}

int cgroup_path_normalize(const char *s, char **ret, const char **why) {
	size_t o = 0;
	char *out;
	int r;

	r = cgroup_path_check(s, why);
	if (r < 0)
		return r;

	out = malloc(strlen(s) + 1);
	if (!out)
		return -ENOMEM;

	if (s[0] == '/')
		out[o++] = '/';
	for (const char *p = s, *next; p; p = next) {
		size_t len = path_component(p, &next);

		if (len == 0 || is_dot(p, len))
			continue;
		if (o > 0 && out[o - 1] != '/')
			out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
	}
	out[o] = 0;

	*ret = out;
	return 0;
}

/* Unit types with processes mptcpify can select by their cgroup. */
static const char *const unit_types_ok[] = { "service", "scope", "slice" };

/* Valid systemd unit types whose units run no long-lived processes. */
static const char *const unit_types_without_processes[] = {
	"target", "device", "mount", "automount", "swap", "timer", "path",
};

static bool in_list(const char *s, const char *const *list, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Syntax as systemd's unit_name_is_valid(): PREFIX[@INSTANCE].TYPE, with
 * letters, digits and ":-_.\" in it, '@' not first. A template (empty
 * instance) is refused: it has no cgroup until instantiated. */
int unit_name_check(const char *s, const char **why) {
	static const char valid[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@";
	const char *dot, *at, *type, *r = NULL;
	size_t n = strlen(s);
	int ret = -EINVAL;

	dot = strrchr(s, '.');
	at = strchr(s, '@');
	type = dot ? dot + 1 : NULL;

	if (n == 0)
		r = "empty";
	else if (n > CONF_UNIT_NAME_MAX)
		r = "longer than 255 bytes";
	else if (!dot || dot == s)
		r = "has no unit type suffix such as .service";
	else if (strspn(s, valid) != n)
		r = "contains a character not allowed in unit names (letters, digits, \":-_.\\@\")";
	else if (s[0] == '@')
		r = "starts with '@'";
	else if (at && at + 1 == dot)
		r = "is a template: name an instance, as in foo@1.service";
	else if (strcmp(type, "socket") == 0) {
		r = "is a socket unit, whose sockets systemd itself creates: "
		    "set SocketProtocol=mptcp in it instead (systemd >= 257)";
		ret = -EOPNOTSUPP;
	} else if (in_list(type, unit_types_without_processes, ELEMENTSOF(unit_types_without_processes))) {
		r = "is a unit type without processes of its own: use a .service, .scope or .slice";
		ret = -EOPNOTSUPP;
	} else if (!in_list(type, unit_types_ok, ELEMENTSOF(unit_types_ok)))
		r = "has an unknown unit type suffix (use .service, .scope or .slice)";

	if (why)
		*why = r;
	return r ? ret : 0;
}

/* ---- sorted string sets ------------------------------------------------ */

/* Binary search. Returns whether s is in l; *ret_idx is where it is or
 * where it would go. */
static bool conf_list_find(const struct conf_list *l, const char *s, size_t *ret_idx) {
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s, l->v[mid]);

		if (c == 0) {
			*ret_idx = mid;
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*ret_idx = lo;
	return false;
}

static int conf_list_reserve(struct conf_list *l, size_t n) {
	size_t want;
	char **v;

	if (n <= l->allocated)
		return 0;
	want = l->allocated ? l->allocated : 8;
	while (want < n) {
		if (want > SIZE_MAX / 2 / sizeof(char *))
			return -ENOMEM;
		want *= 2;
	}
	v = realloc(l->v, want * sizeof(char *));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->allocated = want;
	return 0;
}

/* Takes ownership of s on success. */
static int conf_list_insert_at(struct conf_list *l, size_t idx, char *s) {
	int r;

	r = conf_list_reserve(l, l->n + 1);
	if (r < 0)
		return r;
	memmove(l->v + idx + 1, l->v + idx, (l->n - idx) * sizeof(char *));
	l->v[idx] = s;
	l->n++;
	return 0;
}

static int conf_list_remove(struct conf_list *l, const char *s) {
	size_t idx;

	if (!conf_list_find(l, s, &idx))
		return -ENOENT;
	free(l->v[idx]);
	memmove(l->v + idx, l->v + idx + 1, (l->n - idx - 1) * sizeof(char *));
	l->n--;
	return 0;
}

static void conf_list_free(struct conf_list *l) {
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct conf_list) {};
}

static int conf_list_copy(struct conf_list *dst, const struct conf_list *src) {
	struct conf_list l = {};
	int r;

	r = conf_list_reserve(&l, src->n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < src->n; i++) {
		l.v[i] = strdup(src->v[i]);
		if (!l.v[i]) {
			conf_list_free(&l);
			return -ENOMEM;
		}
		l.n++;
	}
	*dst = l;
	return 0;
}

static bool conf_list_equal(const struct conf_list *a, const struct conf_list *b) {
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* ---- the configuration ------------------------------------------------- */

void conf_free(struct mptcpify_conf *c) {
	conf_list_free(&c->comms);
	conf_list_free(&c->cgroups);
	conf_list_free(&c->units);
	conf_list_free(&c->exclude_comms);
	c->all = false;
}

static int conf_copy(struct mptcpify_conf *dst, const struct mptcpify_conf *src) {
	_cleanup_(conf_free) struct mptcpify_conf c = { .all = src->all };

	if (conf_list_copy(&c.comms, &src->comms) < 0 ||
	    conf_list_copy(&c.cgroups, &src->cgroups) < 0 ||
	    conf_list_copy(&c.units, &src->units) < 0 ||
	    conf_list_copy(&c.exclude_comms, &src->exclude_comms) < 0)
		return -ENOMEM;

	*dst = c;
	c = (struct mptcpify_conf) {};
	return 0;
}

/* Replace *dst by *src (whose contents it takes), freeing the old *dst. */
static void conf_replace(struct mptcpify_conf *dst, struct mptcpify_conf *src) {
	conf_free(dst);
	*dst = *src;
	*src = (struct mptcpify_conf) {};
}

bool conf_equal(const struct mptcpify_conf *a, const struct mptcpify_conf *b) {
	return a->all == b->all &&
		conf_list_equal(&a->comms, &b->comms) &&
		conf_list_equal(&a->cgroups, &b->cgroups) &&
		conf_list_equal(&a->units, &b->units) &&
		conf_list_equal(&a->exclude_comms, &b->exclude_comms);
}

bool conf_is_empty(const struct mptcpify_conf *c) {
	return !c->all && c->comms.n == 0 && c->cgroups.n == 0 &&
		c->units.n == 0 && c->exclude_comms.n == 0;
}

enum rule_kind {
	RULE_COMM,
	RULE_CGROUP,
	RULE_UNIT,
	RULE_EXCLUDE,
};

static struct conf_list *rule_list(struct mptcpify_conf *c, enum rule_kind k) {
	switch (k) {
	case RULE_COMM:
		return &c->comms;
	case RULE_CGROUP:
		return &c->cgroups;
	case RULE_UNIT:
		return &c->units;
	case RULE_EXCLUDE:
		return &c->exclude_comms;
	}
	abort();
}

/* Whether one more rule of kind k still fits in the BPF maps. Units count
 * against the cgroup map: each one is resolved to its cgroup. */
static bool rule_fits(const struct mptcpify_conf *c, enum rule_kind k) {
	switch (k) {
	case RULE_COMM:
		return c->comms.n < MPTCPIFY_MAX_COMM_RULES;
	case RULE_CGROUP:
	case RULE_UNIT:
		return c->cgroups.n + c->units.n < MPTCPIFY_MAX_CGROUP_RULES;
	case RULE_EXCLUDE:
		return c->exclude_comms.n < MPTCPIFY_MAX_EXCLUDES;
	}
	abort();
}

/* Check value and give the form it is stored and compared in. */
static int rule_canonical(enum rule_kind k, const char *value, char **ret, const char **why) {
	int r;

	switch (k) {
	case RULE_CGROUP:
		return cgroup_path_normalize(value, ret, why);
	case RULE_UNIT:
		r = unit_name_check(value, why);
		break;
	case RULE_COMM:
	case RULE_EXCLUDE:
		r = comm_name_check(value, why);
		break;
	default:
		abort();
	}
	if (r < 0)
		return r;
	*ret = strdup(value);
	return *ret ? 0 : -ENOMEM;
}

static int conf_add_rule(struct mptcpify_conf *c, enum rule_kind k, const char *value,
			 const char **why) {
	struct conf_list *l = rule_list(c, k);
	_cleanup_free_ char *v = NULL;
	size_t idx;
	int r;

	r = rule_canonical(k, value, &v, why);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;

	/* Before the size check: adding a rule that is there is always fine. */
	if (conf_list_find(l, v, &idx))
		return -EEXIST;
	if (!rule_fits(c, k))
		return -E2BIG;

	r = conf_list_insert_at(l, idx, v);
	if (r < 0)
		return r;
	v = NULL;
	return 0;
}

static int conf_remove_rule(struct mptcpify_conf *c, enum rule_kind k, const char *value) {
	_cleanup_free_ char *v = NULL;

	/* An invalid value cannot be in the set. */
	if (rule_canonical(k, value, &v, NULL) < 0)
		return -ENOENT;
	return conf_list_remove(rule_list(c, k), v);
}

int conf_add_comm(struct mptcpify_conf *c, const char *comm) {
	return conf_add_rule(c, RULE_COMM, comm, NULL);
}

int conf_remove_comm(struct mptcpify_conf *c, const char *comm) {
	return conf_remove_rule(c, RULE_COMM, comm);
}

int conf_add_cgroup(struct mptcpify_conf *c, const char *path) {
	return conf_add_rule(c, RULE_CGROUP, path, NULL);
}

int conf_remove_cgroup(struct mptcpify_conf *c, const char *path) {
	return conf_remove_rule(c, RULE_CGROUP, path);
}

int conf_add_unit(struct mptcpify_conf *c, const char *unit) {
	return conf_add_rule(c, RULE_UNIT, unit, NULL);
}

int conf_remove_unit(struct mptcpify_conf *c, const char *unit) {
	return conf_remove_rule(c, RULE_UNIT, unit);
}

int conf_add_exclude(struct mptcpify_conf *c, const char *comm) {
	return conf_add_rule(c, RULE_EXCLUDE, comm, NULL);
}

int conf_remove_exclude(struct mptcpify_conf *c, const char *comm) {
	return conf_remove_rule(c, RULE_EXCLUDE, comm);
}

/* ---- parser ------------------------------------------------------------ */

enum section {
	SECTION_NONE,
	SECTION_SELECT,
	SECTION_EXCLUDE,
};

struct parser {
	struct mptcpify_conf *c;
	const char *fname;
	unsigned line;
	enum section section;
	struct conf_error *err;
};

_printf_(2, 3)
static int parse_error(struct parser *p, const char *fmt, ...) {
	char msg[sizeof(((struct conf_error *) NULL)->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_error_set(p->err, p->fname, p->line, "%s", msg);
	return -EBADMSG;
}

static bool is_blank(char ch) {
	return ch == ' ' || ch == '\t';
}

static bool is_key_char(char ch) {
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		(ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* What a whole line may contain, comments included. Returns a reason or
 * NULL. Tabs are blanks; C1 controls are left to the value checks. */
static const char *line_text_check(const char *s, size_t n) {
	const unsigned char *u = (const unsigned char *) s;

	for (size_t i = 0; i < n; ) {
		size_t len;
		uint32_t cp;

		if (u[i] == 0)
			return "contains a NUL byte";
		if (u[i] == '\r')
			return "contains a carriage return (a DOS line ending?)";
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return "contains a control character";
		if (utf8_decode(u + i, n - i, &len, &cp) != UTF8_OK)
			return "is not valid UTF-8";
		i += len;
	}
	return NULL;
}

static int parse_boolean(const char *v) {
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/* Whether an unquoted value would read like it carries a trailing comment. */
static bool looks_like_comment(const char *v, size_t n) {
	if (n > 0 && v[0] == '#')
		return true;
	for (size_t i = 1; i < n; i++)
		if (v[i] == '#' && is_blank(v[i - 1]))
			return true;
	return false;
}

/* The value of a line: v (n bytes, blanks around it already removed),
 * literal, or in double quotes with \" and \\ as the only escapes. */
static int parse_value(struct parser *p, const char *v, size_t n, char **ret) {
	_cleanup_free_ char *out = NULL;
	size_t o = 0, i;

	if (n == 0 || v[0] != '"') {
		if (looks_like_comment(v, n))
			return parse_error(p, "'#' in a value: comments must be on a line of their own "
					   "(put the value in double quotes if '#' belongs to it)");
		out = strndup(v, n);
		if (!out)
			return -ENOMEM;
		*ret = TAKE_PTR(out);
		return 0;
	}

	out = malloc(n);
	if (!out)
		return -ENOMEM;
	for (i = 1; i < n && v[i] != '"'; i++) {
		if (v[i] == '\\') {
			if (i + 1 >= n || (v[i + 1] != '"' && v[i + 1] != '\\'))
				return parse_error(p, "unknown escape in quoted value (only \\\" and \\\\)");
			i++;
		}
		out[o++] = v[i];
	}
	if (i >= n)
		return parse_error(p, "missing closing '\"'");
	if (i != n - 1)
		return parse_error(p, "text after the closing '\"'");
	out[o] = 0;
	*ret = TAKE_PTR(out);
	return 0;
}

static int parse_section(struct parser *p, const char *s, size_t n) {
	char shown[128];

	if (s[n - 1] != ']')
		return parse_error(p, "a section header must end with ']' (no text after it)");

	if (n == strlen("[select]") && memcmp(s, "[select]", n) == 0)
		p->section = SECTION_SELECT;
	else if (n == strlen("[exclude]") && memcmp(s, "[exclude]", n) == 0)
		p->section = SECTION_EXCLUDE;
	else {
		escape_for_message(s, n, shown, sizeof(shown));
		return parse_error(p, "unknown section %s (known: [select], [exclude])", shown);
	}
	return 0;
}

static const char *kind_name(enum rule_kind k) {
	return k == RULE_UNIT ? "unit" : k == RULE_CGROUP ? "cgroup" : "comm";
}

static int add_from_file(struct parser *p, enum rule_kind k, const char *value) {
	const char *why = NULL;
	char shown[300];
	int r;

	r = conf_add_rule(p->c, k, value, &why);
	switch (r) {
	case 0:
	case -EEXIST:
		return 0;
	case -EINVAL:
		escape_for_message(value, strlen(value), shown, sizeof(shown));
		return parse_error(p, "invalid %s \"%s\": %s", kind_name(k), shown, why);
	case -E2BIG:
		if (k == RULE_COMM)
			parse_error(p, "more than %d comm rules (the size of the BPF map)",
				    MPTCPIFY_MAX_COMM_RULES);
		else if (k == RULE_EXCLUDE)
			parse_error(p, "more than %d excluded comms (the size of the BPF map)",
				    MPTCPIFY_MAX_EXCLUDES);
		else
			parse_error(p, "more than %d cgroup and unit rules together (the size of the BPF map)",
				    MPTCPIFY_MAX_CGROUP_RULES);
		return -E2BIG;
	default:
		return r;
	}
}

static int parse_assignment(struct parser *p, const char *key, size_t keylen,
			    const char *v, size_t n) {
	_cleanup_free_ char *value = NULL;
	char shown[64];
	int r;

#define KEY_IS(name) (keylen == strlen(name) && memcmp(key, name, keylen) == 0)
	if (p->section == SECTION_NONE)
		return parse_error(p, "assignment before any section: put it under [select] or [exclude]");

	r = parse_value(p, v, n, &value);
	if (r < 0)
		return r;

	if (p->section == SECTION_SELECT) {
		if (KEY_IS("comm"))
			return add_from_file(p, RULE_COMM, value);
		if (KEY_IS("cgroup"))
			return add_from_file(p, RULE_CGROUP, value);
		if (KEY_IS("unit"))
			return add_from_file(p, RULE_UNIT, value);
		if (KEY_IS("all")) {
			r = parse_boolean(value);
			if (r < 0) {
				escape_for_message(value, strlen(value), shown, sizeof(shown));
				return parse_error(p, "invalid boolean \"%s\" for all (yes/no, true/false, on/off, 1/0)",
						   shown);
			}
			p->c->all = r;
			return 0;
		}
		escape_for_message(key, keylen, shown, sizeof(shown));
		return parse_error(p, "unknown key '%s' in [select] (known: comm, cgroup, unit, all)", shown);
	}

	if (KEY_IS("comm"))
		return add_from_file(p, RULE_EXCLUDE, value);
	escape_for_message(key, keylen, shown, sizeof(shown));
	return parse_error(p, "unknown key '%s' in [exclude] (known: comm)", shown);
#undef KEY_IS
}

static int parse_line(struct parser *p, const char *s, size_t n) {
	const char *why;
	size_t keylen, i;

	if (n > CONF_LINE_MAX)
		return parse_error(p, "line longer than %d bytes", CONF_LINE_MAX);

	if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		return parse_error(p, "starts with a UTF-8 byte order mark: save the file without it");

	why = line_text_check(s, n);
	if (why)
		return parse_error(p, "line %s", why);

	while (n > 0 && is_blank(s[0]))
		s++, n--;
	while (n > 0 && is_blank(s[n - 1]))
		n--;

	if (n == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] == '[')
		return parse_section(p, s, n);

	for (keylen = 0; keylen < n && is_key_char(s[keylen]); keylen++)
		;
	for (i = keylen; i < n && is_blank(s[i]); i++)
		;
	if (keylen == 0 || i >= n || s[i] != '=')
		return parse_error(p, "expected \"key = value\", \"[section]\" or a comment");
	for (i++; i < n && is_blank(s[i]); i++)
		;
	return parse_assignment(p, s, keylen, s + i, n - i);
}

int conf_parse_buffer(struct mptcpify_conf *c, const char *buf, size_t len,
		      const char *fname, struct conf_error *err) {
	_cleanup_(conf_free) struct mptcpify_conf work = {};
	struct parser p = {
		.c = &work,
		.fname = fname ? fname : "(buffer)",
		.err = err,
	};
	size_t pos = 0;
	int r;

	conf_error_clear(err);

	/* Parse into a copy so that *c is untouched on error. */
	r = conf_copy(&work, c);
	if (r < 0) {
		conf_error_set(err, p.fname, 0, "out of memory");
		return r;
	}

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t) (nl - (buf + pos)) : len - pos;

		p.line++;
		r = parse_line(&p, buf + pos, n);
		if (r < 0) {
			if (r == -ENOMEM)
				conf_error_set(err, p.fname, p.line, "out of memory");
			return r;
		}
		pos += n + 1;
	}

	conf_replace(c, &work);
	return 0;
}

/* ---- files ------------------------------------------------------------- */

/* Who may have written the file or directory decides what mptcpify does
 * to other users' sockets: only root or ourselves. */
static int check_owner_and_mode(const struct stat *st, const char *path, struct conf_error *err) {
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		conf_error_set(err, path, 0, "owned by uid %u, neither root nor the current user: refusing it",
			       (unsigned) st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH) {
		conf_error_set(err, path, 0, "world-writable: refusing it (chmod o-w)");
		return -EPERM;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && st->st_gid != getegid()) {
		conf_error_set(err, path, 0, "writable by group %u: refusing it (chmod g-w)",
			       (unsigned) st->st_gid);
		return -EPERM;
	}
	return 0;
}

static int open_error(int e, const char *path, struct conf_error *err) {
	errno = e;
	if (e == ELOOP)
		conf_error_set(err, path, 0, "is a symbolic link: refusing it (install a regular file)");
	else if (e == ENOENT)
		conf_error_set(err, path, 0, "does not exist");
	else
		conf_error_set(err, path, 0, "cannot open: %m");
	return -e;
}

/* Read all of fd, refusing more than CONF_FILE_MAX bytes. */
static int read_all(int fd, char **ret, size_t *ret_len) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, allocated = 0;

	for (;;) {
		ssize_t k;

		if (len == allocated) {
			size_t want = allocated ? allocated * 2 : 4096;
			char *b;

			if (allocated > CONF_FILE_MAX)
				return -EFBIG;
			b = realloc(buf, want);
			if (!b)
				return -ENOMEM;
			buf = b;
			allocated = want;
		}
		k = read(fd, buf + len, allocated - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += k;
		if (len > CONF_FILE_MAX)
			return -EFBIG;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Check, read and parse an open file; path is for messages. */
static int load_fd(struct mptcpify_conf *c, int fd, const char *path, struct conf_error *err) {
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (fstat(fd, &st) < 0) {
		conf_error_set(err, path, 0, "cannot stat: %m");
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		conf_error_set(err, path, 0, "is a directory, not a configuration file");
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error_set(err, path, 0, "is not a regular file");
		return -EBADFD;
	}
	r = check_owner_and_mode(&st, path, err);
	if (r < 0)
		return r;
	if (st.st_size > CONF_FILE_MAX) {
		conf_error_set(err, path, 0, "larger than %d bytes", CONF_FILE_MAX);
		return -EFBIG;
	}

	r = read_all(fd, &buf, &len);
	if (r == -EFBIG)
		conf_error_set(err, path, 0, "larger than %d bytes", CONF_FILE_MAX);
	else if (r < 0) {
		errno = -r;
		conf_error_set(err, path, 0, "cannot read: %m");
	}
	if (r < 0)
		return r;

	return conf_parse_buffer(c, buf, len, path, err);
}

/* O_NONBLOCK: opening a FIFO that happens to be named *.conf must not hang;
 * it is refused as not a regular file right after. */
#define CONF_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

int conf_load_file(struct mptcpify_conf *c, const char *path, struct conf_error *err) {
	_cleanup_close_ int fd = -1;

	conf_error_clear(err);

	fd = open(path, CONF_OPEN_FLAGS);
	if (fd < 0)
		return open_error(errno, path, err);
	return load_fd(c, fd, path, err);
}

static int check_dir_fd(int fd, const char *path, struct conf_error *err) {
	struct stat st;

	if (fstat(fd, &st) < 0) {
		conf_error_set(err, path, 0, "cannot stat: %m");
		return -errno;
	}
	return check_owner_and_mode(&st, path, err);
}

static bool is_dropin_name(const char *name) {
	size_t n = strlen(name);

	return name[0] != '.' && n > strlen(".conf") &&
		strcmp(name + n - strlen(".conf"), ".conf") == 0;
}

static int cmp_strings(const void *a, const void *b) {
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_strv(char ***v) {
	if (!*v)
		return;
	for (char **i = *v; *i; i++)
		free(*i);
	free(*v);
}

/* The names of the drop-ins in the directory open at dfd, sorted with
 * strcmp() so that the order does not depend on the locale. */
static int list_dropins(int dfd, char ***ret, size_t *ret_n) {
	_cleanup_(free_strv) char **names = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	size_t n = 0, allocated = 0;
	struct dirent *de;
	int fd;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}

	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!is_dropin_name(de->d_name))
			continue;
		if (n + 2 > allocated) {
			size_t want = allocated ? allocated * 2 : 16;
			char **v = realloc(names, want * sizeof(char *));

			if (!v)
				return -ENOMEM;
			names = v;
			allocated = want;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			return -ENOMEM;
		names[++n] = NULL;
	}
	if (errno != 0)
		return -errno;

	if (n > 0)
		qsort(names, n, sizeof(char *), cmp_strings);
	*ret = TAKE_PTR(names);
	*ret_n = n;
	return 0;
}

/* path + "/" + name, for messages. */
static char *path_join(const char *dir, const char *name) {
	char *s;

	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return NULL;
	return s;
}

static int load_dropins(struct mptcpify_conf *c, int dfd, const char *dir,
			struct conf_error *err) {
	_cleanup_free_ char *dropin_dir = path_join(dir, CONF_DROPIN_DIR);
	_cleanup_(free_strv) char **names = NULL;
	_cleanup_close_ int cfd = -1;
	size_t n = 0;
	int r;

	if (!dropin_dir)
		return -ENOMEM;

	cfd = openat(dfd, CONF_DROPIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (cfd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR) {
			conf_error_set(err, dropin_dir, 0, "is not a directory");
			return -ENOTDIR;
		}
		return open_error(errno, dropin_dir, err);
	}
	r = check_dir_fd(cfd, dropin_dir, err);
	if (r < 0)
		return r;

	r = list_dropins(cfd, &names, &n);
	if (r < 0) {
		errno = -r;
		conf_error_set(err, dropin_dir, 0, "cannot list: %m");
		return r;
	}

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = path_join(dropin_dir, names[i]);
		_cleanup_close_ int fd = -1;

		if (!path)
			return -ENOMEM;
		fd = openat(cfd, names[i], CONF_OPEN_FLAGS);
		if (fd < 0)
			return open_error(errno, path, err);
		r = load_fd(c, fd, path, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int conf_load_dir(struct mptcpify_conf *c, const char *dir, struct conf_error *err) {
	_cleanup_(conf_free) struct mptcpify_conf work = {};
	_cleanup_free_ char *main_path = path_join(dir, CONF_MAIN_FILE);
	_cleanup_close_ int dfd = -1, fd = -1;
	int r;

	conf_error_clear(err);
	if (!main_path)
		return -ENOMEM;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return open_error(errno, dir, err);
	r = check_dir_fd(dfd, dir, err);
	if (r < 0)
		return r;

	/* Load into a copy so that *c is untouched on error. */
	r = conf_copy(&work, c);
	if (r < 0)
		return r;

	fd = openat(dfd, CONF_MAIN_FILE, CONF_OPEN_FLAGS);
	if (fd >= 0) {
		r = load_fd(&work, fd, main_path, err);
		if (r < 0)
			return r;
	} else if (errno != ENOENT)
		return open_error(errno, main_path, err);

	r = load_dropins(&work, dfd, dir, err);
	if (r < 0)
		return r;

	conf_replace(c, &work);
	return 0;
}

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
	if (c->exclude_comms.n > 0) {
		fputs("\n[exclude]\n", f);
		write_list(f, "comm", &c->exclude_comms);
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
