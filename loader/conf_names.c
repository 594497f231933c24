// SPDX-License-Identifier: GPL-2.0-only
/* Name validators: comm names, cgroup paths, unit names, and the text checks and escaping they and the parser share. */
#include "conf_private.h"

/* ---- error reporting --------------------------------------------------- */

/* Copy s (n bytes) into buf for an error message: printable ASCII as is,
 * every other byte as \xNN, so that a hostile name cannot send escape
 * sequences to the terminal that shows the message. Cut with "..." after
 * show_max bytes or when buf is full. */
void escape_bytes(const char *s, size_t n, size_t show_max, char *buf, size_t size) {
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
void escape_for_message(const char *s, size_t n, char *buf, size_t size) {
	escape_bytes(s, n, 64, buf, size);
}

void conf_error_clear(struct conf_error *err) {
	if (err)
		*err = (struct conf_error) {};
}

/* Set err->{file,line,message}. errno is kept for a %m in fmt. */
void conf_error_set(struct conf_error *err, const char *file, unsigned line,
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


/* Decode one character at s (n > 0 bytes left). Refuses overlong forms,
 * surrogates and code points above U+10FFFF, like the Unicode standard. */
enum utf8_result utf8_decode(const unsigned char *s, size_t n,
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
const char *value_text_check(const char *s, size_t n) {
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

