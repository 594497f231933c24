// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

bool arg_verbose;
bool arg_json;
bool log_quiet;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "mptcpify: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int fail(int status, const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return status;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
	return status;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;

	if (!arg_verbose)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

bool have_cap(int cap)
{
	char buf[4096], *p;
	unsigned long long eff;

	if (read_file_str("/proc/self/status", buf, sizeof(buf)) < 0)
		return geteuid() == 0;
	p = strstr(buf, "CapEff:");
	if (!p || sscanf(p, "CapEff: %llx", &eff) != 1)
		return geteuid() == 0;
	return (eff >> cap) & 1;
}

#define CAP_SYS_ADMIN_NR 21
#define CAP_PERFMON_NR 38
#define CAP_BPF_NR 39

int need_bpf_privileges(const char *what)
{
	if (have_cap(CAP_SYS_ADMIN_NR) || (have_cap(CAP_BPF_NR) && have_cap(CAP_PERFMON_NR)))
		return 0;
	return fail(EXIT_NOPERM, "%s needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): "
		    "run it with sudo", what);
}

bool kernel_addresses_hidden(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[256];
	bool hidden = true;

	if (!f)
		return true;
	/* Real tables have non-zero addresses within the first few lines. */
	for (int i = 0; i < 256 && fgets(line, sizeof(line), f); i++)
		if (strtoull(line, NULL, 16) != 0) {
			hidden = false;
			break;
		}
	fclose(f);
	return hidden;
}

const char *printable(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < len; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			n += snprintf(buf + n, len - n, "\\x%02x", *p);
		else
			buf[n++] = *p;
	}
	buf[n] = '\0';
	return buf;
}

int read_file_str(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n += r;
	}
	buf[n] = '\0';
	return n;
}

int write_file_str(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}
