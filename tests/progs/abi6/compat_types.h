/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel fields bpf/compat.bpf.c reads, declared locally for CO-RE (as
 * kernel_types.h does for the hook): offsets come from the running kernel. */
#ifndef MPTCPIFY_COMPAT_TYPES_H
#define MPTCPIFY_COMPAT_TYPES_H

#define __core __attribute__((preserve_access_index))

struct file;
struct socket;

struct sock_common {
	unsigned short skc_family;
} __core;

struct sock {
	struct sock_common __sk_common;
	struct socket *sk_socket;
	__u16 sk_protocol;
} __core;

struct socket {
	short type;
	struct sock *sk;
	struct file *file;   /* NULL for the kernel's own sockets */
} __core;

#endif
