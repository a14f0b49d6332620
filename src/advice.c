#include "advice.h"

#include "stdlib_frames.h"

#include <stdio.h>
#include <string.h>

struct rule {
    const char *function;       /* substring of a frame's function, or NULL */
    const char *file;           /* substring of a frame's file or module, or NULL */
    const char *text;
};

/* First match wins: most specific containers first. */
static const struct rule rules[] = {
    { "_Hashtable", NULL,
      "std::unordered_map/unordered_set never shrink their bucket array on erase. After bulk "
      "erases call m.rehash(0) (shrinks to fit the remaining elements), or swap with a fresh "
      "container: decltype(m)(m.begin(), m.end()).swap(m)." },
    { NULL, "hashtable", 
      "std::unordered_map/unordered_set never shrink their bucket array on erase. After bulk "
      "erases call m.rehash(0), or swap with a fresh container: decltype(m)(m.begin(), m.end()).swap(m)." },
    { "_M_realloc_insert", NULL,
      "std::vector keeps its capacity after clear() and erase(). After bulk removals call "
      "v.shrink_to_fit(), or swap with a fresh vector: std::vector<T>(v).swap(v)." },
    { "dictresize", NULL,
      "CPython dicts keep their table after del until the next insert resizes them. Rebuild "
      "the dict after bulk deletes (d = dict(d), or d = {k: v for k, v in d.items()}), or "
      "build a new dict per batch instead of deleting from a long-lived one." },
    { "new_keys_object", NULL,
      "CPython dicts keep their table after del until the next insert resizes them. Rebuild "
      "the dict after bulk deletes (d = dict(d)), or build a new dict per batch." },
    { "set_table_resize", NULL,
      "CPython sets keep their table after discard/remove (deleted slots hold a dummy marker). "
      "Rebuild the set after bulk removals: s = set(s)." },
    { "PyDict", NULL,
      "CPython dicts keep their table after del until the next insert resizes them. Rebuild "
      "the dict after bulk deletes (d = dict(d))." },
    { NULL, "uthash.h",
      "uthash keeps its bucket array until the last item is deleted (HASH_DEL never shrinks "
      "it). After bulk deletes, move the survivors into a new table (HASH_ADD into a fresh "
      "head, then HASH_CLEAR the old one) or HASH_CLEAR and rebuild." },
    { "Perl_hv", NULL,
      "Perl hashes keep their bucket array after delete. After bulk deletes, copy the "
      "survivors into a new hash and drop the old one (undef %old)." },
    { "flat_hash", NULL,
      "absl::flat_hash_map/set do not shrink on erase. After bulk erases call m.rehash(0) or "
      "swap with a fresh map; for large values use node_hash_map or store pointers." },
    { "g_hash_table", NULL,
      "GHashTable normally shrinks on remove; check for references keeping it large." },
    { "kh_resize", NULL,
      "khash never shrinks on kh_del. Rebuild the table after bulk deletes (kh_resize to a "
      "smaller size, or copy the survivors into a new table)." },
};

/* Containers recognised from the block's layout (container.h): the most
 * specific advice there is, whatever the stack shows. */
struct container_rule {
    const char *prefix;         /* of the finding's container */
    const char *noun;           /* what the user's line built */
    const char *text;
};

static const struct container_rule container_rules[] = {
    { "python dict keys", "dict",
      "A CPython dict keeps its table after del until an insert resizes it. Rebuild the dict "
      "after bulk deletes (d = dict(d), or d = {k: v for k, v in d.items()}); d.clear() frees "
      "the table when everything goes; or build a new dict per batch instead of deleting from "
      "a long-lived one." },
    { "python set table", "set",
      "A CPython set keeps its table after discard()/remove() (deleted slots hold a dummy "
      "marker). Rebuild the set after bulk removals (s = set(s)); s.clear() frees the table "
      "when everything goes." },
    { "php array data", "array",
      "A PHP array keeps its hash table after unset() (deleted buckets stay until a rehash, "
      "which only an insert into a full table makes). After bulk unsets copy the survivors into "
      "a new array sized for them ($a = array_slice($a, 0, null, true)), or build a new array "
      "per batch; $a = [] frees the table." },
    { "php packed array", "array",
      "A PHP list keeps its packed array after unset() (unset slots become IS_UNDEF and stay "
      "until the array grows). After bulk unsets copy the survivors into a new array "
      "($a = array_values($a), which also renumbers; array_slice($a, 0, null, true) keeps the "
      "keys but makes a hash), or build a new array per batch; $a = [] frees it." },
    { "hashbrown table", "map",
      "A Rust HashMap/HashSet (hashbrown) never shrinks on remove(). After bulk removals call "
      "map.shrink_to_fit() (or shrink_to(n)), or collect the survivors into a new map; "
      "map.clear() keeps the capacity too, so replace the map (map = HashMap::new()) to free it." },
    { "swisstable, absl layout", "table",
      "An absl::flat_hash_map/set does not shrink on erase(). After bulk erases call "
      "m.rehash(0), or swap with a fresh table; clear() frees the table when it is large." },
    { "ruby st_table entries", "hash",
      "A Ruby Hash keeps its st_table entries array after delete (deleted entries stay until "
      "inserts fill the array and Ruby rebuilds it); h.dup, Hash[h], select and even h.clear "
      "keep the full-size arrays too. After bulk deletes rebuild it in place with h.rehash "
      "(sized for what remains), or h = h.to_a.to_h; h = {} drops the table." },
};

static const char *basename_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

static int contains(const char *s, const char *needle)
{
    return s && needle && strstr(s, needle) != NULL;
}

void advice_write(struct report *r, struct finding *f)
{
    const struct frame *frames[64];
    int n = f->site ? report_stack(r, f->site, frames, 64) : 0;
    const char *text = NULL, *noun = "array";
    for (size_t i = 0; i < sizeof container_rules / sizeof container_rules[0] && !text; i++)
        if (!strncmp(f->container, container_rules[i].prefix, strlen(container_rules[i].prefix))) {
            text = container_rules[i].text;
            noun = container_rules[i].noun;
        }
    /* The script's line: the innermost interpreter frame of the program's
     * own code (else the innermost one: all in the standard library). */
    const struct frame *script = NULL, *any = NULL;
    for (int j = 0; j < n && !script; j++)
        if (frames[j]->language && frames[j]->file) {
            any = any ? any : frames[j];
            if (!frames[j]->stdlib)
                script = frames[j];
        }
    if (!script)
        script = any;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0] && !text; i++)
        for (int j = 0; j < n; j++) {
            const struct rule *ru = &rules[i];
            if ((ru->function && contains(frames[j]->function, ru->function)) ||
                (ru->file && (contains(frames[j]->file, ru->file)))) {
                text = ru->text;
                break;
            }
        }
    /* The function to name: the first frame outside the language's runtime
     * and standard library (stdlib_frames.h). */
    const char *where = NULL;
    for (int j = 0; j < n && !where; j++)
        if (frames[j]->function && !frame_is_stdlib(frames[j]))
            where = frames[j]->function;
    char generic[512];
    if (!text) {
        snprintf(generic, sizeof generic,
                 "This array kept its peak capacity after its contents went away. Rebuild it "
                 "after bulk deletes (allocate one sized for what remains and move the "
                 "survivors), or shrink it when its load falls below a quarter.%s%s",
                 f->advice_hint ? " " : "", f->advice_hint ? f->advice_hint : "");
        text = generic;
    }
    char name[160];
    if (script)
        snprintf(f->advice, sizeof f->advice, "%s (The %s is built at %s:%d, in %s.)", text, noun,
                 basename_of(script->file), script->line,
                 script->function ? script->function : "?");
    else if (where)
        snprintf(f->advice, sizeof f->advice, "%s (The array is allocated in %s.)", text,
                 short_function_name(where, name, sizeof name));
    else
        snprintf(f->advice, sizeof f->advice, "%s", text);
    /* A site finding: the same advice holds for each of its blocks. */
    if (f->kind == FINDING_SITE) {
        char each[sizeof f->advice + 160];
        snprintf(each, sizeof each, "About %llu arrays from this one call site are in this "
                 "state (%d of the %d watched): the fix goes where they are made. %s",
                 (unsigned long long)f->blocks, f->sampled_retained, f->sampled_blocks, f->advice);
        memcpy(f->advice, each, sizeof f->advice - 1);
        f->advice[sizeof f->advice - 1] = 0;
    }
}
