// SPDX-License-Identifier: GPL-2.0-only
/* The parser of mptcpify.conf(5): text into rules. *
 * The format, in short (the man page is the reference):
 *
 *   # comment            ('#' or ';' as the first non-blank character)
 *   [select]
 *   comm = iperf3        process name, 1..15 bytes
 *   cgroup = system.slice/foo.service
 *   unit = foo.service
 *   all = no             yes/no/true/false/on/off/1/0
 *   [exclude]            not converted; a program asking for MPTCP keeps it
 *   comm = sshd
 *   cgroup = system.slice/backup.service   (also unit =; directories, no pattern)
 *   [daemon]
 *   metrics-dir = /var/lib/prometheus/node-exporter
 *   metrics-interval = 15   seconds
 *   [compat]
 *   audit = comm:gobgpd  watched, not converted: also cgroup:PATH, unit:UNIT, all
 *   deny = comm:bird     never MPTCP, even when asked for: also cgroup:PATH, unit:UNIT
 *   compat = exclude     report (default) or exclude: see mptcpify.conf(5)
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
#include "conf_private.h"

/* ---- parser ------------------------------------------------------------ */

enum section {
	SECTION_NONE,
	SECTION_SELECT,
	SECTION_EXCLUDE,
	SECTION_DAEMON,
	SECTION_COMPAT,
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
bool looks_like_comment(const char *v, size_t n) {
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
	else if (n == strlen("[daemon]") && memcmp(s, "[daemon]", n) == 0)
		p->section = SECTION_DAEMON;
	else if (n == strlen("[compat]") && memcmp(s, "[compat]", n) == 0)
		p->section = SECTION_COMPAT;
	else {
		escape_for_message(s, n, shown, sizeof(shown));
		return parse_error(p, "unknown section %s (known: [select], [exclude], [compat], [daemon])", shown);
	}
	return 0;
}

static const char *kind_name(enum rule_kind k) {
	return k == RULE_UNIT || k == RULE_AUDIT_UNIT || k == RULE_EXCLUDE_UNIT ||
		k == RULE_DENY_UNIT ? "unit" :
		k == RULE_CGROUP || k == RULE_AUDIT_CGROUP || k == RULE_EXCLUDE_CGROUP ||
		k == RULE_DENY_CGROUP ? "cgroup" : "comm";
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
		if (k == RULE_AUDIT_COMM || k == RULE_AUDIT_CGROUP || k == RULE_AUDIT_UNIT)
			parse_error(p, "more than %d audit rules of one kind (the size of the BPF map)",
				    MPTCPIFY_MAX_AUDIT_RULES);
		else if (k == RULE_COMM)
			parse_error(p, "more than %d comm rules (the size of the BPF map)",
				    MPTCPIFY_MAX_COMM_RULES);
		else if (k == RULE_EXCLUDE)
			parse_error(p, "more than %d excluded comms (the size of the BPF map)",
				    MPTCPIFY_MAX_EXCLUDES);
		else if (k == RULE_DENY_COMM)
			parse_error(p, "more than %d denied comms (the size of the BPF map)",
				    MPTCPIFY_MAX_DENY);
		else if (k == RULE_EXCLUDE_CGROUP || k == RULE_EXCLUDE_UNIT || k == RULE_DENY_CGROUP ||
			 k == RULE_DENY_UNIT)
			parse_error(p, "more than %d deny and exclude cgroup and unit rules together "
				    "(the size of the BPF map)", MPTCPIFY_MAX_VETO_PATHS);
		else
			parse_error(p, "more than %d cgroup and unit rules together (the size of the BPF map)",
				    MPTCPIFY_MAX_CGROUP_RULES);
		return -E2BIG;
	default:
		return r;
	}
}

static int daemon_setting(struct parser *p, const char *key, size_t keylen, const char *value) {
	_cleanup_free_ char *k = strndup(key, keylen);
	const char *why = NULL;
	char shown[300];
	int r;

	if (!k)
		return -ENOMEM;
	r = conf_daemon_set(p->c, k, value, &why);
	if (r == -EINVAL) {
		escape_for_message(value, strlen(value), shown, sizeof(shown));
		return parse_error(p, "invalid %s \"%s\": %s", k, shown, why);
	}
	if (r == -ENOENT) {
		escape_for_message(key, keylen, shown, sizeof(shown));
		return parse_error(p, "unknown key '%s' in [daemon] (known: metrics-dir, "
				   "metrics-interval)", shown);
	}
	return r;
}

/* audit = all | comm:NAME | cgroup:PATH | unit:UNIT */
static int parse_audit(struct parser *p, const char *value) {
	static const struct { const char *prefix; enum rule_kind kind; } kinds[] = {
		{ "comm:", RULE_AUDIT_COMM }, { "cgroup:", RULE_AUDIT_CGROUP },
		{ "unit:", RULE_AUDIT_UNIT },
	};
	char shown[300];

	if (strcmp(value, "all") == 0) {
		p->c->audit_all = true;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		if (strncmp(value, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return add_from_file(p, kinds[i].kind, value + strlen(kinds[i].prefix));
	escape_for_message(value, strlen(value), shown, sizeof(shown));
	return parse_error(p, "invalid audit \"%s\": give all, comm:NAME, cgroup:PATH or unit:UNIT",
			   shown);
}

/* deny = comm:NAME | cgroup:PATH | unit:UNIT */
static int parse_deny(struct parser *p, const char *value) {
	static const struct { const char *prefix; enum rule_kind kind; } kinds[] = {
		{ "comm:", RULE_DENY_COMM }, { "cgroup:", RULE_DENY_CGROUP },
		{ "unit:", RULE_DENY_UNIT },
	};
	char shown[300];

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		if (strncmp(value, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return add_from_file(p, kinds[i].kind, value + strlen(kinds[i].prefix));
	escape_for_message(value, strlen(value), shown, sizeof(shown));
	return parse_error(p, "invalid deny \"%s\": give comm:NAME, cgroup:PATH or unit:UNIT", shown);
}

/* compat = report | exclude */
static int parse_compat_mode(struct parser *p, const char *value) {
	char shown[64];

	if (strcmp(value, "report") == 0 || strcmp(value, "exclude") == 0) {
		p->c->compat_exclude = value[0] == 'e';
		return 0;
	}
	escape_for_message(value, strlen(value), shown, sizeof(shown));
	return parse_error(p, "invalid compat \"%s\": give report (the default) or exclude", shown);
}

static int parse_assignment(struct parser *p, const char *key, size_t keylen,
			    const char *v, size_t n) {
	_cleanup_free_ char *value = NULL;
	char shown[64];
	int r;

#define KEY_IS(name) (keylen == strlen(name) && memcmp(key, name, keylen) == 0)
	if (p->section == SECTION_NONE)
		return parse_error(p, "assignment before any section: put it under [select], "
				   "[exclude], [compat] or [daemon]");

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

	if (p->section == SECTION_DAEMON)
		return daemon_setting(p, key, keylen, value);

	if (p->section == SECTION_COMPAT) {
		if (KEY_IS("audit"))
			return parse_audit(p, value);
		if (KEY_IS("deny"))
			return parse_deny(p, value);
		if (KEY_IS("compat"))
			return parse_compat_mode(p, value);
		escape_for_message(key, keylen, shown, sizeof(shown));
		return parse_error(p, "unknown key '%s' in [compat] (known: audit, deny, compat)", shown);
	}
	if (KEY_IS("comm"))
		return add_from_file(p, RULE_EXCLUDE, value);
	if (KEY_IS("cgroup"))
		return add_from_file(p, RULE_EXCLUDE_CGROUP, value);
	if (KEY_IS("unit"))
		return add_from_file(p, RULE_EXCLUDE_UNIT, value);
	escape_for_message(key, keylen, shown, sizeof(shown));
	return parse_error(p, "unknown key '%s' in [exclude] (known: comm, cgroup, unit)", shown);
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

