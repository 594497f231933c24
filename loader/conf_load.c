// SPDX-License-Identifier: GPL-2.0-only
/* Reading the main file and the drop-ins of conf.d, with the ownership and mode checks. */
#include "conf_private.h"

/* ---- files ------------------------------------------------------------- */

/* Who may have written the file or directory decides what mptcpify does
 * to other users' sockets: only root or ourselves. */
static int check_owner_and_mode(const struct stat *st, const char *path, struct conf_error *err) {
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		conf_error_set(err, path, 0, "owned by uid %u, neither root nor the current user: refusing it",
			       (unsigned) st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH) {
		conf_error_set(err, path, 0, "world-writable: refusing it (chmod o-w)");
		return -EPERM;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && st->st_gid != getegid()) {
		conf_error_set(err, path, 0, "writable by group %u: refusing it (chmod g-w)",
			       (unsigned) st->st_gid);
		return -EPERM;
	}
	return 0;
}

static int open_error(int e, const char *path, struct conf_error *err) {
	errno = e;
	if (e == ELOOP)
		conf_error_set(err, path, 0, "is a symbolic link: refusing it (install a regular file)");
	else if (e == ENOENT)
		conf_error_set(err, path, 0, "does not exist");
	else
		conf_error_set(err, path, 0, "cannot open: %m");
	return -e;
}

/* Read all of fd, refusing more than CONF_FILE_MAX bytes. */
static int read_all(int fd, char **ret, size_t *ret_len) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, allocated = 0;

	for (;;) {
		ssize_t k;

		if (len == allocated) {
			size_t want = allocated ? allocated * 2 : 4096;
			char *b;

			if (allocated > CONF_FILE_MAX)
				return -EFBIG;
			b = realloc(buf, want);
			if (!b)
				return -ENOMEM;
			buf = b;
			allocated = want;
		}
		k = read(fd, buf + len, allocated - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += k;
		if (len > CONF_FILE_MAX)
			return -EFBIG;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Check, read and parse an open file; path is for messages. */
static int load_fd(struct mptcpify_conf *c, int fd, const char *path, struct conf_error *err) {
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (fstat(fd, &st) < 0) {
		conf_error_set(err, path, 0, "cannot stat: %m");
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		conf_error_set(err, path, 0, "is a directory, not a configuration file");
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error_set(err, path, 0, "is not a regular file");
		return -EBADFD;
	}
	r = check_owner_and_mode(&st, path, err);
	if (r < 0)
		return r;
	if (st.st_size > CONF_FILE_MAX) {
		conf_error_set(err, path, 0, "larger than %d bytes", CONF_FILE_MAX);
		return -EFBIG;
	}

	r = read_all(fd, &buf, &len);
	if (r == -EFBIG)
		conf_error_set(err, path, 0, "larger than %d bytes", CONF_FILE_MAX);
	else if (r < 0) {
		errno = -r;
		conf_error_set(err, path, 0, "cannot read: %m");
	}
	if (r < 0)
		return r;

	return conf_parse_buffer(c, buf, len, path, err);
}

/* O_NONBLOCK: opening a FIFO that happens to be named *.conf must not hang;
 * it is refused as not a regular file right after. */
#define CONF_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

int conf_load_file(struct mptcpify_conf *c, const char *path, struct conf_error *err) {
	_cleanup_close_ int fd = -1;

	conf_error_clear(err);

	fd = open(path, CONF_OPEN_FLAGS);
	if (fd < 0)
		return open_error(errno, path, err);
	return load_fd(c, fd, path, err);
}

static int check_dir_fd(int fd, const char *path, struct conf_error *err) {
	struct stat st;

	if (fstat(fd, &st) < 0) {
		conf_error_set(err, path, 0, "cannot stat: %m");
		return -errno;
	}
	return check_owner_and_mode(&st, path, err);
}

static bool is_dropin_name(const char *name) {
	size_t n = strlen(name);

	return name[0] != '.' && n > strlen(".conf") &&
		strcmp(name + n - strlen(".conf"), ".conf") == 0;
}

static int cmp_strings(const void *a, const void *b) {
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_strv(char ***v) {
	if (!*v)
		return;
	for (char **i = *v; *i; i++)
		free(*i);
	free(*v);
}

/* The names of the drop-ins in the directory open at dfd, sorted with
 * strcmp() so that the order does not depend on the locale. */
static int list_dropins(int dfd, char ***ret, size_t *ret_n) {
	_cleanup_(free_strv) char **names = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	size_t n = 0, allocated = 0;
	struct dirent *de;
	int fd;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}

	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!is_dropin_name(de->d_name))
			continue;
		if (n + 2 > allocated) {
			size_t want = allocated ? allocated * 2 : 16;
			char **v = realloc(names, want * sizeof(char *));

			if (!v)
				return -ENOMEM;
			names = v;
			allocated = want;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			return -ENOMEM;
		names[++n] = NULL;
	}
	if (errno != 0)
		return -errno;

	if (n > 0)
		qsort(names, n, sizeof(char *), cmp_strings);
	*ret = TAKE_PTR(names);
	*ret_n = n;
	return 0;
}

/* path + "/" + name, for messages. */
static char *path_join(const char *dir, const char *name) {
	char *s;

	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return NULL;
	return s;
}

static int load_dropins(struct mptcpify_conf *c, int dfd, const char *dir,
			struct conf_error *err) {
	_cleanup_free_ char *dropin_dir = path_join(dir, CONF_DROPIN_DIR);
	_cleanup_(free_strv) char **names = NULL;
	_cleanup_close_ int cfd = -1;
	size_t n = 0;
	int r;

	if (!dropin_dir)
		return -ENOMEM;

	cfd = openat(dfd, CONF_DROPIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (cfd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR) {
			conf_error_set(err, dropin_dir, 0, "is not a directory");
			return -ENOTDIR;
		}
		return open_error(errno, dropin_dir, err);
	}
	r = check_dir_fd(cfd, dropin_dir, err);
	if (r < 0)
		return r;

	r = list_dropins(cfd, &names, &n);
	if (r < 0) {
		errno = -r;
		conf_error_set(err, dropin_dir, 0, "cannot list: %m");
		return r;
	}

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = path_join(dropin_dir, names[i]);
		_cleanup_close_ int fd = -1;

		if (!path)
			return -ENOMEM;
		fd = openat(cfd, names[i], CONF_OPEN_FLAGS);
		if (fd < 0)
			return open_error(errno, path, err);
		r = load_fd(c, fd, path, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int conf_load_dir(struct mptcpify_conf *c, const char *dir, struct conf_error *err) {
	_cleanup_(conf_free) struct mptcpify_conf work = {};
	_cleanup_free_ char *main_path = path_join(dir, CONF_MAIN_FILE);
	_cleanup_close_ int dfd = -1, fd = -1;
	int r;

	conf_error_clear(err);
	if (!main_path)
		return -ENOMEM;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return open_error(errno, dir, err);
	r = check_dir_fd(dfd, dir, err);
	if (r < 0)
		return r;

	/* Load into a copy so that *c is untouched on error. */
	r = conf_copy(&work, c);
	if (r < 0)
		return r;

	fd = openat(dfd, CONF_MAIN_FILE, CONF_OPEN_FLAGS);
	if (fd >= 0) {
		r = load_fd(&work, fd, main_path, err);
		if (r < 0)
			return r;
	} else if (errno != ENOENT)
		return open_error(errno, main_path, err);

	r = load_dropins(&work, dfd, dir, err);
	if (r < 0)
		return r;

	conf_replace(c, &work);
	return 0;
}

