/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging, exit statuses and small helpers shared by every command. */
#ifndef MPTCPIFY_UTIL_H
#define MPTCPIFY_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* Exit statuses: one per class of failure, documented in mptcpify(8). */
enum exit_status {
	EXIT_OK = 0,
	EXIT_INTERNAL = 1,       /* unexpected failure: the message says which call */
	EXIT_USAGE = 2,          /* bad command line */
	EXIT_NOPERM = 3,         /* not root / missing capability */
	EXIT_NOHOOK = 4,         /* kernel lacks update_socket_protocol (< 6.6) */
	EXIT_NOBTF = 5,          /* kernel without BTF */
	EXIT_TRACING_DENIED = 6, /* tracing programs refused (lockdown, LSM, ...) */
	EXIT_BAD_COMM = 7,       /* invalid comm name */
	EXIT_BAD_CGROUP = 8,     /* not a usable cgroup v2 directory */
	EXIT_BAD_UNIT = 9,       /* unknown or unusable unit */
	EXIT_FULL = 10,          /* a rule map is full */
	EXIT_NOT_LOADED = 11,    /* nothing pinned, for commands that need it */
	EXIT_BAD_CONFIG = 12,    /* configuration file invalid */
	EXIT_NO_DIAG = 13,       /* kernel without mptcp_diag (connections) */
};

extern bool arg_verbose;
/* Set around calls whose failures the caller only notes: fail() is silent. */
extern bool log_quiet;
extern bool arg_json;

/* One line on stderr: "mptcpify: <message>". Returns the exit status given,
 * so that commands can `return fail(EXIT_X, "...")`. */
int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Has the effective capability set the given capability number? */
bool have_cap(int cap);
/* Fails with EXIT_NOPERM naming what is missing to load and change BPF state. */
int need_bpf_privileges(const char *what);

/* Does /proc/kallsyms show this process zeros instead of addresses
 * (kernel.kptr_restrict=2, or 1 without CAP_SYSLOG)? Then libbpf resolves
 * the program's mptcp_pernet_id to NULL and the program cannot read
 * net.mptcp.enabled per network namespace. */
bool kernel_addresses_hidden(void);
#define HIDDEN_ADDRESSES_WARNING \
	"kernel addresses are hidden from mptcpify (kernel.kptr_restrict=2, or no CAP_SYSLOG): " \
	"it cannot see net.mptcp.enabled per network namespace, and where that is 0 a " \
	"selected program's socket() fails (ENOPROTOOPT) instead of staying TCP; fix: " \
	"sysctl -w kernel.kptr_restrict=1, then 'mptcpify unload' and 'mptcpify load'"

/* s with control bytes and bytes >= 0x7f as \xNN, for error messages. */
const char *printable(const char *s, char *buf, size_t len);

int read_file_str(const char *path, char *buf, size_t size);
int write_file_str(const char *path, const char *s);

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_free_ _cleanup_(freep)

/* Hand an owned fd or pointer over, leaving the cleanup nothing to do. */
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
