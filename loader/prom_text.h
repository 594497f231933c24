/* SPDX-License-Identifier: GPL-2.0-only */
/* The Prometheus text exposition format (version 0.0.4: what node_exporter's
 * textfile collector and `promtool check metrics` read), written to a FILE:
 * one family at a time, a "# HELP" and a "# TYPE" line, then its samples.
 * No I/O beyond the FILE, nothing about mptcpify: tested on the host
 * (tests/unit/test-prom.c).
 *
 *   struct prom p = { .f = stdout };
 *   prom_family(&p, "x_sockets_total", PROM_COUNTER, "Sockets seen.");
 *   prom_sample(&p, 3, "kind", "comm", "target", name, NULL);
 *
 * A family's HELP and TYPE lines are written with its first sample: a family
 * without samples leaves no trace.
 */
#ifndef MPTCPIFY_PROM_TEXT_H
#define MPTCPIFY_PROM_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum prom_type { PROM_COUNTER, PROM_GAUGE };

struct prom {
	FILE *f;
	/* The current family: set by prom_family(). */
	const char *name, *help;
	enum prom_type type;
	bool header_written;
};

/* Starts a family: "# HELP NAME HELP" (backslashes and newlines escaped) and
 * "# TYPE NAME counter|gauge" come before its first sample. Every sample of
 * a family follows before the next family starts; a counter's NAME ends in
 * _total. The strings must live until the next prom_family(). */
void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help);

/* "NAME{LABEL="VALUE",...} V" of the current family: label name and value
 * pairs, NULL-terminated (none: "NAME V"). Label names must match
 * [a-zA-Z_][a-zA-Z0-9_]*; any value is fine (see prom_label_value). */
void prom_sample(struct prom *p, uint64_t value, ...) __attribute__((sentinel));

/* A label value as the format quotes it: backslash, double quote and newline
 * escaped (\\, \", \n). Values must be UTF-8: a byte that is not part of a
 * valid UTF-8 sequence (a process name cut in the middle of a character, a
 * name of raw bytes) is written as the four characters \xNN (its backslash
 * escaped), so that distinct names stay distinct. */
void prom_label_value(FILE *f, const char *s);

/* Whether s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
bool prom_name_valid(const char *s);

#endif
