/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for the configuration code (loader/conf_*.c): validators, parser, file checks, writer.
 * Output is TAP, the plan printed last. The file-permission tests chown
 * files to another uid, so they need root; without it they are skipped. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static void skip(const char *name, const char *why) {
	n_tests++;
	printf("ok %u - %s # SKIP %s\n", n_tests, name, why);
}

static void diag(const char *fmt, ...) {
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void show_error(const struct conf_error *err) {
	diag("error: %s:%u: %s", err->file, err->line, err->message);
}

static char *repeat(char ch, size_t n) {
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memset(s, ch, n);
	s[n] = 0;
	return s;
}

/* ---- validators ---------------------------------------------------------- */

static void expect_comm(const char *name, const char *s, bool valid, const char *why_part) {
	const char *why = NULL;
	int r = comm_name_check(s, &why);

	if (valid)
		check(r == 0 && !why, "comm_name_check accepts %s", name);
	else if (!check(r == -EINVAL && why && (!why_part || strstr(why, why_part)),
			"comm_name_check refuses %s", name))
		diag("r=%d why=%s", r, why ? why : "(null)");
}

static void test_comm_names(void) {
	char *s15 = repeat('a', 15), *s16 = repeat('a', 16), *s64 = repeat('x', 64);

	expect_comm("iperf3", "iperf3", true, NULL);
	expect_comm("a name of 15 bytes", s15, true, NULL);
	expect_comm("a name of 16 bytes", s16, false, "longer than 15 bytes");
	expect_comm("a name of 64 bytes", s64, false, "longer than 15 bytes");
	expect_comm("an empty name", "", false, "empty");
	expect_comm("a name with '/'", "usr/bin/curl", false, "'/'");
	expect_comm("a name that is '/'", "/", false, "'/'");
	expect_comm("a tab", "a\tb", false, "control character");
	expect_comm("a newline", "a\nb", false, "control character");
	expect_comm("an escape (0x1b)", "a\x1b[0m", false, "control character");
	expect_comm("DEL (0x7f)", "a\x7f", false, "control character");
	expect_comm("a C1 control (U+0085)", "a\xc2\x85", false, "control character");
	expect_comm("spaces", "Web Content", true, NULL);
	expect_comm("leading and trailing spaces", " x ", true, NULL);
	expect_comm("a hash sign, '\"' and '\\'", "a#\"\\", true, NULL);
	expect_comm("UTF-8 (café)", "caf\xc3\xa9", true, NULL);
	/* Seven 2-byte characters and one ASCII: 15 bytes, all whole. */
	expect_comm("15 bytes of whole UTF-8 characters",
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "a", true, NULL);
	/* What the kernel keeps of "éééééééé" (16 bytes): 15 bytes, the last
	 * character cut after its first byte. */
	expect_comm("UTF-8 cut mid-character",
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3", false, "middle of a UTF-8");
	expect_comm("a 3-byte character cut after 2 bytes", "ab\xe2\x82", false, "middle of a UTF-8");
	expect_comm("a stray continuation byte", "a\x80", false, "UTF-8");
	expect_comm("a lead byte before ASCII", "a\xc3(b", false, "UTF-8");
	expect_comm("a 5-byte lead (f8)", "\xf8\x88\x80\x80\x80", false, "UTF-8");
	expect_comm("0xff", "\xff", false, "UTF-8");
	expect_comm("an overlong '/' (c0 af)", "\xc0\xaf", false, "UTF-8");
	expect_comm("a UTF-16 surrogate (ed a0 80)", "\xed\xa0\x80", false, "UTF-8");
	expect_comm("a code point above U+10FFFF", "\xf4\x90\x80\x80", false, "UTF-8");
	expect_comm("a 4-byte character (U+1F600)", "\xf0\x9f\x98\x80", true, NULL);

	check(comm_name_check("x", NULL) == 0 && comm_name_check("", NULL) == -EINVAL,
	      "comm_name_check takes a NULL why");

	free(s15);
	free(s16);
	free(s64);
}

static void expect_cgroup(const char *name, const char *s, bool valid, const char *why_part) {
	const char *why = NULL;
	int r = cgroup_path_check(s, &why);

	if (valid)
		check(r == 0, "cgroup_path_check accepts %s", name);
	else if (!check(r == -EINVAL && why && (!why_part || strstr(why, why_part)),
			"cgroup_path_check refuses %s", name))
		diag("r=%d why=%s", r, why ? why : "(null)");
}

static void expect_normalized(const char *in, const char *out) {
	char *n = NULL, *n2 = NULL;
	int r = cgroup_path_normalize(in, &n, NULL);

	if (!check(r == 0 && strcmp(n, out) == 0, "cgroup_path_normalize(\"%s\") is \"%s\"", in, out))
		diag("r=%d got=%s", r, n ? n : "(null)");
	if (r == 0) {
		r = cgroup_path_normalize(n, &n2, NULL);
		check(r == 0 && strcmp(n, n2) == 0, "normalizing \"%s\" again changes nothing", out);
	}
	free(n);
	free(n2);
}

static void test_cgroup_paths(void) {
	char *comp200 = repeat('c', 200), *comp256 = repeat('c', 256);
	char path4095[4096], path4096[4097];
	size_t o = 0;

	/* 4095 bytes made of "/ccc...c" components of 200 bytes. */
	while (o < 4095) {
		path4095[o++] = '/';
		for (unsigned i = 0; i < 200 && o < 4095; i++)
			path4095[o++] = 'c';
	}
	path4095[o] = 0;
	memcpy(path4096, path4095, 4095);
	path4096[4095] = 'c';
	path4096[4096] = 0;

	expect_cgroup("an absolute path", "/sys/fs/cgroup/system.slice/foo.service", true, NULL);
	expect_cgroup("a relative path", "system.slice/foo.service", true, NULL);
	/* Rules match paths below the cgroup2 mount of at most 254 bytes. */
	expect_cgroup("a path of 4095 bytes", path4095, false, "254");
	{
		char rel254[300] = "/sys/fs/cgroup/", rel255[300];

		memset(rel254 + 15, 'r', 253);  /* "/" + 253 bytes below the mount */
		rel254[15 + 253] = 0;
		snprintf(rel255, sizeof(rel255), "%sr", rel254);
		expect_cgroup("254 bytes below the mount", rel254, true, NULL);
		expect_cgroup("255 bytes below the mount", rel255, false, "254");
		expect_cgroup("253 bytes, relative", rel254 + 15 + 1, true, NULL);
	}
	expect_cgroup("a pattern in the last component", "system.slice/docker-*.scope", true, NULL);
	expect_cgroup("a pattern higher up", "system.slice/*/x", false, "last path component");
	expect_cgroup("'**'", "system.slice/**", false, "'**'");
	expect_cgroup("two '*'", "system.slice/a*b*", false, "only one");
	expect_cgroup("'?'", "system.slice/a?", false, "only '*'");
	expect_cgroup("a 64-byte prefix", "x/pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp*",
		      false, "63 bytes");
	expect_cgroup("a path of 4096 bytes", path4096, false, "4095");
	expect_cgroup("a component of 200 bytes", comp200, true, NULL);
	expect_cgroup("a component of 256 bytes", comp256, false, "NAME_MAX");
	expect_cgroup("an empty path", "", false, "empty");
	expect_cgroup("a leading '..'", "../etc", false, "'..'");
	expect_cgroup("'..' in the middle", "/sys/fs/cgroup/../../etc", false, "'..'");
	expect_cgroup("a trailing '..'", "system.slice/..", false, "'..'");
	expect_cgroup("a name '...'", "system.slice/...", true, NULL);
	expect_cgroup("a name '..x'", "system.slice/..x", true, NULL);
	expect_cgroup("a newline", "system.slice/a\nb", false, "control character");
	expect_cgroup("a tab", "system.slice/a\tb", false, "control character");
	expect_cgroup("invalid UTF-8", "system.slice/\xff", false, "UTF-8");
	expect_cgroup("the file system root", "/", false, "root");
	expect_cgroup("'//'", "//", false, "root");
	expect_cgroup("the cgroup root, '.'", ".", false, "cgroup root");
	expect_cgroup("'./'", "./", false, "cgroup root");

	expect_normalized("/sys/fs/cgroup//system.slice/./foo.service/", "/sys/fs/cgroup/system.slice/foo.service");
	expect_normalized("./system.slice//", "system.slice");
	expect_normalized("a", "a");
	expect_normalized("//a", "/a");

	free(comp200);
	free(comp256);
}

static void expect_unit(const char *name, const char *s, int expected, const char *why_part) {
	const char *why = NULL;
	int r = unit_name_check(s, &why);

	if (expected == 0)
		check(r == 0, "unit_name_check accepts %s", name);
	else if (!check(r == expected && why && (!why_part || strstr(why, why_part)),
			"unit_name_check refuses %s", name))
		diag("r=%d why=%s", r, why ? why : "(null)");
}

static void test_unit_names(void) {
	char *long_name = repeat('u', 256 - strlen(".service"));
	char *max_name = repeat('u', 255 - strlen(".service"));
	char buf[300];

	expect_unit("foo.service", "foo.service", 0, NULL);
	expect_unit("an instance foo@bar.service", "foo@bar.service", 0, NULL);
	expect_unit("a scope", "session-2.scope", 0, NULL);
	expect_unit("a slice", "system-foo.slice", 0, NULL);
	expect_unit("an escaped name", "foo\\x2dbar.service", 0, NULL);
	expect_unit("a template foo@.service", "foo@.service", -EINVAL, "template");
	expect_unit("a socket unit", "foo.socket", -EOPNOTSUPP, "SocketProtocol=mptcp");
	expect_unit("a socket unit (message names systemd >= 257)", "foo.socket", -EOPNOTSUPP, "systemd >= 257");
	expect_unit("a target", "multi-user.target", -EOPNOTSUPP, "without processes");
	expect_unit("a timer", "foo.timer", -EOPNOTSUPP, NULL);
	expect_unit("a name without type", "foo", -EINVAL, "suffix");
	expect_unit("an unknown type", "foo.bogus", -EINVAL, "unknown unit type");
	expect_unit("'.service' alone", ".service", -EINVAL, "suffix");
	expect_unit("a leading '@'", "@foo.service", -EINVAL, "'@'");
	expect_unit("a space", "foo bar.service", -EINVAL, "not allowed");
	expect_unit("a '/'", "system.slice/foo.service", -EINVAL, "not allowed");
	expect_unit("an empty name", "", -EINVAL, "empty");
	snprintf(buf, sizeof(buf), "%s.service", max_name);
	expect_unit("a name of 255 bytes", buf, 0, NULL);
	snprintf(buf, sizeof(buf), "%s.service", long_name);
	expect_unit("a name of 256 bytes", buf, -EINVAL, "255");

	free(long_name);
	free(max_name);
}

/* ---- parser -------------------------------------------------------------- */

static int parse(struct mptcpify_conf *c, const char *buf, size_t len, struct conf_error *err) {
	return conf_parse_buffer(c, buf, len, "test.conf", err);
}

static int parse_str(struct mptcpify_conf *c, const char *s, struct conf_error *err) {
	return parse(c, s, strlen(s), err);
}

static bool list_is(const struct conf_list *l, size_t n, ...) {
	va_list ap;
	bool ok = l->n == n;

	va_start(ap, n);
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(l->v[i], va_arg(ap, const char *)) == 0;
	va_end(ap);
	return ok;
}

/* Parse len bytes of buf and expect the error r at line, the message
 * containing msg_part; also that a conf it fails on stays as it was. */
static void expect_error_n(const char *name, const char *buf, size_t len, int r_expected,
			   unsigned line, const char *msg_part) {
	struct mptcpify_conf c = {}, before = {};
	struct conf_error err = {};
	int r;

	conf_add_comm(&c, "before");
	conf_add_comm(&before, "before");

	r = parse(&c, buf, len, &err);
	if (!check(r == r_expected && err.line == line && strcmp(err.file, "test.conf") == 0 &&
		   strstr(err.message, msg_part), "parser refuses %s", name)) {
		diag("r=%d, expected %d at line %u", r, r_expected, line);
		show_error(&err);
	}
	check(conf_equal(&c, &before), "a failed parse (%s) leaves the conf unchanged", name);
	conf_free(&c);
	conf_free(&before);
}

static void expect_error(const char *name, const char *buf, unsigned line, const char *msg_part) {
	expect_error_n(name, buf, strlen(buf), -EBADMSG, line, msg_part);
}

static void test_parse_example(void) {
	static const char text[] =
		"# mptcpify rules\n"
		"; another comment\n"
		"\n"
		"[select]\n"
		"comm = iperf3\n"
		"comm=nginx\n"
		"\tcomm\t=\tcurl  \n"
		"   cgroup = /sys/fs/cgroup/system.slice/foo.service\n"
		"cgroup = system.slice//bar.service/\n"
		"unit = foo.service\n"
		"all = no\n"
		"[exclude]\n"
		"comm = sshd\n";
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	int r;

	r = parse(&c, text, strlen(text), &err);
	if (!check(r == 0, "the example parses"))
		show_error(&err);
	check(list_is(&c.comms, 3, "curl", "iperf3", "nginx"), "comms, blanks and tabs ignored");
	check(list_is(&c.cgroups, 2, "/sys/fs/cgroup/system.slice/foo.service", "system.slice/bar.service"),
	      "cgroups, normalized");
	check(list_is(&c.units, 1, "foo.service"), "units");
	check(list_is(&c.exclude_comms, 1, "sshd"), "excluded comms");
	check(!c.all, "all = no");
	check(!conf_is_empty(&c), "conf_is_empty is false");
	conf_free(&c);
	check(conf_is_empty(&c), "conf_free leaves an empty conf");
}

static void test_parse_sets_and_sections(void) {
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	const char *t;
	int r;

	t = "[select]\ncomm = iperf3\ncomm = iperf3\ncomm =   iperf3\n";
	r = parse(&c, t, strlen(t), &err);
	check(r == 0 && list_is(&c.comms, 1, "iperf3"), "a repeated comm is kept once");
	r = parse(&c, t, strlen(t), &err);
	check(r == 0 && list_is(&c.comms, 1, "iperf3"), "parsing the same text again changes nothing");
	conf_free(&c);

	t = "[select]\ncomm = a\n[exclude]\ncomm = x\n[select]\ncomm = b\n[exclude]\ncomm = y\n";
	r = parse(&c, t, strlen(t), &err);
	check(r == 0 && list_is(&c.comms, 2, "a", "b") && list_is(&c.exclude_comms, 2, "x", "y"),
	      "repeated sections are merged");
	conf_free(&c);

	t = "[select]\ncomm = a\n";
	r = parse(&c, t, strlen(t), &err);
	t = "[select]\ncomm = b\n";
	r = r ?: parse(&c, t, strlen(t), &err);
	check(r == 0 && list_is(&c.comms, 2, "a", "b"), "two buffers merge into one conf");
	conf_free(&c);

	t = "[select]\ncomm = a\n";
	r = parse(&c, t, strlen(t), &err);
	t = "comm = b\n";
	r = parse(&c, t, strlen(t), &err);
	check(r == -EBADMSG && err.line == 1, "a section does not carry over to the next buffer");
	conf_free(&c);

	t = "[select]\ncomm = nginx\n[exclude]\ncomm = nginx\n";
	r = parse(&c, t, strlen(t), &err);
	check(r == 0 && c.comms.n == 1 && c.exclude_comms.n == 1,
	      "a comm both selected and excluded is accepted (exclude wins in the kernel)");
	conf_free(&c);

	r = parse(&c, "", 0, &err);
	check(r == 0 && conf_is_empty(&c), "an empty buffer is an empty conf");
	t = "\n\n  \t\n# only comments\n";
	r = parse(&c, t, strlen(t), &err);
	check(r == 0 && conf_is_empty(&c), "blank lines and comments only");
	t = "[select]\n[exclude]\n";
	r = parse(&c, t, strlen(t), &err);
	check(r == 0 && conf_is_empty(&c), "empty sections");
	conf_free(&c);
}

static void test_parse_booleans(void) {
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "FALSE" };
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	char buf[64];
	int r;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(buf, sizeof(buf), "[select]\nall = no\nall = %s\n", yes[i]);
		r = parse(&c, buf, strlen(buf), &err);
		check(r == 0 && c.all, "all = %s is true, and the last assignment wins", yes[i]);
		conf_free(&c);
		snprintf(buf, sizeof(buf), "[select]\nall = yes\nall = %s\n", no[i]);
		r = parse(&c, buf, strlen(buf), &err);
		check(r == 0 && !c.all, "all = %s is false, and the last assignment wins", no[i]);
		conf_free(&c);
	}
	expect_error("all = maybe", "[select]\nall = maybe\n", 2, "invalid boolean");
	expect_error("all = (empty)", "[select]\nall =\n", 2, "invalid boolean");
	expect_error("all = yes2", "[select]\nall = yes2\n", 2, "invalid boolean");
}

static void test_parse_quoting(void) {
	static const char text[] =
		"[select]\n"
		"comm = \" lead\"\n"
		"comm = \"trail \"\n"
		"comm = \"a #b\"\n"
		"comm = \"#hash\"\n"
		"comm = \"q\\\"uote\"\n"
		"comm = \"back\\\\slash\"\n"
		"comm = a\"b\n"
		"comm = c\\d\n"
		"comm = e#f\n"
		"unit = \"foo.service\"\n"
		"all = \"yes\"\n";
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	int r;

	r = parse(&c, text, strlen(text), &err);
	if (!check(r == 0, "quoted values parse"))
		show_error(&err);
	check(list_is(&c.comms, 9, " lead", "#hash", "a #b", "a\"b",
		      "back\\slash", "c\\d", "e#f", "q\"uote", "trail "),
	      "quotes keep blanks and hash signs; \\\" and \\\\ unescape; unquoted text is literal");
	check(list_is(&c.units, 1, "foo.service") && c.all, "quotes work for units and booleans");
	conf_free(&c);

	expect_error("a trailing comment", "[select]\ncomm = nginx # web server\n", 2, "comments must be on a line");
	expect_error("a value starting with a hash sign", "[select]\ncomm = #nginx\n", 2, "comments must be on a line");
	expect_error("a trailing comment after a tab", "[select]\ncomm = nginx\t# web\n", 2, "comments must be on a line");
	expect_error("a missing closing quote", "[select]\ncomm = \"nginx\n", 2, "missing closing");
	expect_error("a lone quote", "[select]\ncomm = \"\n", 2, "missing closing");
	expect_error("a backslash at the end of a quoted value", "[select]\ncomm = \"a\\\n", 2, "escape");
	expect_error("an unknown escape", "[select]\ncomm = \"a\\n\"\n", 2, "unknown escape");
	expect_error("text after the closing quote", "[select]\ncomm = \"a\" b\n", 2, "after the closing");
	expect_error("an empty quoted comm", "[select]\ncomm = \"\"\n", 2, "empty");
	expect_error("a quoted tab", "[select]\ncomm = \"a\tb\"\n", 2, "control character");
}

static void test_parse_errors(void) {
	char *longline;
	size_t n;

	expect_error("an unknown key", "# x\n[select]\ncomm = a\nprocess = b\n", 4, "unknown key 'process' in [select]");
	expect_error("a key in upper case", "[select]\nComm = a\n", 2, "unknown key 'Comm'");
	expect_error("all in [exclude]", "[exclude]\nall = yes\n", 2,
		     "unknown key 'all' in [exclude] (known: comm, cgroup, unit)");
	expect_error("an unknown section", "[selection]\ncomm = a\n", 1, "unknown section [selection]");
	expect_error("a section with blanks inside", "[ select ]\n", 1, "unknown section");
	expect_error("an empty section name", "[]\n", 1, "unknown section");
	expect_error("text after a section header", "[select] # rules\n", 1, "must end with ']'");
	expect_error("a truncated section header", "[sel", 1, "must end with ']'");
	expect_error("a key before any section", "comm = a\n[select]\n", 1, "before any section");
	expect_error("a line without '='", "[select]\ncomm iperf3\n", 2, "expected \"key = value\"");
	expect_error("a line with ':'", "[select]\ncomm: iperf3\n", 2, "expected \"key = value\"");
	expect_error("a line with '=' but no key", "[select]\n= iperf3\n", 2, "expected \"key = value\"");
	expect_error("garbage", "[select]\n%$&*@!\n", 2, "expected");
	expect_error("binary garbage", "\x89PNG\r\n\x1a\n", 1, "");
	expect_error("bytes that are not UTF-8", "[select]\n# caf\xe9\n", 2, "not valid UTF-8");
	expect_error("a file cut in a UTF-8 character", "[select]\ncomm = caf\xc3", 2, "not valid UTF-8");
	expect_error("a file cut in a quoted value", "[select]\ncomm = \"ipe", 2, "missing closing");
	expect_error("a file cut after the key", "[select]\ncomm", 2, "expected");
	expect_error("a file cut after '='", "[select]\ncomm =", 2, "empty");
	expect_error("a carriage return", "[select]\r\ncomm = a\r\n", 1, "carriage return");
	expect_error("a control character in a comment", "# a\x01\n", 1, "control character");
	expect_error("a byte order mark", "\xef\xbb\xbf[select]\n", 1, "byte order mark");
	expect_error("a comm of 200 bytes, shown cut with \"...\"",
		     "[select]\ncomm = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		     2, "invalid comm \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\": longer");
	expect_error("a comm of 16 bytes", "[select]\ncomm = aaaaaaaaaaaaaaaa\n", 2,
		     "invalid comm \"aaaaaaaaaaaaaaaa\": longer than 15 bytes (the kernel keeps 15)");
	expect_error("an empty comm", "[select]\ncomm =\n", 2, "empty");
	expect_error("an excluded comm with '/'", "[exclude]\ncomm = /usr/sbin/sshd\n", 2, "'/'");
	expect_error("a cgroup with '..'", "[select]\ncgroup = /sys/fs/cgroup/../x\n", 2, "'..'");
	expect_error("a template unit", "[select]\nunit = getty@.service\n", 2, "template");
	expect_error("a socket unit", "[select]\nunit = sshd.socket\n", 2, "SocketProtocol=mptcp");
	/* C1 controls are valid UTF-8, so the line passes and the value check
	 * refuses them; the message must not carry them to a terminal (0x9b
	 * is CSI there). */
	expect_error("a C1 control in a comm, shown escaped",
		     "[select]\ncomm = a\xc2\x9b" "31m\n", 2, "invalid comm \"a\\xc2\\x9b31m\": contains a control");

	/* NUL bytes: the length is passed, the parser must see past them. */
#define NUL_CASE(name, lit, line) expect_error_n(name, lit, sizeof(lit) - 1, -EBADMSG, line, "NUL")
	NUL_CASE("a NUL in a value", "[select]\ncomm = ab\0cd\n", 2);
	NUL_CASE("a NUL ending a value (\"ab\\0\")", "[select]\ncomm = ab\0\n", 2);
	NUL_CASE("a NUL in a comment", "[select]\ncomm = a\n# \0\n", 3);
	NUL_CASE("a NUL at the end", "[select]\ncomm = ab\n\0", 3);
	NUL_CASE("only NUL bytes", "\0\0\0\0", 1);
#undef NUL_CASE

	n = CONF_LINE_MAX + 1;
	longline = malloc(n + 16);
	memcpy(longline, "[select]\n#", 10);
	memset(longline + 10, 'x', n - 1);
	longline[9 + n] = '\n';
	expect_error_n("a line longer than CONF_LINE_MAX", longline, 10 + n, -EBADMSG, 2, "longer than");
	free(longline);
}

static void test_daemon_settings(void) {
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	const char *why = NULL;
	unsigned v = 0;
	int r;

	check(conf_metrics_interval(&c) == CONF_METRICS_INTERVAL_DEFAULT && !c.metrics_dir,
	      "no [daemon]: no metrics-dir, the default interval");
	r = parse_str(&c, "[daemon]\nmetrics-dir = /var/lib/prometheus/node-exporter\n"
		  "metrics-interval = 5\n", &err);
	check(r == 0 && c.metrics_dir && strcmp(c.metrics_dir, "/var/lib/prometheus/node-exporter") == 0 &&
	      conf_metrics_interval(&c) == 5, "[daemon] metrics-dir and metrics-interval are read");
	check(!conf_is_empty(&c), "a conf with metrics-dir is not empty");
	/* A drop-in read later overrides; an empty value unsets. */
	r = parse_str(&c, "[daemon]\nmetrics-dir = /srv/metrics\n", &err);
	check(r == 0 && strcmp(c.metrics_dir, "/srv/metrics") == 0 && c.metrics_interval == 5,
	      "a later metrics-dir wins, the interval stays");
	r = parse_str(&c, "[daemon]\nmetrics-dir =\n", &err);
	check(r == 0 && !c.metrics_dir, "an empty metrics-dir unsets it");
	r = parse_str(&c, "[daemon]\nmetrics-dir = \"\"\n[select]\ncomm = a\n[daemon]\nmetrics-interval = 86400\n", &err);
	check(r == 0 && !c.metrics_dir && c.metrics_interval == 86400 && c.comms.n == 1,
	      "sections mix; the longest interval is a day");
	conf_free(&c);
	check(conf_is_empty(&c), "conf_free clears the [daemon] settings");

	expect_error("an unknown key in [daemon]", "[daemon]\nmetrics = /x\n", 2,
		     "unknown key 'metrics' in [daemon] (known: metrics-dir, metrics-interval)");
	expect_error("comm in [daemon]", "[daemon]\ncomm = a\n", 2, "unknown key 'comm' in [daemon]");
	expect_error("metrics-dir in [select]", "[select]\nmetrics-dir = /x\n", 2, "unknown key 'metrics-dir'");
	expect_error("a relative metrics-dir", "[daemon]\nmetrics-dir = var/lib/x\n", 2,
		     "invalid metrics-dir \"var/lib/x\": not an absolute path");
	expect_error("metrics-dir /", "[daemon]\nmetrics-dir = //\n", 2, "the root directory");
	expect_error("metrics-dir with '..'", "[daemon]\nmetrics-dir = /var/../etc\n", 2, "'..' component");
	expect_error("metrics-dir in /tmp", "[daemon]\nmetrics-dir = /tmp/m\n", 2, "PrivateTmp=yes");
	expect_error("metrics-dir in /var/tmp", "[daemon]\nmetrics-dir = /var/tmp\n", 2, "PrivateTmp=yes");
	expect_error("metrics-dir in /home", "[daemon]\nmetrics-dir = /home/u/m\n", 2, "ProtectHome=yes");
	expect_error("metrics-dir with a quote", "[daemon]\nmetrics-dir = \"/a\\\"b\"\n", 2, "contains '\"'");
	expect_error("metrics-dir with a backslash", "[daemon]\nmetrics-dir = /a\\b\n", 2, "contains '\"' or '\\'");
	expect_error("metrics-dir with a tab", "[daemon]\nmetrics-dir = \"/a\tb\"\n", 2, "control character");
	expect_error("metrics-interval 0", "[daemon]\nmetrics-interval = 0\n", 2, "0 seconds");
	expect_error("metrics-interval 86401", "[daemon]\nmetrics-interval = 86401\n", 2, "more than a day");
	expect_error("metrics-interval 2^32+5", "[daemon]\nmetrics-interval = 4294967301\n", 2, "more than a day");
	expect_error("metrics-interval 15s", "[daemon]\nmetrics-interval = 15s\n", 2, "whole number of seconds");
	expect_error("metrics-interval -1", "[daemon]\nmetrics-interval = -1\n", 2, "whole number");
	expect_error("an empty metrics-interval", "[daemon]\nmetrics-interval =\n", 2, "empty");
	check(metrics_dir_check("/tmpfoo/m", &why) == 0 && !why, "/tmpfoo is not /tmp");
	check(metrics_dir_check("/var/lib/m p%x", &why) == 0, "spaces and %% are allowed");
	check(metrics_interval_parse("007", &v, &why) == 0 && v == 7, "metrics-interval 007 is 7");
}

/* Deny rules, cgroup and unit excludes, compat mode (issue 19's remedies). */
static void test_deny_exclude_compat(void) {
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	int r;

	check(!c.compat_exclude, "compat = report by default");
	r = parse_str(&c, "[exclude]\ncomm = sshd\ncgroup = system.slice//backup.service/\n"
		      "unit = bird.service\n[compat]\ndeny = comm:gobgpd\ndeny = cgroup:/sys/fs/cgroup/x\n"
		      "deny = unit:frr.service\ncompat = exclude\naudit = comm:nginx\n", &err);
	if (!check(r == 0 && list_is(&c.exclude_comms, 1, "sshd") &&
		   list_is(&c.exclude_cgroups, 1, "system.slice/backup.service") &&
		   list_is(&c.exclude_units, 1, "bird.service") && list_is(&c.deny_comms, 1, "gobgpd") &&
		   list_is(&c.deny_cgroups, 1, "/sys/fs/cgroup/x") &&
		   list_is(&c.deny_units, 1, "frr.service") && c.compat_exclude &&
		   list_is(&c.audit_comms, 1, "nginx"),
		   "deny =, [exclude] cgroup and unit, compat = exclude are read"))
		show_error(&err);
	check(!conf_is_empty(&c), "a conf with only those is not empty");
	r = parse_str(&c, "[compat]\ncompat = report\n", &err);
	check(r == 0 && !c.compat_exclude && c.deny_comms.n == 1, "a later compat = report wins");
	check(conf_add_deny(&c, 'c', "gobgpd") == -EEXIST && conf_add_deny(&c, 'u', "a.service") == 0 &&
	      conf_remove_deny(&c, 'g', "/sys/fs/cgroup//x") == 0 && c.deny_cgroups.n == 0,
	      "deny rules are sets; cgroups compare normalized");
	check(conf_add_exclude_kind(&c, 'g', "a/*.scope") == -EINVAL &&
	      conf_add_deny(&c, 'g', "a/b*") == -EINVAL, "no pattern for exclude and deny");
	check(conf_add_exclude_kind(&c, 'c', "sshd") == -EEXIST, "exclude --comm is the [exclude] comm list");
	conf_free(&c);
	check(conf_is_empty(&c), "conf_free clears deny, exclude and compat");
	expect_error("an unknown compat mode", "[compat]\ncompat = sometimes\n", 2,
		     "invalid compat \"sometimes\": give report (the default) or exclude");
	expect_error("compat in upper case", "[compat]\ncompat = Exclude\n", 2, "invalid compat");
	expect_error("a deny without a kind", "[compat]\ndeny = gobgpd\n", 2,
		     "invalid deny \"gobgpd\": give comm:NAME, cgroup:PATH or unit:UNIT");
	expect_error("deny = all", "[compat]\ndeny = all\n", 2, "invalid deny");
	expect_error("a deny pattern", "[compat]\ndeny = cgroup:a/*.scope\n", 2,
		     "invalid cgroup \"a/*.scope\": is a pattern");
	expect_error("an exclude pattern", "[exclude]\ncgroup = a/b*\n", 2, "is a pattern");
	expect_error("a deny of a bad comm", "[compat]\ndeny = comm:0123456789abcdef\n", 2,
		     "invalid comm");
	expect_error("an exclude of a socket unit", "[exclude]\nunit = a.socket\n", 2, "invalid unit");
	expect_error("an unknown key in [compat]", "[compat]\nmode = exclude\n", 2,
		     "unknown key 'mode' in [compat] (known: audit, deny, compat)");
}

static void test_parse_limits(void) {
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	char *buf, *p;
	size_t cap = 64 * 1024;
	char name[16];
	int r;

	/* One more excluded comm than the BPF map holds. */
	buf = p = malloc(cap);
	p += sprintf(p, "[exclude]\n");
	for (unsigned i = 0; i <= 1024; i++)
		p += sprintf(p, "comm = x%u\n", i);
	r = parse(&c, buf, p - buf, &err);
	if (!check(r == -E2BIG && err.line == 1026 && strstr(err.message, "1024"),
		   "the 1025th excluded comm is refused at its line"))
		show_error(&err);
	check(conf_is_empty(&c), "and nothing was added");

	/* Exactly at the limit it parses; a repeat is still fine; a new one not. */
	r = parse(&c, buf, p - buf - strlen("comm = x1024\n"), &err);
	check(r == 0 && c.exclude_comms.n == 1024, "1024 excluded comms parse");
	check(conf_add_exclude(&c, "x5") == -EEXIST, "a full set still reports an existing value as -EEXIST");
	check(conf_add_exclude(&c, "new") == -E2BIG, "a full set refuses a new value with -E2BIG");
	conf_free(&c);
	free(buf);

	/* The same for comm and cgroup lines. */
	cap = 16385 * 32;
	buf = p = malloc(cap);
	p += sprintf(p, "[select]\n");
	for (unsigned i = 0; i <= 16384; i++)
		p += sprintf(p, "comm = c%u\n", i);
	r = parse(&c, buf, p - buf, &err);
	check(r == -E2BIG && err.line == 16386 && strstr(err.message, "16384 comm"),
	      "the 16385th comm line is refused at its line");
	p = buf + sprintf(buf, "[select]\n");
	for (unsigned i = 0; i < 4096; i++)
		p += sprintf(p, "cgroup = a/%u\n", i);
	p += sprintf(p, "unit = one-more.service\n");
	r = parse(&c, buf, p - buf, &err);
	check(r == -E2BIG && err.line == 4098 && strstr(err.message, "4096 cgroup and unit"),
	      "the 4097th cgroup or unit line is refused at its line");
	check(conf_is_empty(&c), "and nothing was added");
	free(buf);

	/* Units and cgroups share the cgroup map. */
	for (unsigned i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "u%u.service", i);
		r = i % 2 ? conf_add_unit(&c, name) : conf_add_cgroup(&c, name);
		if (r < 0)
			break;
	}
	check(r == 0 && c.units.n + c.cgroups.n == 4096, "4096 cgroup and unit rules fit");
	check(conf_add_unit(&c, "one-more.service") == -E2BIG && conf_add_cgroup(&c, "one/more") == -E2BIG,
	      "the 4097th cgroup or unit rule is refused");
	conf_free(&c);

	for (unsigned i = 0; i < 16384; i++) {
		snprintf(name, sizeof(name), "c%u", i);
		r = conf_add_comm(&c, name);
		if (r < 0)
			break;
	}
	check(r == 0 && c.comms.n == 16384, "16384 comm rules fit");
	check(conf_add_comm(&c, "one-more") == -E2BIG, "the 16385th comm rule is refused");
	conf_free(&c);
}

static void test_add_remove(void) {
	struct mptcpify_conf c = {};

	check(conf_add_comm(&c, "iperf3") == 0, "conf_add_comm adds");
	check(conf_add_comm(&c, "iperf3") == -EEXIST, "conf_add_comm again is -EEXIST");
	check(conf_add_comm(&c, "0123456789abcdef") == -EINVAL, "conf_add_comm refuses 16 bytes with -EINVAL");
	check(conf_remove_comm(&c, "iperf3") == 0, "conf_remove_comm removes");
	check(conf_remove_comm(&c, "iperf3") == -ENOENT, "conf_remove_comm again is -ENOENT");
	check(conf_remove_comm(&c, "") == -ENOENT, "conf_remove_comm of an invalid name is -ENOENT");

	check(conf_add_cgroup(&c, "/sys/fs/cgroup/a") == 0, "conf_add_cgroup adds");
	check(conf_add_cgroup(&c, "/sys/fs/cgroup//a/") == -EEXIST, "cgroup paths compare normalized");
	check(conf_add_cgroup(&c, "/sys/../a") == -EINVAL, "conf_add_cgroup refuses '..'");
	check(conf_remove_cgroup(&c, "/sys/fs/cgroup/./a") == 0, "conf_remove_cgroup normalizes too");
	check(conf_remove_cgroup(&c, "/sys/fs/cgroup/a") == -ENOENT, "conf_remove_cgroup again is -ENOENT");

	check(conf_add_unit(&c, "foo.service") == 0, "conf_add_unit adds");
	check(conf_add_unit(&c, "foo.service") == -EEXIST, "conf_add_unit again is -EEXIST");
	check(conf_add_unit(&c, "foo.socket") == -EINVAL, "conf_add_unit refuses a socket unit");
	check(conf_remove_unit(&c, "foo.service") == 0, "conf_remove_unit removes");
	check(conf_remove_unit(&c, "foo.service") == -ENOENT, "conf_remove_unit again is -ENOENT");

	check(conf_add_exclude(&c, "sshd") == 0, "conf_add_exclude adds");
	check(conf_add_exclude(&c, "sshd") == -EEXIST, "conf_add_exclude again is -EEXIST");
	check(conf_remove_exclude(&c, "sshd") == 0, "conf_remove_exclude removes");
	check(conf_remove_exclude(&c, "sshd") == -ENOENT, "conf_remove_exclude again is -ENOENT");

	check(conf_is_empty(&c), "everything added was removed");

	/* Sorted whatever the order of insertion. */
	conf_add_comm(&c, "m");
	conf_add_comm(&c, "z");
	conf_add_comm(&c, "a");
	conf_add_comm(&c, "q");
	conf_remove_comm(&c, "m");
	check(list_is(&c.comms, 3, "a", "q", "z"), "the rules stay sorted");
	conf_free(&c);
}

/* ---- canonical output -------------------------------------------------- */

static void fill_tricky_conf(struct mptcpify_conf *c) {
	static const char *const comms[] = {
		"iperf3", " lead", "trail ", "a #b", "#hash", "\"q", "back\\slash",
		"a\"b\"", "caf\xc3\xa9", "Web Content", ";semi", "[select]", "x = y", " ",
	};

	for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++)
		if (conf_add_comm(c, comms[i]) < 0)
			diag("cannot add comm \"%s\"", comms[i]);
	conf_add_cgroup(c, "/sys/fs/cgroup/system.slice/foo.service");
	conf_add_cgroup(c, "user.slice/user-1000.slice/a #b.scope");
	conf_add_unit(c, "foo@1.service");
	conf_add_unit(c, "bar\\x2dbaz.service");
	conf_add_exclude(c, "sshd");
	conf_add_exclude(c, " #");
	conf_add_exclude_kind(c, 'g', "system.slice/a #b.service");
	conf_add_exclude_kind(c, 'u', "backup.service");
	conf_add_deny(c, 'c', " gobgpd");
	conf_add_deny(c, 'g', "/sys/fs/cgroup/machine.slice");
	conf_add_deny(c, 'u', "bird.service");
	c->compat_exclude = true;
	c->all = true;
	c->metrics_dir = strdup("/var/lib/node exporter #1");
	c->metrics_interval = 30;
}

static void test_canonical(void) {
	struct mptcpify_conf c = {}, c2 = {};
	struct conf_error err = {};
	char *text = NULL, *text2 = NULL;
	size_t len, len2;
	int r;

	r = conf_format(&c, &text, &len);
	check(r == 0 && strstr(text, "[select]") == NULL && strstr(text, "[exclude]") == NULL,
	      "an empty conf is written without sections");
	r = parse(&c2, text, len, &err);
	check(r == 0 && conf_is_empty(&c2), "and reads back empty");
	free(text);

	fill_tricky_conf(&c);
	check(c.comms.n == 14 && c.cgroups.n == 2 && c.units.n == 2 && c.exclude_comms.n == 2,
	      "the tricky conf is complete");
	r = conf_format(&c, &text, &len);
	check(r == 0 && strlen(text) == len, "conf_format gives a NUL-terminated text");
	r = parse(&c2, text, len, &err);
	if (!check(r == 0 && conf_equal(&c, &c2), "canonical output re-parses to the same conf")) {
		show_error(&err);
		diag("%s", text);
	}
	r = conf_format(&c2, &text2, &len2);
	check(r == 0 && len == len2 && memcmp(text, text2, len) == 0,
	      "formatting the re-parsed conf gives the same bytes");
	check(strstr(text, "comm = \" lead\"\n") && strstr(text, "comm = \"a #b\"\n") &&
	      strstr(text, "comm = iperf3\n") && strstr(text, "all = yes\n"),
	      "values are quoted only when they need it");
	check(strstr(text, "\n[compat]\ncompat = exclude\ndeny = comm: gobgpd\n"
		     "deny = cgroup:/sys/fs/cgroup/machine.slice\ndeny = unit:bird.service\n") &&
	      strstr(text, "cgroup = \"system.slice/a #b.service\"\nunit = backup.service\n"),
	      "deny, compat and the [exclude] cgroups and units are written");
	check(strstr(text, "\n[daemon]\nmetrics-dir = \"/var/lib/node exporter #1\"\n"
		     "metrics-interval = 30\n") != NULL,
	      "the [daemon] settings are written (mptcpify attach must not drop them)");
	conf_free(&c2);
	c2.all = true;
	check(!conf_equal(&c, &c2), "conf_equal sees a difference");
	free(text);
	free(text2);
	conf_free(&c);
	conf_free(&c2);
}

/* ---- files ------------------------------------------------------------- */

static char tmpdir[64];

/* A path in the temporary directory, in a ring of 64 buffers: good until
 * 64 more calls, which no test function makes. */
static char *tpath(const char *name) {
	static char buf[64][PATH_MAX];
	static unsigned i;
	char *p = buf[i++ % 64];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const char *text, mode_t mode) {
	FILE *f;

	unlink(path);
	f = fopen(path, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		diag("cannot write %s: %m", path);
		abort();
	}
	if (chmod(path, mode) < 0)
		abort();
}

static void expect_load_error(const char *name, const char *path, int r_expected, const char *msg_part) {
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	int r;

	r = conf_load_file(&c, path, &err);
	if (!check(r == r_expected && strstr(err.message, msg_part) && strcmp(err.file, path) == 0 &&
		   err.line == 0 && conf_is_empty(&c), "conf_load_file refuses %s", name)) {
		diag("r=%d, expected %d", r, r_expected);
		show_error(&err);
	}
	conf_free(&c);
}

static void test_load_file(void) {
	struct mptcpify_conf c = {};
	struct conf_error err = {};
	char *big = tpath("big.conf");
	int r, fd;

	write_file(tpath("ok.conf"), "[select]\ncomm = iperf3\n", 0644);
	r = conf_load_file(&c, tpath("ok.conf"), &err);
	check(r == 0 && list_is(&c.comms, 1, "iperf3"), "conf_load_file reads a 0644 root-owned file");
	conf_free(&c);

	write_file(tpath("bad.conf"), "[select]\ncomm = iperf3\nfoo = bar\n", 0644);
	r = conf_load_file(&c, tpath("bad.conf"), &err);
	check(r == -EBADMSG && err.line == 3 && strcmp(err.file, tpath("bad.conf")) == 0,
	      "a syntax error in a file names the file and line");

	write_file(tpath("nul.conf"), "[select]\n", 0644);
	fd = open(tpath("nul.conf"), O_WRONLY | O_APPEND | O_CLOEXEC);
	r = write(fd, "comm = a\0b\n", 11) == 11 ? 0 : -1;
	close(fd);
	r = r ?: conf_load_file(&c, tpath("nul.conf"), &err);
	check(r == -EBADMSG && err.line == 2 && strstr(err.message, "NUL"),
	      "a NUL byte in a file is refused at its line");

	write_file(tpath("ww.conf"), "[select]\ncomm = iperf3\n", 0666);
	expect_load_error("a world-writable file", tpath("ww.conf"), -EPERM, "world-writable");

	if (geteuid() == 0) {
		write_file(tpath("other.conf"), "[select]\ncomm = iperf3\n", 0644);
		if (chown(tpath("other.conf"), 65534, 0) < 0)
			abort();
		expect_load_error("a file owned by another uid", tpath("other.conf"), -EPERM, "owned by uid 65534");

		write_file(tpath("grp.conf"), "[select]\ncomm = iperf3\n", 0664);
		if (chown(tpath("grp.conf"), 0, 65534) < 0)
			abort();
		expect_load_error("a file writable by another group", tpath("grp.conf"), -EPERM, "group 65534");

		write_file(tpath("grp0.conf"), "[select]\ncomm = iperf3\n", 0664);
		if (chown(tpath("grp0.conf"), 0, 0) < 0)
			abort();
		r = conf_load_file(&c, tpath("grp0.conf"), &err);
		check(r == 0, "conf_load_file reads a file writable by group root");
		conf_free(&c);
	} else {
		skip("conf_load_file refuses a file owned by another uid", "needs root for chown");
		skip("conf_load_file refuses a file writable by another group", "needs root for chown");
		skip("conf_load_file reads a file writable by group root", "needs root for chown");
	}

	if (symlink("ok.conf", tpath("link.conf")) < 0)
		abort();
	expect_load_error("a symbolic link", tpath("link.conf"), -ELOOP, "symbolic link");

	expect_load_error("a missing file", tpath("missing.conf"), -ENOENT, "does not exist");

	mkdir(tpath("dir.conf"), 0755);
	expect_load_error("a directory", tpath("dir.conf"), -EISDIR, "directory");

	mkfifo(tpath("fifo.conf"), 0644);
	expect_load_error("a FIFO (without blocking)", tpath("fifo.conf"), -EBADFD, "not a regular file");

	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	r = ftruncate(fd, CONF_FILE_MAX + 1);
	close(fd);
	if (r == 0)
		expect_load_error("a file larger than CONF_FILE_MAX", big, -EFBIG, "larger than");
	unlink(big);
}

static void test_load_dir(void) {
	struct mptcpify_conf c = {}, before = {};
	struct conf_error err = {};
	char *etc = tpath("etc"), *confd = tpath("etc/conf.d");
	int r;

	mkdir(etc, 0755);
	r = conf_load_dir(&c, etc, &err);
	check(r == 0 && conf_is_empty(&c), "conf_load_dir of a directory without files is empty");
	r = conf_load_dir(&c, tpath("no-such-dir"), &err);
	check(r == -ENOENT, "conf_load_dir of a missing directory is -ENOENT");

	mkdir(confd, 0755);
	write_file(tpath("etc/mptcpify.conf"), "[select]\ncomm = main\nall = yes\n", 0644);
	write_file(tpath("etc/conf.d/20-b.conf"), "[select]\nall = no\ncomm = b\n", 0644);
	write_file(tpath("etc/conf.d/10-a.conf"), "[select]\nall = yes\ncomm = a\n[exclude]\ncomm = sshd\n", 0644);
	write_file(tpath("etc/conf.d/.hidden.conf"), "garbage\n", 0644);
	write_file(tpath("etc/conf.d/.#10-a.conf.1234"), "garbage\n", 0644);
	write_file(tpath("etc/conf.d/30-c.conf.bak"), "garbage\n", 0644);
	write_file(tpath("etc/conf.d/README"), "garbage\n", 0644);
	r = conf_load_dir(&c, etc, &err);
	if (!check(r == 0, "conf_load_dir reads the main file and conf.d/*.conf, skipping other names"))
		show_error(&err);
	check(list_is(&c.comms, 3, "a", "b", "main") && list_is(&c.exclude_comms, 1, "sshd"),
	      "all files are merged");
	check(!c.all, "drop-ins are read in lexical order after the main file (last all= wins)");
	conf_free(&c);

	write_file(tpath("etc/conf.d/15-bad.conf"), "[select]\ncomm = ok\nunit = foo@.service\n", 0644);
	conf_add_comm(&c, "kept");
	conf_add_comm(&before, "kept");
	r = conf_load_dir(&c, etc, &err);
	check(r == -EBADMSG && err.line == 3 && strcmp(err.file, tpath("etc/conf.d/15-bad.conf")) == 0,
	      "an error in a drop-in names that drop-in and the line");
	check(conf_equal(&c, &before), "a failed conf_load_dir leaves the conf unchanged");
	unlink(tpath("etc/conf.d/15-bad.conf"));

	if (symlink("10-a.conf", tpath("etc/conf.d/40-link.conf")) < 0)
		abort();
	r = conf_load_dir(&c, etc, &err);
	check(r == -ELOOP && strcmp(err.file, tpath("etc/conf.d/40-link.conf")) == 0,
	      "a symbolic link in conf.d is refused");
	unlink(tpath("etc/conf.d/40-link.conf"));

	chmod(confd, 0777);
	r = conf_load_dir(&c, etc, &err);
	check(r == -EPERM && strstr(err.message, "world-writable") && strcmp(err.file, confd) == 0,
	      "a world-writable conf.d is refused");
	chmod(confd, 0755);

	chmod(etc, 01777);
	r = conf_load_dir(&c, etc, &err);
	check(r == -EPERM && strcmp(err.file, etc) == 0,
	      "a world-writable configuration directory is refused, sticky bit or not");
	chmod(etc, 0755);

	rename(confd, tpath("etc/conf.d.away"));
	write_file(confd, "not a directory\n", 0644);
	r = conf_load_dir(&c, etc, &err);
	check(r == -ENOTDIR && strcmp(err.file, confd) == 0, "a conf.d that is a file is refused");
	unlink(confd);
	rename(tpath("etc/conf.d.away"), confd);

	r = conf_load_dir(&c, etc, &err);
	check(r == 0, "conf_load_dir reads the directory again once fixed");
	conf_free(&c);
	conf_free(&before);
}

static unsigned count_dir_entries(const char *path) {
	DIR *d = opendir(path);
	unsigned n = 0;
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static char *read_text(const char *path) {
	static char buf[8192];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_write_atomic(void) {
	struct mptcpify_conf c = {}, c2 = {};
	struct conf_error err = {};
	char *dir = tpath("w"), *path = tpath("w/mptcpify.conf"), *target = tpath("w/target");
	char first[8192], *text;
	struct stat st;
	mode_t old_umask;
	int r;

	mkdir(dir, 0755);
	fill_tricky_conf(&c);

	old_umask = umask(077);
	r = conf_write_atomic(&c, path);
	umask(old_umask);
	check(r == 0, "conf_write_atomic writes");
	check(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
	      "the file has mode 0644 despite umask 077");
	check(count_dir_entries(dir) == 1, "no temporary file is left behind");
	r = conf_load_file(&c2, path, &err);
	check(r == 0 && conf_equal(&c, &c2), "the written file loads back to the same conf");
	conf_free(&c2);

	text = read_text(path);
	snprintf(first, sizeof(first), "%s", text ? text : "");
	r = conf_write_atomic(&c, path);
	text = read_text(path);
	check(r == 0 && text && strcmp(first, text) == 0, "writing the same conf again gives the same bytes");

	conf_remove_comm(&c, "iperf3");
	r = conf_write_atomic(&c, path);
	r = r ?: conf_load_file(&c2, path, &err);
	check(r == 0 && conf_equal(&c, &c2) && c2.comms.n == 13, "a rewrite replaces the rules");
	conf_free(&c2);

	/* A symlink in the way is replaced, its target left alone. */
	write_file(target, "untouched\n", 0644);
	unlink(path);
	if (symlink("target", path) < 0)
		abort();
	r = conf_write_atomic(&c, path);
	text = read_text(target);
	check(r == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && text &&
	      strcmp(text, "untouched\n") == 0, "a symbolic link at the path is replaced, not followed");

	check(conf_write_atomic(&c, tpath("no-such-dir/mptcpify.conf")) == -ENOENT,
	      "conf_write_atomic into a missing directory is -ENOENT");
	check(conf_write_atomic(&c, tpath("w/")) == -EISDIR, "conf_write_atomic of a directory path is -EISDIR");

	conf_free(&c);
}

static int rm_rf(const char *path) {
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

int main(void) {
	/* Unbuffered: a crash must not hide the test points printed so far. */
	setvbuf(stdout, NULL, _IONBF, 0);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mptcpify-unit.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! cannot create a temporary directory: %m\n");
		return 1;
	}

	test_comm_names();
	test_cgroup_paths();
	test_unit_names();
	test_parse_example();
	test_parse_sets_and_sections();
	test_parse_booleans();
	test_parse_quoting();
	test_parse_errors();
	test_daemon_settings();
	test_deny_exclude_compat();
	test_parse_limits();
	test_add_remove();
	test_canonical();
	test_load_file();
	test_load_dir();
	test_write_atomic();

	rm_rf(tmpdir);
	printf("1..%u\n", n_tests);
	return n_failed ? 1 : 0;
}
