// SPDX-License-Identifier: GPL-2.0-only
/* The Prometheus text format, version 0.0.4 (see prom_text.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "prom_text.h"

bool prom_name_valid(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	return true;
}

void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help)
{
	p->name = name;
	p->type = type;
	p->help = help;
	p->header_written = false;
}

static void write_header(struct prom *p)
{
	fprintf(p->f, "# HELP %s ", p->name);
	/* In HELP only backslash and newline are escaped. */
	for (const char *c = p->help; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", p->f);
		else if (*c == '\n')
			fputs("\\n", p->f);
		else
			fputc(*c, p->f);
	}
	fprintf(p->f, "\n# TYPE %s %s\n", p->name, p->type == PROM_COUNTER ? "counter" : "gauge");
	p->header_written = true;
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0. As Go's
 * utf8.ValidString (the parser's check) has it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
			(s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

void prom_label_value(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		/* A NUL ends the string, so the checks above never read past it:
		 * a continuation byte is never 0. */
		size_t n = utf8_len(u);

		if (n == 0) {
			fprintf(f, "\\\\x%02x", *u++);
			continue;
		}
		if (*u == '\\')
			fputs("\\\\", f);
		else if (*u == '"')
			fputs("\\\"", f);
		else if (*u == '\n')
			fputs("\\n", f);
		else
			fwrite(u, 1, n, f);
		u += n;
	}
}

void prom_sample(struct prom *p, uint64_t value, ...)
{
	const char *label;
	bool first = true;
	va_list ap;

	if (!p->header_written)
		write_header(p);
	fputs(p->name, p->f);
	va_start(ap, value);
	while ((label = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		fprintf(p->f, "%s%s=\"", first ? "{" : ",", label);
		prom_label_value(p->f, v ? v : "");
		fputc('"', p->f);
		first = false;
	}
	va_end(ap);
	fprintf(p->f, "%s %" PRIu64 "\n", first ? "" : "}", value);
}
