/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer harness for the validators the CLI applies to its arguments:
 * comm_name_check(), cgroup_path_check(), cgroup_path_normalize() and
 * unit_name_check(), and those of the [daemon] settings (metrics_dir_check(),
 * metrics_interval_parse()). The input, up to its first NUL, is one argument.
 * Checked beyond "does not crash":
 * - a reason is given exactly when a value is refused;
 * - what is accepted has the properties the BPF side and the kernel need
 *   (comm: 1..15 bytes, no '/', no control byte; and so on);
 * - normalization is idempotent and its result is valid;
 * - every accepted value survives conf_format() and conf_parse_buffer(),
 *   quoting included. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_control_byte(const char *s) {
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void check_verdict(int r, const char *why) {
	CHECK(r == 0 || r == -EINVAL || r == -EOPNOTSUPP);
	CHECK((r == 0) == (why == NULL));
	if (why)
		CHECK(why[0] != 0);
}

static void check_comm(const char *s) {
	const char *why = (const char *) 1;
	int r = comm_name_check(s, &why);
	size_t n = strlen(s);

	check_verdict(r, why);
	CHECK(r != -EOPNOTSUPP);
	if (r < 0)
		return;
	CHECK(n >= 1 && n <= 15);
	CHECK(!strchr(s, '/'));
	CHECK(!has_control_byte(s));
}

static void check_cgroup(const char *s) {
	const char *why = (const char *) 1, *why2 = (const char *) 1;
	char *norm = NULL, *again = NULL;
	int r = cgroup_path_check(s, &why);

	check_verdict(r, why);
	CHECK(r != -EOPNOTSUPP);
	CHECK(cgroup_path_normalize(s, &norm, &why2) == r);
	if (r < 0) {
		CHECK(why2 && strcmp(why, why2) == 0);
		return;
	}

	CHECK(strlen(s) <= CONF_CGROUP_PATH_MAX);
	CHECK(!has_control_byte(s));
	CHECK(strlen(norm) <= strlen(s));
	CHECK(norm[0] != 0);
	CHECK((norm[0] == '/') == (s[0] == '/'));
	CHECK(!strstr(norm, "//"));
	CHECK(!strstr(norm, "/./") && strncmp(norm, "./", 2) != 0);
	CHECK(strcmp(norm, "/") != 0 && norm[strlen(norm) - 1] != '/');
	CHECK(cgroup_path_check(norm, NULL) == 0);
	CHECK(cgroup_path_normalize(norm, &again, NULL) == 0);
	CHECK(strcmp(norm, again) == 0);
	free(norm);
	free(again);
}

static void check_unit(const char *s) {
	const char *why = (const char *) 1;
	int r = unit_name_check(s, &why);
	const char *dot;

	check_verdict(r, why);
	if (r < 0)
		return;
	dot = strrchr(s, '.');
	CHECK(strlen(s) <= CONF_UNIT_NAME_MAX);
	CHECK(dot && dot != s);
	CHECK(strcmp(dot, ".service") == 0 || strcmp(dot, ".scope") == 0 || strcmp(dot, ".slice") == 0);
	/* Like systemd, only the first '@' starts the instance. */
	CHECK(s[0] != '@');
	CHECK(!strchr(s, '@') || strchr(s, '@') + 1 != dot);
}

static void check_metrics_dir(const char *s) {
	const char *why = (const char *) 1;
	int r = metrics_dir_check(s, &why);

	check_verdict(r, why);
	CHECK(r != -EOPNOTSUPP);
	if (r < 0)
		return;
	/* What goes into the unit's ReadWritePaths= as is. */
	CHECK(s[0] == '/' && strspn(s, "/") != strlen(s));
	CHECK(!strpbrk(s, "\"\\"));
	CHECK(!has_control_byte(s));
	CHECK(!strstr(s, "/../") && (strlen(s) < 3 || strcmp(s + strlen(s) - 3, "/..") != 0));
	CHECK(strncmp(s, "/tmp/", 5) != 0 && strcmp(s, "/tmp") != 0);
}

static void check_metrics_interval(const char *s) {
	const char *why = (const char *) 1;
	unsigned v = 0;
	int r = metrics_interval_parse(s, &v, &why);

	check_verdict(r, why);
	if (r == 0)
		CHECK(v >= 1 && v <= CONF_METRICS_INTERVAL_MAX);
}

/* Whatever the adders accept must come back from the canonical text. */
static void check_roundtrip(const char *s) {
	struct mptcpify_conf c = {}, back = {};
	struct conf_error err;
	char *text;
	size_t len;

	(void) conf_add_comm(&c, s);
	(void) conf_add_cgroup(&c, s);
	(void) conf_add_unit(&c, s);
	(void) conf_add_exclude(&c, s);
	if (metrics_dir_check(s, NULL) == 0)
		c.metrics_dir = strdup(s);

	CHECK(conf_format(&c, &text, &len) == 0);
	if (conf_parse_buffer(&back, text, len, "canonical", &err) < 0) {
		fprintf(stderr, "%s:%u: %s\n--\n%s--\n", err.file, err.line, err.message, text);
		abort();
	}
	CHECK(conf_equal(&c, &back));

	CHECK(c.comms.n == 0 || conf_remove_comm(&c, s) == 0);
	CHECK(c.cgroups.n == 0 || conf_remove_cgroup(&c, s) == 0);
	CHECK(c.units.n == 0 || conf_remove_unit(&c, s) == 0);
	CHECK(c.exclude_comms.n == 0 || conf_remove_exclude(&c, s) == 0);
	free(c.metrics_dir);
	c.metrics_dir = NULL;
	CHECK(conf_is_empty(&c));

	free(text);
	conf_free(&c);
	conf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *s;

	/* Longer than any valid value by a margin: nothing to learn beyond. */
	if (size > 2 * PATH_MAX)
		return 0;
	s = strndup((const char *) data, size);
	if (!s)
		abort();

	check_comm(s);
	check_cgroup(s);
	check_unit(s);
	check_metrics_dir(s);
	check_metrics_interval(s);
	check_roundtrip(s);

	free(s);
	return 0;
}
