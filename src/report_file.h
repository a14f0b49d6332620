/* report_file.h: putting one report file in place, safely.
 *
 * The text goes to a new file in the target directory, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW under an unpredictable name, given exactly the
 * requested mode (the umask does not apply: the mode is the user's explicit
 * choice, 0600 by default), then renamed over the final name.  A symlink
 * planted at any name is never followed; a reader never sees half a file;
 * a failed write leaves no temporary file behind. */
#ifndef RETAIN_REPORT_FILE_H
#define RETAIN_REPORT_FILE_H

#include <stddef.h>

/* Returns 0, or -1 with errno set.  With `secure` (AT_SECURE), writes only
 * into a directory that report_dir_safe accepts. */
int report_file_write(const char *path, const char *data, size_t len, unsigned mode, int secure);

/* Secure execution's rule for where a report may go: every directory from
 * "/" down is reached without following a symlink, each ancestor is owned by
 * root or the real user and writable by no one else unless sticky (/tmp),
 * and the directory itself is owned by the real user and writable by no one
 * else.  Returns an O_PATH descriptor of the directory, or -1 (errno EPERM
 * when the rule refuses). */
int report_dir_safe(const char *dir);

#endif
