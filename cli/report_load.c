/* report_load.c: a report file into struct report, through jansson.  Every
 * required field is checked for its type, so readers downstream never see a
 * half-formed report; what is wrong is told in one line naming the file and
 * the field. */
#include "report_model.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCHEMA "libretain-report/1"

struct loader {
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};

static void fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct loader *ld, const char *fmt, ...)
{
    if (ld->failed)
        return;
    ld->failed = 1;
    int n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
    if (n < 0 || (size_t)n >= ld->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static const char *opt_str(struct loader *ld, json_t *obj, const char *key, const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        fail(ld, "%s\"%s\" is not a string", where, key);
        return NULL;
    }
    return json_string_value(v);
}

static const char *req_str(struct loader *ld, json_t *obj, const char *key, const char *where)
{
    if (!json_object_get(obj, key))
        fail(ld, "%smissing \"%s\"", where, key);
    return opt_str(ld, obj, key, where);
}

/* Numbers: integers or reals (the writer prints fractions as reals). */
static int get_num(struct loader *ld, json_t *obj, const char *key, const char *where,
                   int required, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            fail(ld, "%smissing \"%s\"", where, key);
        return 0;
    }
    if (!json_is_number(v)) {
        fail(ld, "%s\"%s\" is not a number", where, key);
        return 0;
    }
    *out = json_number_value(v);
    return 1;
}

static int get_int(struct loader *ld, json_t *obj, const char *key, const char *where,
                   int required, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            fail(ld, "%smissing \"%s\"", where, key);
        return 0;
    }
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > -9.2e18 && d < 9.2e18)) {
            fail(ld, "%s\"%s\" is out of range: %g", where, key, d);
            return 0;
        }
        *out = (int64_t)d;
        return 1;
    }
    fail(ld, "%s\"%s\" is not a number", where, key);
    return 0;
}

static uint64_t req_u64(struct loader *ld, json_t *obj, const char *key, const char *where)
{
    int64_t v = 0;
    get_int(ld, obj, key, where, 1, &v);
    return v < 0 ? 0 : (uint64_t)v;
}

static int opt_u64(struct loader *ld, json_t *obj, const char *key, const char *where, uint64_t *out)
{
    int64_t v = 0;
    if (!get_int(ld, obj, key, where, 0, &v))
        return 0;
    *out = v < 0 ? 0 : (uint64_t)v;
    return 1;
}

static uint64_t hex_field(struct loader *ld, json_t *obj, const char *key, const char *where)
{
    const char *s = opt_str(ld, obj, key, where);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 16);
    if (errno || *end || end == s) {
        fail(ld, "%s\"%s\" is not a hexadecimal address: \"%.40s\"", where, key, s);
        return 0;
    }
    return v;
}

static json_t *req_array(struct loader *ld, json_t *obj, const char *key, const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        fail(ld, "%smissing \"%s\"", where, key);
        return NULL;
    }
    if (!json_is_array(v)) {
        fail(ld, "%s\"%s\" is not an array", where, key);
        return NULL;
    }
    return v;
}

static void load_stack(struct loader *ld, json_t *obj, const char *where, struct stack *st)
{
    json_t *arr = req_array(ld, obj, "stack", where);
    if (!arr)
        return;
    st->n = json_array_size(arr);
    st->frames = calloc(st->n ? st->n : 1, sizeof *st->frames);
    for (size_t i = 0; i < st->n && !ld->failed; i++) {
        char w[96];
        snprintf(w, sizeof w, "%sstack[%zu]: ", where, i);
        json_t *f = json_array_get(arr, i);
        if (!json_is_object(f)) {
            fail(ld, "%snot an object", w);
            return;
        }
        struct frame *fr = &st->frames[i];
        fr->address = hex_field(ld, f, "address", w);
        fr->offset = hex_field(ld, f, "offset", w);
        fr->function = opt_str(ld, f, "function", w);
        fr->file = opt_str(ld, f, "file", w);
        fr->module = opt_str(ld, f, "module", w);
        fr->language = opt_str(ld, f, "language", w);
        if (fr->language && !strcmp(fr->language, "native"))
            fr->language = NULL;
        int64_t line = 0;
        get_int(ld, f, "line", w, 0, &line);
        fr->line = (long)line;
        fr->inlined = json_is_true(json_object_get(f, "inlined"));
        fr->stdlib = json_is_true(json_object_get(f, "stdlib"));
    }
}

static void load_finding(struct loader *ld, json_t *o, size_t i, struct finding *f)
{
    char w[64];
    snprintf(w, sizeof w, "findings[%zu]: ", i);
    if (!json_is_object(o)) {
        fail(ld, "%snot an object", w);
        return;
    }
    f->kind = opt_str(ld, o, "kind", w);
    if (!f->kind)
        f->kind = "block";
    f->address = opt_str(ld, o, "address", w);
    f->probe = opt_str(ld, o, "probe", w);
    f->confidence = opt_str(ld, o, "confidence", w);
    f->container = opt_str(ld, o, "container", w);
    f->source = opt_str(ld, o, "source", w);
    if (!f->source)
        f->source = "malloc";
    f->advice = opt_str(ld, o, "advice", w);
    f->capacity_bytes = req_u64(ld, o, "capacity_bytes", w);
    f->retained_bytes = req_u64(ld, o, "retained_bytes", w);
    opt_u64(ld, o, "age_ms", w, &f->age_ms);
    opt_u64(ld, o, "retained_ms", w, &f->retained_ms);
    opt_u64(ld, o, "site", w, &f->site);
    f->has_blocks = opt_u64(ld, o, "blocks", w, &f->blocks);
    f->has_sampled = opt_u64(ld, o, "sampled_blocks", w, &f->sampled_blocks) &
                     opt_u64(ld, o, "sampled_retained", w, &f->sampled_retained);
    f->has_block_bytes = opt_u64(ld, o, "block_bytes", w, &f->block_bytes);
    f->has_resident = opt_u64(ld, o, "resident_bytes", w, &f->resident_bytes);
    f->has_error = get_num(ld, o, "retained_bytes_error", w, 0, &f->retained_bytes_error);
    get_num(ld, o, "peak_occupancy", w, 1, &f->peak_occupancy);
    get_num(ld, o, "occupancy", w, 1, &f->occupancy);
    f->live = json_is_true(json_object_get(o, "live"));
    load_stack(ld, o, w, &f->stack);
    json_t *h = json_object_get(o, "history");
    if (h && !json_is_array(h)) {
        fail(ld, "%s\"history\" is not an array", w);
        return;
    }
    f->nhistory = h ? json_array_size(h) : 0;
    f->history = calloc(f->nhistory ? f->nhistory : 1, sizeof *f->history);
    for (size_t k = 0; k < f->nhistory; k++) {
        json_t *p = json_array_get(h, k);
        if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_number(json_array_get(p, 0)) ||
            !json_is_number(json_array_get(p, 1))) {
            fail(ld, "%shistory[%zu] is not a [milliseconds, occupancy] pair", w, k);
            return;
        }
        f->history[k].ms = json_number_value(json_array_get(p, 0));
        f->history[k].occupancy = json_number_value(json_array_get(p, 1));
    }
}

static void load_site(struct loader *ld, json_t *o, size_t i, struct site *s)
{
    char w[64];
    snprintf(w, sizeof w, "sites[%zu]: ", i);
    if (!json_is_object(o)) {
        fail(ld, "%snot an object", w);
        return;
    }
    s->id = req_u64(ld, o, "id", w);
    s->allocations = req_u64(ld, o, "allocations", w);
    s->frees = req_u64(ld, o, "frees", w);
    get_int(ld, o, "live_bytes", w, 1, &s->live_bytes);
    get_int(ld, o, "peak_live_bytes", w, 1, &s->peak_live_bytes);
    s->has_alloc_bytes = get_int(ld, o, "alloc_bytes", w, 0, &s->alloc_bytes);
    load_stack(ld, o, w, &s->stack);
}

static void load_totals(struct loader *ld, json_t *root, struct totals *t)
{
    json_t *o = json_object_get(root, "totals");
    if (!json_is_object(o)) {
        fail(ld, o ? "\"totals\" is not an object" : "missing \"totals\"");
        return;
    }
    const char *w = "totals: ";
    t->allocations = req_u64(ld, o, "allocations", w);
    t->frees = req_u64(ld, o, "frees", w);
    t->live_bytes = req_u64(ld, o, "live_bytes", w);
    t->peak_live_bytes = req_u64(ld, o, "peak_live_bytes", w);
    opt_u64(ld, o, "sites", w, &t->sites);
    t->has_sites_written = opt_u64(ld, o, "sites_written", w, &t->sites_written);
    t->has_rss = opt_u64(ld, o, "rss_bytes", w, &t->rss_bytes);
    t->has_profiler = opt_u64(ld, o, "profiler_bytes", w, &t->profiler_bytes);
}

static const char **load_strings(struct loader *ld, json_t *arr, const char *key, size_t *n)
{
    *n = json_is_array(arr) ? json_array_size(arr) : 0;
    const char **out = calloc(*n ? *n : 1, sizeof *out);
    for (size_t i = 0; i < *n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            fail(ld, "%s[%zu] is not a string", key, i);
            break;
        }
        out[i] = json_string_value(v);
    }
    return out;
}

static void load_body(struct loader *ld, json_t *root, struct report *r)
{
    r->schema = opt_str(ld, root, "schema", "");
    if (ld->failed)
        return;
    if (!r->schema) {
        fail(ld, "no \"schema\" field: not a libretain report");
        return;
    }
    if (strcmp(r->schema, SCHEMA) != 0) {
        fail(ld, "schema \"%.60s\" is not %s", r->schema, SCHEMA);
        return;
    }
    int64_t pid = 0;
    get_int(ld, root, "pid", "", 1, &pid);
    r->pid = (long)pid;
    r->reason = req_str(ld, root, "reason", "");
    int64_t dur = 0;
    get_int(ld, root, "duration_ms", "", 0, &dur);
    r->duration_ms = dur > 0 ? (uint64_t)dur : 0;
    json_t *cmd = json_object_get(root, "command");
    if (cmd && !json_is_array(cmd))
        fail(ld, "\"command\" is not an array");
    r->command = load_strings(ld, cmd, "command", &r->ncommand);
    json_t *errs = json_object_get(root, "errors");
    if (errs && !json_is_array(errs))
        fail(ld, "\"errors\" is not an array");
    r->errors = load_strings(ld, errs, "errors", &r->nerrors);
    json_t *cfg = json_object_get(root, "config");
    r->config = json_is_object(cfg) ? cfg : NULL;
    load_totals(ld, root, &r->totals);

    json_t *arr = req_array(ld, root, "findings", "");
    r->nfindings = arr ? json_array_size(arr) : 0;
    r->findings = calloc(r->nfindings ? r->nfindings : 1, sizeof *r->findings);
    for (size_t i = 0; i < r->nfindings && !ld->failed; i++)
        load_finding(ld, json_array_get(arr, i), i, &r->findings[i]);

    arr = req_array(ld, root, "sites", "");
    r->nsites = arr ? json_array_size(arr) : 0;
    r->sites = calloc(r->nsites ? r->nsites : 1, sizeof *r->sites);
    for (size_t i = 0; i < r->nsites && !ld->failed; i++)
        load_site(ld, json_array_get(arr, i), i, &r->sites[i]);

    arr = json_object_get(root, "modules");
    r->nmodules = json_is_array(arr) ? json_array_size(arr) : 0;
    r->modules = calloc(r->nmodules ? r->nmodules : 1, sizeof *r->modules);
    for (size_t i = 0; i < r->nmodules && !ld->failed; i++) {
        json_t *m = json_array_get(arr, i);
        char w[64];
        snprintf(w, sizeof w, "modules[%zu]: ", i);
        if (!json_is_object(m)) {
            fail(ld, "%snot an object", w);
            break;
        }
        r->modules[i].path = opt_str(ld, m, "path", w);
        r->modules[i].build_id = opt_str(ld, m, "build_id", w);
        r->modules[i].base = hex_field(ld, m, "base", w);
    }
}

/* Words for what jansson found, for the common kinds of damage. */
static void describe_parse_error(struct loader *ld, const json_error_t *je, size_t size)
{
    if (size == 0) {
        fail(ld, "empty file, not a report");
        return;
    }
    switch (json_error_code(je)) {
    case json_error_premature_end_of_input:
        fail(ld, "truncated JSON (ends at line %d, column %d)", je->line, je->column);
        break;
    case json_error_invalid_utf8:
    case json_error_null_character:
        fail(ld, "binary data, not a JSON report (at byte %d)", je->position);
        break;
    default:
        fail(ld, "not valid JSON: %s (line %d, column %d)", je->text, je->line, je->column);
    }
}

struct report *report_load(const char *path, char *err, size_t errlen)
{
    struct loader ld = { path, err, errlen, 0 };
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fail(&ld, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    int have_st = fstat(fileno(fp), &st) == 0;
    if (have_st && S_ISDIR(st.st_mode)) {
        fclose(fp);
        fail(&ld, "is a directory, not a report");
        return NULL;
    }
    /* Read whole: a binary file is told as such before the parser sees it. */
    size_t cap = 1 << 16, size = 0;
    char *text = malloc(cap);
    size_t got;
    while ((got = fread(text + size, 1, cap - size, fp)) > 0) {
        size += got;
        if (size == cap)
            text = realloc(text, cap *= 2);
    }
    int read_error = ferror(fp);
    fclose(fp);
    if (read_error) {
        free(text);
        fail(&ld, "cannot read: %s", strerror(errno));
        return NULL;
    }
    if (memchr(text, 0, size)) {
        free(text);
        fail(&ld, "binary data (a NUL byte), not a JSON report");
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root) {
        describe_parse_error(&ld, &je, size);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        fail(&ld, "JSON but not an object: not a libretain report");
        return NULL;
    }
    struct report *r = calloc(1, sizeof *r);
    r->path = path;
    r->file_mode = have_st ? (unsigned)(st.st_mode & 0666) : 0600;
    r->doc = root;
    load_body(&ld, root, r);
    if (ld.failed) {
        report_free(r);
        return NULL;
    }
    return r;
}

void report_free(struct report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfindings; i++) {
        free(r->findings[i].stack.frames);
        free(r->findings[i].history);
    }
    for (size_t i = 0; i < r->nsites; i++)
        free(r->sites[i].stack.frames);
    free(r->findings);
    free(r->sites);
    free(r->modules);
    free(r->command);
    free(r->errors);
    json_decref(r->doc);
    free(r);
}

size_t stack_physical_end(const struct stack *s, size_t i)
{
    while (i + 1 < s->n && s->frames[i].inlined && s->frames[i + 1].address == s->frames[i].address)
        i++;
    return i;
}
