// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "mptcpify.h"
#include "sockopt_names.h"

#define SOL_IP_ 0
#define SOL_SOCKET_ 1
#define SOL_TCP_ 6
#define SOL_IPV6_ 41
#define SOL_MPTCP_ 284

#define S SOCKOPT_COMMON_SET
#define G SOCKOPT_COMMON_GET

/* Numbers from the kernel's UAPI headers (asm-generic/socket.h,
 * linux/tcp.h, linux/in.h, linux/in6.h), the same on every architecture
 * Debian builds mptcpify for except the SOL_SOCKET numbers of alpha, mips,
 * parisc and sparc. */
const struct sockopt_name sockopt_names[] = {
	{ SOL_TCP_, 1, "TCP_NODELAY", S | G },
	{ SOL_TCP_, 2, "TCP_MAXSEG", S | G },
	{ SOL_TCP_, 3, "TCP_CORK", S },
	{ SOL_TCP_, 4, "TCP_KEEPIDLE", S | G },
	{ SOL_TCP_, 5, "TCP_KEEPINTVL", S },
	{ SOL_TCP_, 6, "TCP_KEEPCNT", S },
	{ SOL_TCP_, 7, "TCP_SYNCNT", S },
	{ SOL_TCP_, 8, "TCP_LINGER2", S },
	{ SOL_TCP_, 9, "TCP_DEFER_ACCEPT", S },
	{ SOL_TCP_, 10, "TCP_WINDOW_CLAMP", S },
	{ SOL_TCP_, 11, "TCP_INFO", G },
	{ SOL_TCP_, 12, "TCP_QUICKACK", S },
	{ SOL_TCP_, 13, "TCP_CONGESTION", S | G },
	{ SOL_TCP_, 14, "TCP_MD5SIG", S },
	{ SOL_TCP_, 16, "TCP_THIN_LINEAR_TIMEOUTS", S },
	{ SOL_TCP_, 17, "TCP_THIN_DUPACK", 0 },
	{ SOL_TCP_, 18, "TCP_USER_TIMEOUT", S | G },
	{ SOL_TCP_, 19, "TCP_REPAIR", S },
	{ SOL_TCP_, 20, "TCP_REPAIR_QUEUE", 0 },
	{ SOL_TCP_, 21, "TCP_QUEUE_SEQ", 0 },
	{ SOL_TCP_, 22, "TCP_REPAIR_OPTIONS", 0 },
	{ SOL_TCP_, 23, "TCP_FASTOPEN", S },
	{ SOL_TCP_, 24, "TCP_TIMESTAMP", 0 },
	{ SOL_TCP_, 25, "TCP_NOTSENT_LOWAT", S },
	{ SOL_TCP_, 26, "TCP_CC_INFO", 0 },
	{ SOL_TCP_, 27, "TCP_SAVE_SYN", S },
	{ SOL_TCP_, 28, "TCP_SAVED_SYN", 0 },
	{ SOL_TCP_, 29, "TCP_REPAIR_WINDOW", 0 },
	{ SOL_TCP_, 30, "TCP_FASTOPEN_CONNECT", S },
	{ SOL_TCP_, 31, "TCP_ULP", S },
	{ SOL_TCP_, 32, "TCP_MD5SIG_EXT", 0 },
	{ SOL_TCP_, 33, "TCP_FASTOPEN_KEY", 0 },
	{ SOL_TCP_, 34, "TCP_FASTOPEN_NO_COOKIE", 0 },
	{ SOL_TCP_, 35, "TCP_ZEROCOPY_RECEIVE", G },
	{ SOL_TCP_, 36, "TCP_INQ", S },
	{ SOL_TCP_, 37, "TCP_TX_DELAY", 0 },
	{ SOL_IP_, 1, "IP_TOS", S | G },
	{ SOL_IP_, 2, "IP_TTL", S | G },
	{ SOL_IP_, 3, "IP_HDRINCL", 0 },
	{ SOL_IP_, 4, "IP_OPTIONS", S },
	{ SOL_IP_, 6, "IP_RECVOPTS", 0 },
	{ SOL_IP_, 7, "IP_RETOPTS", 0 },
	{ SOL_IP_, 8, "IP_PKTINFO", 0 },
	{ SOL_IP_, 10, "IP_MTU_DISCOVER", S },
	{ SOL_IP_, 11, "IP_RECVERR", S },
	{ SOL_IP_, 12, "IP_RECVTTL", 0 },
	{ SOL_IP_, 13, "IP_RECVTOS", 0 },
	{ SOL_IP_, 14, "IP_MTU", G },
	{ SOL_IP_, 15, "IP_FREEBIND", S },
	{ SOL_IP_, 18, "IP_PASSSEC", 0 },
	{ SOL_IP_, 19, "IP_TRANSPARENT", S },
	{ SOL_IP_, 21, "IP_MINTTL", S },
	{ SOL_IP_, 22, "IP_NODEFRAG", 0 },
	{ SOL_IP_, 23, "IP_CHECKSUM", 0 },
	{ SOL_IP_, 24, "IP_BIND_ADDRESS_NO_PORT", S },
	{ SOL_IP_, 25, "IP_RECVFRAGSIZE", 0 },
	{ SOL_IP_, 26, "IP_RECVERR_RFC4884", 0 },
	{ SOL_IP_, 33, "IP_MULTICAST_TTL", 0 },
	{ SOL_IP_, 51, "IP_LOCAL_PORT_RANGE", S },
	{ SOL_IPV6_, 1, "IPV6_ADDRFORM", 0 },
	{ SOL_IPV6_, 11, "IPV6_FLOWINFO", 0 },
	{ SOL_IPV6_, 16, "IPV6_UNICAST_HOPS", S },
	{ SOL_IPV6_, 23, "IPV6_MTU_DISCOVER", S },
	{ SOL_IPV6_, 24, "IPV6_MTU", 0 },
	{ SOL_IPV6_, 25, "IPV6_RECVERR", S },
	{ SOL_IPV6_, 26, "IPV6_V6ONLY", S | G },
	{ SOL_IPV6_, 32, "IPV6_FLOWLABEL_MGR", 0 },
	{ SOL_IPV6_, 33, "IPV6_FLOWINFO_SEND", 0 },
	{ SOL_IPV6_, 49, "IPV6_RECVPKTINFO", 0 },
	{ SOL_IPV6_, 62, "IPV6_DONTFRAG", 0 },
	{ SOL_IPV6_, 66, "IPV6_RECVTCLASS", 0 },
	{ SOL_IPV6_, 67, "IPV6_TCLASS", S | G },
	{ SOL_IPV6_, 70, "IPV6_AUTOFLOWLABEL", 0 },
	{ SOL_IPV6_, 73, "IPV6_MINHOPCOUNT", 0 },
	{ SOL_IPV6_, 75, "IPV6_TRANSPARENT", S },
	{ SOL_IPV6_, 78, "IPV6_FREEBIND", S },
	{ SOL_SOCKET_, 1, "SO_DEBUG", 0 },
	{ SOL_SOCKET_, 2, "SO_REUSEADDR", S },
	{ SOL_SOCKET_, 5, "SO_DONTROUTE", 0 },
	{ SOL_SOCKET_, 6, "SO_BROADCAST", 0 },
	{ SOL_SOCKET_, 7, "SO_SNDBUF", S },
	{ SOL_SOCKET_, 8, "SO_RCVBUF", S },
	{ SOL_SOCKET_, 9, "SO_KEEPALIVE", S },
	{ SOL_SOCKET_, 10, "SO_OOBINLINE", S },
	{ SOL_SOCKET_, 12, "SO_PRIORITY", S },
	{ SOL_SOCKET_, 13, "SO_LINGER", S },
	{ SOL_SOCKET_, 15, "SO_REUSEPORT", S },
	{ SOL_SOCKET_, 16, "SO_PASSCRED", 0 },
	{ SOL_SOCKET_, 18, "SO_RCVLOWAT", S },
	{ SOL_SOCKET_, 20, "SO_RCVTIMEO_OLD", S },
	{ SOL_SOCKET_, 21, "SO_SNDTIMEO_OLD", S },
	{ SOL_SOCKET_, 25, "SO_BINDTODEVICE", S },
	{ SOL_SOCKET_, 26, "SO_ATTACH_FILTER", S },
	{ SOL_SOCKET_, 27, "SO_DETACH_FILTER", 0 },
	{ SOL_SOCKET_, 29, "SO_TIMESTAMP_OLD", 0 },
	{ SOL_SOCKET_, 32, "SO_SNDBUFFORCE", 0 },
	{ SOL_SOCKET_, 33, "SO_RCVBUFFORCE", 0 },
	{ SOL_SOCKET_, 36, "SO_MARK", S },
	{ SOL_SOCKET_, 37, "SO_TIMESTAMPING_OLD", 0 },
	{ SOL_SOCKET_, 42, "SO_PEEK_OFF", S },
	{ SOL_SOCKET_, 46, "SO_BUSY_POLL", S },
	{ SOL_SOCKET_, 47, "SO_MAX_PACING_RATE", S },
	{ SOL_SOCKET_, 49, "SO_INCOMING_CPU", S },
	{ SOL_SOCKET_, 50, "SO_ATTACH_BPF", 0 },
	{ SOL_SOCKET_, 51, "SO_ATTACH_REUSEPORT_CBPF", S },
	{ SOL_SOCKET_, 52, "SO_ATTACH_REUSEPORT_EBPF", 0 },
	{ SOL_SOCKET_, 53, "SO_CNX_ADVICE", 0 },
	{ SOL_SOCKET_, 60, "SO_ZEROCOPY", S },
	{ SOL_SOCKET_, 61, "SO_TXTIME", S },
	{ SOL_SOCKET_, 62, "SO_BINDTOIFINDEX", 0 },
	{ SOL_SOCKET_, 66, "SO_RCVTIMEO_NEW", 0 },
	{ SOL_SOCKET_, 67, "SO_SNDTIMEO_NEW", 0 },
	{ SOL_SOCKET_, 69, "SO_PREFER_BUSY_POLL", 0 },
};
const size_t n_sockopt_names = sizeof(sockopt_names) / sizeof(sockopt_names[0]);

#undef S
#undef G

const char *sockopt_level_name(int level, char *buf, size_t len)
{
	switch (level) {
	case SOL_IP_: return "SOL_IP";
	case SOL_SOCKET_: return "SOL_SOCKET";
	case SOL_TCP_: return "SOL_TCP";
	case SOL_IPV6_: return "SOL_IPV6";
	case SOL_MPTCP_: return "SOL_MPTCP";
	}
	snprintf(buf, len, "%d", level);
	return buf;
}

const char *sockopt_option_name(int level, int optname, char *buf, size_t len)
{
	for (size_t i = 0; i < n_sockopt_names; i++)
		if (sockopt_names[i].level == level && sockopt_names[i].optname == optname)
			return sockopt_names[i].name;
	snprintf(buf, len, "%d", optname);
	return buf;
}

const char *sockopt_call_name(int op, int level, int optname, char *buf, size_t len)
{
	char l[16], o[16];

	snprintf(buf, len, "%s(%s, %s)", op == MPTCPIFY_SOCKOPT_GET ? "getsockopt" : "setsockopt",
		 sockopt_level_name(level, l, sizeof(l)), sockopt_option_name(level, optname, o, sizeof(o)));
	return buf;
}

const char *sockopt_errno_name(int e, char *buf, size_t len)
{
	const char *n = e > 0 ? strerrorname_np(e) : NULL;

	if (n)
		return n;
	snprintf(buf, len, "%d", e);
	return buf;
}
