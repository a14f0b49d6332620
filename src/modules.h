/* modules.h: the ELF objects of the process and their build-ids, loaded
 * and unloaded (dlclose), for symbolization and offline tools. */
#ifndef RETAIN_MODULES_H
#define RETAIN_MODULES_H

#include <stddef.h>
#include <stdint.h>

struct module_info {
    char path[512];
    uintptr_t base;
    char build_id[65];
    int unloaded;               /* dlclose'd since; kept so old sites still resolve */
};
/* Fills up to max ELF objects, loaded ones first, then those unloaded by
 * dlclose; returns how many there are. */
int modules_collect(struct module_info *out, int max);
/* How many modules_collect would fill now (loaded and unloaded), to size
 * its array: a few dozen entries, not the thousand a fixed array held. */
int modules_count(void);
/* dlclose: remember the object behind handle before it may be unmapped. */
void modules_note_unload(void *handle);
/* Fork (lifecycle.h). */
void modules_lock(void);
void modules_unlock(void);
void modules_after_fork_child(void);

/* The loaded object whose segments hold pc; 0 if none. */
int modules_object_at(uintptr_t pc, struct module_info *out);
/* Is the file at path still the object with this build-id (read with
 * libelf: loads libdw, dwlib.h; 0 when it cannot)?  A server whose
 * package was upgraded while it ran has new files under the old names, whose
 * symbols would name the wrong functions. */
int modules_file_is_object(const char *path, const char *build_id);
/* The objects unloaded so far (up to max); returns how many. */
#define MODULES_UNLOADED_MAX 256
int modules_unloaded(struct module_info *out, int max);
/* What an object's file holds beyond its loaded image, from its section
 * table (pread, no libelf): MODULE_DWARF (.debug_info, .zdebug_info),
 * MODULE_SYMTAB (.symtab, or MiniDebugInfo's .gnu_debugdata).  -1 when the
 * file cannot be read as a 64-bit ELF file (the caller asks libdw). */
#define MODULE_DWARF 1
#define MODULE_SYMTAB 2
int modules_file_sections(const char *path);
/* A build-id as lower-case hex; out holds 2n + 1 bytes. */
void modules_build_id_hex(const unsigned char *id, size_t n, char *out);

#endif
