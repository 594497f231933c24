/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of socket option levels and options, for messages: a table that
 * names numbers and decides nothing (what MPTCP refuses comes from the
 * running kernel: sockopt_probe.c). Unknown numbers print as numbers. */
#ifndef MPTCPIFY_SOCKOPT_NAMES_H
#define MPTCPIFY_SOCKOPT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct sockopt_name {
	int level;
	int optname;
	const char *name;
	unsigned common;       /* SOCKOPT_COMMON_*: probed by `compat --kernel` */
};
#define SOCKOPT_COMMON_SET 1
#define SOCKOPT_COMMON_GET 2

extern const struct sockopt_name sockopt_names[];
extern const size_t n_sockopt_names;

/* "SOL_TCP", or the number in buf. */
const char *sockopt_level_name(int level, char *buf, size_t len);
/* "TCP_MD5SIG", or the number in buf. */
const char *sockopt_option_name(int level, int optname, char *buf, size_t len);
/* "setsockopt(SOL_TCP, TCP_MD5SIG)" */
const char *sockopt_call_name(int op, int level, int optname, char *buf, size_t len);
/* "ENOPROTOOPT", or the number. */
const char *sockopt_errno_name(int e, char *buf, size_t len);

#endif
