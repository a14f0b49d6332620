/* out_pprof.c: the report as a pprof profile (profile.proto, encoded by
 * protobuf-c, gzipped by zlib): what go tool pprof, Pyroscope and Parca read.
 *
 * Sample types: alloc_objects, alloc_space, inuse_objects, inuse_space (one
 * sample per call site) and retained_space (one sample per finding, the
 * bytes its block keeps beyond its contents).  One location per return
 * address with its inlined frames as extra lines (callee first), one
 * function per (name, file), one mapping per module with its build-id. */
#include "fmt.h"
#include "outputs.h"
#include "profile.pb-c.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

#define MAX_LABELS 8

enum { V_ALLOC_OBJECTS, V_ALLOC_SPACE, V_INUSE_OBJECTS, V_INUSE_SPACE, V_RETAINED_SPACE, NVALUES };

/* A growable array of pointers. */
struct vec {
    void **v;
    size_t n, cap;
};

static void vec_push(struct vec *a, void *p)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = p;
}

/* Lookup tables keyed by strings: a small open-addressing hash. */
struct index {
    char **keys;
    uint64_t *vals;
    size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint64_t *index_slot(struct index *ix, const char *key, int *found)
{
    if (2 * (ix->n + 1) > ix->cap) {
        struct index big = { 0 };
        big.cap = ix->cap ? 2 * ix->cap : 256;
        big.keys = calloc(big.cap, sizeof *big.keys);
        big.vals = calloc(big.cap, sizeof *big.vals);
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->keys[i]) {
                size_t j = hash_str(ix->keys[i]) & (big.cap - 1);
                while (big.keys[j])
                    j = (j + 1) & (big.cap - 1);
                big.keys[j] = ix->keys[i];
                big.vals[j] = ix->vals[i];
            }
        big.n = ix->n;
        free(ix->keys);
        free(ix->vals);
        *ix = big;
    }
    size_t j = hash_str(key) & (ix->cap - 1);
    while (ix->keys[j] && strcmp(ix->keys[j], key))
        j = (j + 1) & (ix->cap - 1);
    *found = ix->keys[j] != NULL;
    if (!*found) {
        ix->keys[j] = strdup(key);
        ix->n++;
    }
    return &ix->vals[j];
}

static void index_free(struct index *ix)
{
    for (size_t i = 0; i < ix->cap; i++)
        free(ix->keys[i]);
    free(ix->keys);
    free(ix->vals);
}

struct builder {
    const struct report *r;
    struct vec strings, samples, locations, functions, mappings, owned;
    struct index string_ix, location_ix, function_ix;
    uint64_t *map_limit;        /* per module: highest address seen + 1 */
};

static void *own(struct builder *b, void *p)
{
    vec_push(&b->owned, p);
    return p;
}

static int64_t str_id(struct builder *b, const char *s)
{
    if (!s)
        s = "";
    int found;
    uint64_t *slot = index_slot(&b->string_ix, s, &found);
    if (!found) {
        *slot = b->strings.n;
        vec_push(&b->strings, own(b, strdup(s)));
    }
    return (int64_t)*slot;
}

/* The module a frame belongs to: 1-based mapping id, 0 if none. */
static uint64_t mapping_of(struct builder *b, const struct frame *f)
{
    if (!f->module)
        return 0;
    for (size_t i = 0; i < b->r->nmodules; i++)
        if (b->r->modules[i].path && !strcmp(b->r->modules[i].path, f->module)) {
            if (f->address >= b->r->modules[i].base && f->address + 1 > b->map_limit[i])
                b->map_limit[i] = f->address + 1;
            return i + 1;
        }
    return 0;
}

static uint64_t function_id(struct builder *b, const struct frame *f)
{
    char nb[256], key[1200];
    const char *name = frame_name(f, nb, sizeof nb);
    const char *file = f->file ? f->file : f->module ? f->module : "";
    snprintf(key, sizeof key, "%s\x1f%s", name, file);
    int found;
    uint64_t *slot = index_slot(&b->function_ix, key, &found);
    if (!found) {
        Function *fn = own(b, malloc(sizeof *fn));
        perftools__profiles__function__init(fn);
        fn->id = b->functions.n + 1;
        fn->name = str_id(b, name);
        fn->system_name = fn->name;
        fn->filename = str_id(b, file);
        vec_push(&b->functions, fn);
        *slot = fn->id;
    }
    return *slot;
}

/* frames[i..end] are one return address: the inlined frames and the one
 * they were inlined into. */
static uint64_t location_id(struct builder *b, const struct stack *s, size_t i, size_t end)
{
    char key[4096];
    size_t n = (size_t)snprintf(key, sizeof key, "%llx", (unsigned long long)s->frames[i].address);
    for (size_t k = i; k <= end && n < sizeof key - 64; k++) {
        char nb[256];
        n += (size_t)snprintf(key + n, sizeof key - n, "\x1f%.200s:%ld", frame_name(&s->frames[k], nb, sizeof nb),
                              s->frames[k].line);
    }
    int found;
    uint64_t *slot = index_slot(&b->location_ix, key, &found);
    if (found)
        return *slot;
    Location *loc = own(b, malloc(sizeof *loc));
    perftools__profiles__location__init(loc);
    loc->id = b->locations.n + 1;
    loc->address = s->frames[end].address;
    loc->mapping_id = mapping_of(b, &s->frames[end]);
    loc->n_line = end - i + 1;
    loc->line = own(b, calloc(loc->n_line, sizeof *loc->line));
    for (size_t k = i; k <= end; k++) {
        Line *ln = own(b, malloc(sizeof *ln));
        perftools__profiles__line__init(ln);
        ln->function_id = function_id(b, &s->frames[k]);
        ln->line = s->frames[k].line;
        loc->line[k - i] = ln;
    }
    vec_push(&b->locations, loc);
    return *slot = loc->id;
}

static Sample *sample_for(struct builder *b, const struct stack *s)
{
    Sample *sm = own(b, malloc(sizeof *sm));
    perftools__profiles__sample__init(sm);
    sm->location_id = own(b, calloc(s->n ? s->n : 1, sizeof *sm->location_id));
    for (size_t i = 0; i < s->n; i++) {
        size_t end = stack_physical_end(s, i);
        sm->location_id[sm->n_location_id++] = location_id(b, s, i, end);
        i = end;
    }
    sm->label = own(b, calloc(MAX_LABELS, sizeof *sm->label));
    sm->n_value = NVALUES;
    sm->value = own(b, calloc(NVALUES, sizeof *sm->value));
    vec_push(&b->samples, sm);
    return sm;
}

static void add_label(struct builder *b, Sample *sm, const char *key, const char *str, int64_t num,
                      const char *unit)
{
    Label *l = own(b, malloc(sizeof *l));
    perftools__profiles__label__init(l);
    l->key = str_id(b, key);
    if (str)
        l->str = str_id(b, str);
    else {
        l->num = num;
        if (unit)
            l->num_unit = str_id(b, unit);
    }
    if (sm->n_label == MAX_LABELS)
        return;
    sm->label[sm->n_label++] = l;
}

/* The report counts allocations per site but not bytes allocated; until it
 * does (a site's "alloc_bytes"), alloc_space is the live objects' mean size
 * times the allocations, or the peak when nothing is live. */
static int64_t alloc_space(const struct site *s)
{
    if (s->has_alloc_bytes)
        return s->alloc_bytes;
    uint64_t live_objects = s->allocations > s->frees ? s->allocations - s->frees : 0;
    if (live_objects && s->live_bytes > 0) {
        double v = (double)s->live_bytes / (double)live_objects * (double)s->allocations;
        return v < 9.2e18 ? (int64_t)v : INT64_MAX;
    }
    return s->peak_live_bytes;
}

static ValueType *value_type(struct builder *b, const char *type, const char *unit)
{
    ValueType *vt = own(b, malloc(sizeof *vt));
    perftools__profiles__value_type__init(vt);
    vt->type = str_id(b, type);
    vt->unit = str_id(b, unit);
    return vt;
}

static int write_gzip(FILE *fp, const uint8_t *data, size_t len)
{
    z_stream z = { 0 };
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uint8_t out[65536];
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    int rc;
    do {
        z.next_out = out;
        z.avail_out = sizeof out;
        rc = deflate(&z, Z_FINISH);
        if (rc == Z_STREAM_ERROR)
            break;
        fwrite(out, 1, sizeof out - z.avail_out, fp);
    } while (rc != Z_STREAM_END);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

int out_pprof(FILE *fp, const struct report *r)
{
    struct builder b = { .r = r };
    b.map_limit = calloc(r->nmodules ? r->nmodules : 1, sizeof *b.map_limit);
    str_id(&b, "");
    Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
    ValueType *types[NVALUES] = {
        value_type(&b, "alloc_objects", "count"), value_type(&b, "alloc_space", "bytes"),
        value_type(&b, "inuse_objects", "count"), value_type(&b, "inuse_space", "bytes"),
        value_type(&b, "retained_space", "bytes"),
    };
    p.sample_type = types;
    p.n_sample_type = NVALUES;
    p.default_sample_type = types[V_RETAINED_SPACE]->type;
    p.period_type = value_type(&b, "space", "bytes");
    json_t *sample = r->config ? json_object_get(r->config, "sample_bytes") : NULL;
    p.period = json_is_integer(sample) ? (int64_t)json_integer_value(sample) : 0;
    p.duration_nanos = (int64_t)r->duration_ms * 1000000;
    struct stat st;
    if (stat(r->path, &st) == 0)
        p.time_nanos = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec -
                       p.duration_nanos;

    for (size_t i = 0; i < r->nsites; i++) {
        const struct site *s = &r->sites[i];
        Sample *sm = sample_for(&b, &s->stack);
        sm->value[V_ALLOC_OBJECTS] = (int64_t)s->allocations;
        sm->value[V_ALLOC_SPACE] = alloc_space(s);
        sm->value[V_INUSE_OBJECTS] = s->allocations > s->frees ? (int64_t)(s->allocations - s->frees) : 0;
        sm->value[V_INUSE_SPACE] = s->live_bytes;
        add_label(&b, sm, "site", NULL, (int64_t)s->id, NULL);
        add_label(&b, sm, "peak_live_bytes", NULL, s->peak_live_bytes, "bytes");
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct finding *f = &r->findings[i];
        Sample *sm = sample_for(&b, &f->stack);
        sm->value[V_RETAINED_SPACE] = (int64_t)f->retained_bytes;
        add_label(&b, sm, "finding", NULL, (int64_t)i + 1, NULL);
        add_label(&b, sm, "kind", f->kind, 0, NULL);
        if (f->probe)
            add_label(&b, sm, "probe", f->probe, 0, NULL);
        if (f->container)
            add_label(&b, sm, "container", f->container, 0, NULL);
        add_label(&b, sm, "source", f->source, 0, NULL);
        add_label(&b, sm, "capacity_bytes", NULL, (int64_t)f->capacity_bytes, "bytes");
        if (f->has_resident)
            add_label(&b, sm, "resident_bytes", NULL, (int64_t)f->resident_bytes, "bytes");
    }

    /* mapping[0] must be the main binary: the report lists it first */
    for (size_t i = 0; i < r->nmodules; i++) {
        const struct module *m = &r->modules[i];
        Mapping *mp = own(&b, malloc(sizeof *mp));
        perftools__profiles__mapping__init(mp);
        mp->id = i + 1;
        mp->memory_start = m->base;
        /* the report has no module sizes: up to the highest address seen in it */
        uint64_t limit = b.map_limit[i] ? b.map_limit[i] : m->base + 1;
        mp->memory_limit = limit;
        mp->filename = str_id(&b, m->path);
        mp->build_id = str_id(&b, m->build_id);
        mp->has_functions = mp->has_filenames = mp->has_line_numbers = mp->has_inline_frames = 1;
        vec_push(&b.mappings, mp);
    }
    char note[160];
    snprintf(note, sizeof note, "libretain report %s, pid %ld, reason %s", base_name(r->path), r->pid,
             r->reason ? r->reason : "?");
    int64_t comments[2] = { str_id(&b, note), 0 };
    p.n_comment = 1;
    int estimated = 0;
    for (size_t i = 0; i < r->nsites; i++)
        estimated |= !r->sites[i].has_alloc_bytes;
    if (estimated) {
        comments[1] = str_id(&b, "alloc_space is estimated from allocation counts and live sizes");
        p.n_comment = 2;
    }
    p.comment = comments;

    p.sample = (Sample **)b.samples.v;
    p.n_sample = b.samples.n;
    p.location = (Location **)b.locations.v;
    p.n_location = b.locations.n;
    p.function = (Function **)b.functions.v;
    p.n_function = b.functions.n;
    p.mapping = (Mapping **)b.mappings.v;
    p.n_mapping = b.mappings.n;
    p.string_table = (char **)b.strings.v;
    p.n_string_table = b.strings.n;

    size_t len = perftools__profiles__profile__get_packed_size(&p);
    uint8_t *buf = malloc(len ? len : 1);
    perftools__profiles__profile__pack(&p, buf);
    int rc = write_gzip(fp, buf, len);
    if (rc < 0)
        fprintf(stderr, "retain: cannot compress the profile\n");
    free(buf);
    for (size_t i = 0; i < b.owned.n; i++)
        free(b.owned.v[i]);
    free(b.owned.v);
    free(b.strings.v);
    free(b.samples.v);
    free(b.locations.v);
    free(b.functions.v);
    free(b.mappings.v);
    free(b.map_limit);
    index_free(&b.string_ix);
    index_free(&b.location_ix);
    index_free(&b.function_ix);
    return rc;
}
