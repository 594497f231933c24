/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer harness for conf_parse_buffer(). Beyond "does not crash", it
 * checks what the rest of mptcpify relies on:
 * - a failed parse leaves the conf as it was, and says where and why in
 *   printable ASCII (the message goes to a terminal);
 * - every stored rule passes its validator, and the sets are sorted;
 * - parsing is idempotent (the rules are sets, all= ends the same);
 * - the canonical text re-parses to an equal conf and formats to the same
 *   bytes again (what `mptcpify attach` writes, the daemon can read). */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable_ascii(const char *s) {
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void check_sorted_and_valid(const struct conf_list *l, int (*valid)(const char *, const char **)) {
	for (size_t i = 0; i < l->n; i++) {
		CHECK(valid(l->v[i], NULL) == 0);
		if (i > 0)
			CHECK(strcmp(l->v[i - 1], l->v[i]) < 0);
	}
}

static void check_roundtrip(const struct mptcpify_conf *c) {
	struct mptcpify_conf again = {};
	struct conf_error err;
	char *text, *text2;
	size_t len, len2;

	CHECK(conf_format(c, &text, &len) == 0);
	CHECK(strlen(text) == len);
	CHECK(conf_parse_buffer(&again, text, len, "canonical", &err) == 0);
	CHECK(conf_equal(c, &again));
	CHECK(conf_format(&again, &text2, &len2) == 0);
	CHECK(len == len2 && memcmp(text, text2, len) == 0);

	conf_free(&again);
	free(text);
	free(text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	const char *buf = (const char *) data;
	struct mptcpify_conf c = {}, seed = {}, twice = {};
	struct conf_error err;
	int r;

	/* Start from a non-empty conf to see that failures leave it alone. */
	CHECK(conf_add_comm(&c, "seed") == 0);
	CHECK(conf_add_comm(&seed, "seed") == 0);

	r = conf_parse_buffer(&c, buf, size, "fuzz.conf", &err);
	if (r < 0) {
		CHECK(r == -EBADMSG || r == -E2BIG || r == -ENOMEM);
		CHECK(conf_equal(&c, &seed));
		CHECK(strcmp(err.file, "fuzz.conf") == 0);
		CHECK(r == -ENOMEM || err.line > 0);
		CHECK(err.message[0] != 0 && printable_ascii(err.message));
		goto out;
	}

	check_sorted_and_valid(&c.comms, comm_name_check);
	check_sorted_and_valid(&c.cgroups, cgroup_path_check);
	check_sorted_and_valid(&c.units, unit_name_check);
	check_sorted_and_valid(&c.exclude_comms, comm_name_check);

	/* The same text parsed twice, the seed added last: the same conf. */
	CHECK(conf_parse_buffer(&twice, buf, size, "fuzz.conf", &err) == 0);
	CHECK(conf_parse_buffer(&twice, buf, size, "fuzz.conf", &err) == 0);
	r = conf_add_comm(&twice, "seed");
	CHECK(r == 0 || r == -EEXIST);
	CHECK(conf_equal(&c, &twice));

	check_roundtrip(&c);
out:
	conf_free(&c);
	conf_free(&seed);
	conf_free(&twice);
	return 0;
}
