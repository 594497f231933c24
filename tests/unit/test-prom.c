/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for the Prometheus text writer (loader/prom_text.c): the lines
 * it writes, label values escaped the way the format's parser reads them
 * (promtool and node_exporter: backslash, quote and newline escaped, UTF-8
 * only), a family without samples left out. That promtool, the format's
 * own parser, reads such text is checked on real output by
 * tests/cli/cli-host.sh (`mptcpify metrics` with a program of a hostile
 * name) and the systemd VM suite (the daemon's file). TAP. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom_text.h"

static unsigned n_tests, n_failed;

static void check(int ok, const char *name)
{
	n_tests++;
	n_failed += !ok;
	printf("%sok %u - %s\n", ok ? "" : "not ", n_tests, name);
}

/* What a label value becomes inside the quotes. */
static void expect_label(const char *name, const char *value, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	prom_label_value(f, value);
	fclose(f);
	check(strcmp(buf, want) == 0, name);
	if (strcmp(buf, want) != 0)
		printf("# got [%s], want [%s]\n", buf, want);
	free(buf);
}

static char *family_text(void (*fill)(struct prom *p))
{
	char *buf = NULL;
	size_t len = 0;
	struct prom p = { .f = open_memstream(&buf, &len) };

	fill(&p);
	fclose(p.f);
	return buf;
}

static void fill_two(struct prom *p)
{
	prom_family(p, "x_empty", PROM_GAUGE, "No samples: no lines.");
	prom_family(p, "x_sockets_total", PROM_COUNTER, "Sockets, \\ and\nnewline.");
	prom_sample(p, 3, "kind", "comm", "target", "a\"b", NULL);
	prom_sample(p, 18446744073709551615ULL, "kind", "all", "target", "", NULL);
	prom_family(p, "x_loaded", PROM_GAUGE, "Loaded.");
	prom_sample(p, 1, NULL);
}

int main(void)
{
	char *text;

	expect_label("plain ASCII is kept", "iperf3", "iperf3");
	expect_label("a double quote is escaped", "a\"b", "a\\\"b");
	expect_label("a backslash is escaped", "a\\b", "a\\\\b");
	expect_label("a newline is escaped", "a\nb", "a\\nb");
	expect_label("other control characters are kept (valid UTF-8)", "a\tb\x01", "a\tb\x01");
	expect_label("UTF-8 is kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_label("a byte that is not UTF-8 becomes \\\\xNN", "a\xff" "b", "a\\\\xffb");
	expect_label("a character cut at the end (15-byte comm)", "abc\xc3", "abc\\\\xc3");
	expect_label("a cut 3-byte character", "\xe2\x82", "\\\\xe2\\\\x82");
	expect_label("an overlong form is not UTF-8", "\xc0\xaf", "\\\\xc0\\\\xaf");
	expect_label("a surrogate is not UTF-8", "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80");
	expect_label("above U+10FFFF is not UTF-8", "\xf4\x90\x80\x80", "\\\\xf4\\\\x90\\\\x80\\\\x80");
	expect_label("U+10FFFF is UTF-8", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	expect_label("a lone continuation byte", "\x80", "\\\\x80");
	expect_label("everything at once", "we\"ird\\b\nx\xff\xc3\xa9", "we\\\"ird\\\\b\\nx\\\\xff\xc3\xa9");

	text = family_text(fill_two);
	check(strcmp(text,
		"# HELP x_sockets_total Sockets, \\\\ and\\nnewline.\n"
		"# TYPE x_sockets_total counter\n"
		"x_sockets_total{kind=\"comm\",target=\"a\\\"b\"} 3\n"
		"x_sockets_total{kind=\"all\",target=\"\"} 18446744073709551615\n"
		"# HELP x_loaded Loaded.\n"
		"# TYPE x_loaded gauge\n"
		"x_loaded 1\n") == 0,
	      "families: HELP escaped, TYPE, samples with and without labels; an empty family left out");
	if (n_failed)
		printf("# got:\n%s", text);
	free(text);

	check(prom_name_valid("mptcpify_rule_sockets_total") && prom_name_valid("a:b") &&
	      !prom_name_valid("1x") && !prom_name_valid("a-b") && !prom_name_valid(""),
	      "metric names: [a-zA-Z_:][a-zA-Z0-9_:]*");
	printf("1..%u\n", n_tests);
	return n_failed ? 1 : 0;
}
