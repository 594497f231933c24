/* SPDX-License-Identifier: GPL-2.0-only */
/* The persistent selection (/etc/mptcpify) and how it is applied to the
 * live maps, by the CLI when it loads the program and by the daemon. */
#ifndef MPTCPIFY_PERSIST_H
#define MPTCPIFY_PERSIST_H

#include "config.h"
#include "state.h"

#define DEFAULT_CONFIG_DIR MPTCPIFY_SYSCONFDIR "/mptcpify"

/* --config-dir, else $MPTCPIFY_CONFIG_DIR, else DEFAULT_CONFIG_DIR. */
const char *config_dir(void);
void set_config_dir(const char *dir);

/* Reads the main file and conf.d; a missing directory is an empty
 * configuration. 0 or EXIT_BAD_CONFIG with "file:line: message" printed. */
int persist_load(struct mptcpify_conf *c);
/* Serialises writers of the configuration (the CLI: read, change, write
 * back) with flock() on the configuration directory, created if missing.
 * Returns a locked fd to close when done, or an exit status < 0 negated. */
int persist_lock(void);

/* Reads the main file only (the one the CLI rewrites). */
int persist_load_main(struct mptcpify_conf *c);
/* Writes the main file atomically, creating the directory, and removes the
 * temporaries of a writer killed before its rename. Under persist_lock(). */
int persist_save(const struct mptcpify_conf *c);

/* Makes the live maps follow the configuration: saved rules it no longer
 * has are removed, its rules are added (marked saved); runtime rules are
 * left alone. Cgroups and units that do not resolve now are skipped (the
 * daemon resolves again at the next reload). 0 or an exit status, printed.
 * System-wide mode and compat mode follow the file; the programs excluded
 * by compat = exclude are forgotten. */
int persist_apply(struct state *s, const struct mptcpify_conf *new);

#endif
