// SPDX-License-Identifier: GPL-2.0-only
/* Rule sets: sorted string sets and the configuration they make up; adding and removing rules. */
#include "conf_private.h"

/* ---- sorted string sets ------------------------------------------------ */

/* Binary search. Returns whether s is in l; *ret_idx is where it is or
 * where it would go. */
static bool conf_list_find(const struct conf_list *l, const char *s, size_t *ret_idx) {
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s, l->v[mid]);

		if (c == 0) {
			*ret_idx = mid;
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*ret_idx = lo;
	return false;
}

static int conf_list_reserve(struct conf_list *l, size_t n) {
	size_t want;
	char **v;

	if (n <= l->allocated)
		return 0;
	want = l->allocated ? l->allocated : 8;
	while (want < n) {
		if (want > SIZE_MAX / 2 / sizeof(char *))
			return -ENOMEM;
		want *= 2;
	}
	v = realloc(l->v, want * sizeof(char *));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->allocated = want;
	return 0;
}

/* Takes ownership of s on success. */
static int conf_list_insert_at(struct conf_list *l, size_t idx, char *s) {
	int r;

	r = conf_list_reserve(l, l->n + 1);
	if (r < 0)
		return r;
	memmove(l->v + idx + 1, l->v + idx, (l->n - idx) * sizeof(char *));
	l->v[idx] = s;
	l->n++;
	return 0;
}

static int conf_list_remove(struct conf_list *l, const char *s) {
	size_t idx;

	if (!conf_list_find(l, s, &idx))
		return -ENOENT;
	free(l->v[idx]);
	memmove(l->v + idx, l->v + idx + 1, (l->n - idx - 1) * sizeof(char *));
	l->n--;
	return 0;
}

static void conf_list_free(struct conf_list *l) {
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct conf_list) {};
}

static int conf_list_copy(struct conf_list *dst, const struct conf_list *src) {
	struct conf_list l = {};
	int r;

	r = conf_list_reserve(&l, src->n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < src->n; i++) {
		l.v[i] = strdup(src->v[i]);
		if (!l.v[i]) {
			conf_list_free(&l);
			return -ENOMEM;
		}
		l.n++;
	}
	*dst = l;
	return 0;
}

static bool conf_list_equal(const struct conf_list *a, const struct conf_list *b) {
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* ---- the configuration ------------------------------------------------- */

void conf_free(struct mptcpify_conf *c) {
	conf_list_free(&c->comms);
	conf_list_free(&c->cgroups);
	conf_list_free(&c->units);
	conf_list_free(&c->exclude_comms);
	conf_list_free(&c->audit_comms);
	conf_list_free(&c->audit_cgroups);
	conf_list_free(&c->audit_units);
	conf_list_free(&c->exclude_cgroups);
	conf_list_free(&c->exclude_units);
	conf_list_free(&c->deny_comms);
	conf_list_free(&c->deny_cgroups);
	conf_list_free(&c->deny_units);
	c->all = c->audit_all = c->compat_exclude = false;
	conf_daemon_free(c);
}

int conf_copy(struct mptcpify_conf *dst, const struct mptcpify_conf *src) {
	_cleanup_(conf_free) struct mptcpify_conf c = { .all = src->all, .audit_all = src->audit_all,
							.compat_exclude = src->compat_exclude };

	if (conf_list_copy(&c.comms, &src->comms) < 0 ||
	    conf_list_copy(&c.cgroups, &src->cgroups) < 0 ||
	    conf_list_copy(&c.units, &src->units) < 0 ||
	    conf_list_copy(&c.exclude_comms, &src->exclude_comms) < 0 ||
	    conf_list_copy(&c.audit_comms, &src->audit_comms) < 0 ||
	    conf_list_copy(&c.audit_cgroups, &src->audit_cgroups) < 0 ||
	    conf_list_copy(&c.audit_units, &src->audit_units) < 0 ||
	    conf_list_copy(&c.exclude_cgroups, &src->exclude_cgroups) < 0 ||
	    conf_list_copy(&c.exclude_units, &src->exclude_units) < 0 ||
	    conf_list_copy(&c.deny_comms, &src->deny_comms) < 0 ||
	    conf_list_copy(&c.deny_cgroups, &src->deny_cgroups) < 0 ||
	    conf_list_copy(&c.deny_units, &src->deny_units) < 0 ||
	    conf_daemon_copy(&c, src) < 0)
		return -ENOMEM;

	*dst = c;
	c = (struct mptcpify_conf) {};
	return 0;
}

/* Replace *dst by *src (whose contents it takes), freeing the old *dst. */
void conf_replace(struct mptcpify_conf *dst, struct mptcpify_conf *src) {
	conf_free(dst);
	*dst = *src;
	*src = (struct mptcpify_conf) {};
}

bool conf_equal(const struct mptcpify_conf *a, const struct mptcpify_conf *b) {
	return a->all == b->all &&
		conf_list_equal(&a->comms, &b->comms) &&
		conf_list_equal(&a->cgroups, &b->cgroups) &&
		conf_list_equal(&a->units, &b->units) &&
		conf_list_equal(&a->exclude_comms, &b->exclude_comms) &&
		a->audit_all == b->audit_all &&
		conf_list_equal(&a->audit_comms, &b->audit_comms) &&
		conf_list_equal(&a->audit_cgroups, &b->audit_cgroups) &&
		conf_list_equal(&a->audit_units, &b->audit_units) &&
		conf_list_equal(&a->exclude_cgroups, &b->exclude_cgroups) &&
		conf_list_equal(&a->exclude_units, &b->exclude_units) &&
		conf_list_equal(&a->deny_comms, &b->deny_comms) &&
		conf_list_equal(&a->deny_cgroups, &b->deny_cgroups) &&
		conf_list_equal(&a->deny_units, &b->deny_units) &&
		a->compat_exclude == b->compat_exclude &&
		conf_daemon_equal(a, b);
}

bool conf_is_empty(const struct mptcpify_conf *c) {
	return !c->all && c->comms.n == 0 && c->cgroups.n == 0 &&
		c->units.n == 0 && c->exclude_comms.n == 0 && !c->audit_all &&
		c->audit_comms.n == 0 && c->audit_cgroups.n == 0 && c->audit_units.n == 0 &&
		c->exclude_cgroups.n == 0 && c->exclude_units.n == 0 && c->deny_comms.n == 0 &&
		c->deny_cgroups.n == 0 && c->deny_units.n == 0 && !c->compat_exclude &&
		conf_daemon_is_empty(c);
}


static struct conf_list *rule_list(struct mptcpify_conf *c, enum rule_kind k) {
	switch (k) {
	case RULE_COMM:
		return &c->comms;
	case RULE_CGROUP:
		return &c->cgroups;
	case RULE_UNIT:
		return &c->units;
	case RULE_EXCLUDE:
		return &c->exclude_comms;
	case RULE_AUDIT_COMM:
		return &c->audit_comms;
	case RULE_AUDIT_CGROUP:
		return &c->audit_cgroups;
	case RULE_AUDIT_UNIT:
		return &c->audit_units;
	case RULE_EXCLUDE_CGROUP:
		return &c->exclude_cgroups;
	case RULE_EXCLUDE_UNIT:
		return &c->exclude_units;
	case RULE_DENY_COMM:
		return &c->deny_comms;
	case RULE_DENY_CGROUP:
		return &c->deny_cgroups;
	case RULE_DENY_UNIT:
		return &c->deny_units;
	}
	abort();
}

/* Whether one more rule of kind k still fits in the BPF maps. Units count
 * against the cgroup map: each one is resolved to its cgroup. */
static bool rule_fits(const struct mptcpify_conf *c, enum rule_kind k) {
	switch (k) {
	case RULE_COMM:
		return c->comms.n < MPTCPIFY_MAX_COMM_RULES;
	case RULE_CGROUP:
	case RULE_UNIT:
		return c->cgroups.n + c->units.n < MPTCPIFY_MAX_CGROUP_RULES;
	case RULE_EXCLUDE:
		return c->exclude_comms.n < MPTCPIFY_MAX_EXCLUDES;
	case RULE_AUDIT_COMM:
		return c->audit_comms.n < MPTCPIFY_MAX_AUDIT_RULES;
	case RULE_AUDIT_CGROUP:
	case RULE_AUDIT_UNIT:
		return c->audit_cgroups.n + c->audit_units.n < MPTCPIFY_MAX_AUDIT_RULES;
	case RULE_DENY_COMM:
		return c->deny_comms.n < MPTCPIFY_MAX_DENY;
	case RULE_EXCLUDE_CGROUP:
	case RULE_EXCLUDE_UNIT:
	case RULE_DENY_CGROUP:
	case RULE_DENY_UNIT:
		/* One map holds both kinds' paths. */
		return c->exclude_cgroups.n + c->exclude_units.n + c->deny_cgroups.n +
			c->deny_units.n < MPTCPIFY_MAX_VETO_PATHS;
	}
	abort();
}

/* Check value and give the form it is stored and compared in. */
static int rule_canonical(enum rule_kind k, const char *value, char **ret, const char **why) {
	int r;

	switch (k) {
	case RULE_CGROUP:
		return cgroup_path_normalize(value, ret, why);
	case RULE_AUDIT_CGROUP:
		/* A directory, not a pattern: audit follows cgroup ids. */
		if (cgroup_path_is_pattern(value)) {
			if (why)
				*why = "is a pattern: audit takes a cgroup directory";
			return -EINVAL;
		}
		return cgroup_path_normalize(value, ret, why);
	case RULE_EXCLUDE_CGROUP:
	case RULE_DENY_CGROUP:
		/* A directory, whose descendants it covers too. */
		if (cgroup_path_is_pattern(value)) {
			if (why)
				*why = "is a pattern: deny and exclude take a cgroup directory (it covers "
				       "every cgroup below it)";
			return -EINVAL;
		}
		return cgroup_path_normalize(value, ret, why);
	case RULE_UNIT:
	case RULE_AUDIT_UNIT:
	case RULE_EXCLUDE_UNIT:
	case RULE_DENY_UNIT:
		r = unit_name_check(value, why);
		break;
	case RULE_COMM:
	case RULE_EXCLUDE:
	case RULE_AUDIT_COMM:
	case RULE_DENY_COMM:
		r = comm_name_check(value, why);
		break;
	default:
		abort();
	}
	if (r < 0)
		return r;
	*ret = strdup(value);
	return *ret ? 0 : -ENOMEM;
}

int conf_add_rule(struct mptcpify_conf *c, enum rule_kind k, const char *value,
			 const char **why) {
	struct conf_list *l = rule_list(c, k);
	_cleanup_free_ char *v = NULL;
	size_t idx;
	int r;

	r = rule_canonical(k, value, &v, why);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;

	/* Before the size check: adding a rule that is there is always fine. */
	if (conf_list_find(l, v, &idx))
		return -EEXIST;
	if (!rule_fits(c, k))
		return -E2BIG;

	r = conf_list_insert_at(l, idx, v);
	if (r < 0)
		return r;
	v = NULL;
	return 0;
}

static int conf_remove_rule(struct mptcpify_conf *c, enum rule_kind k, const char *value) {
	_cleanup_free_ char *v = NULL;

	/* An invalid value cannot be in the set. */
	if (rule_canonical(k, value, &v, NULL) < 0)
		return -ENOENT;
	return conf_list_remove(rule_list(c, k), v);
}

int conf_add_comm(struct mptcpify_conf *c, const char *comm) {
	return conf_add_rule(c, RULE_COMM, comm, NULL);
}

int conf_remove_comm(struct mptcpify_conf *c, const char *comm) {
	return conf_remove_rule(c, RULE_COMM, comm);
}

int conf_add_cgroup(struct mptcpify_conf *c, const char *path) {
	return conf_add_rule(c, RULE_CGROUP, path, NULL);
}

int conf_remove_cgroup(struct mptcpify_conf *c, const char *path) {
	return conf_remove_rule(c, RULE_CGROUP, path);
}

int conf_add_unit(struct mptcpify_conf *c, const char *unit) {
	return conf_add_rule(c, RULE_UNIT, unit, NULL);
}

int conf_remove_unit(struct mptcpify_conf *c, const char *unit) {
	return conf_remove_rule(c, RULE_UNIT, unit);
}

int conf_add_exclude(struct mptcpify_conf *c, const char *comm) {
	return conf_add_rule(c, RULE_EXCLUDE, comm, NULL);
}

int conf_remove_exclude(struct mptcpify_conf *c, const char *comm) {
	return conf_remove_rule(c, RULE_EXCLUDE, comm);
}


static enum rule_kind audit_kind(char kind) {
	return kind == 'g' ? RULE_AUDIT_CGROUP : kind == 'u' ? RULE_AUDIT_UNIT : RULE_AUDIT_COMM;
}

int conf_add_audit(struct mptcpify_conf *c, char kind, const char *value) {
	return conf_add_rule(c, audit_kind(kind), value, NULL);
}

int conf_remove_audit(struct mptcpify_conf *c, char kind, const char *value) {
	return conf_remove_rule(c, audit_kind(kind), value);
}

static enum rule_kind deny_kind(char kind) {
	return kind == 'g' ? RULE_DENY_CGROUP : kind == 'u' ? RULE_DENY_UNIT : RULE_DENY_COMM;
}

int conf_add_deny(struct mptcpify_conf *c, char kind, const char *value) {
	return conf_add_rule(c, deny_kind(kind), value, NULL);
}

int conf_remove_deny(struct mptcpify_conf *c, char kind, const char *value) {
	return conf_remove_rule(c, deny_kind(kind), value);
}

static enum rule_kind exclude_kind(char kind) {
	return kind == 'g' ? RULE_EXCLUDE_CGROUP : kind == 'u' ? RULE_EXCLUDE_UNIT : RULE_EXCLUDE;
}

int conf_add_exclude_kind(struct mptcpify_conf *c, char kind, const char *value) {
	return conf_add_rule(c, exclude_kind(kind), value, NULL);
}

int conf_remove_exclude_kind(struct mptcpify_conf *c, char kind, const char *value) {
	return conf_remove_rule(c, exclude_kind(kind), value);
}
