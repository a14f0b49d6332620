/* report_json.c: the machine-readable report, schema libretain-report/1. */
#include "config.h"
#include "interp.h"
#include "report.h"
#include "site_table.h"
#include "stdlib_frames.h"

#include <string.h>

#define STACK_MAX 128

static void frame_json(struct strbuf *sb, const struct frame *f)
{
    sb_printf(sb, "{\"address\": \"0x%lx\", \"function\": ", (unsigned long)f->address);
    sb_json_str(sb, f->function);
    sb_puts(sb, ", \"file\": ");
    sb_json_str(sb, f->file);
    sb_printf(sb, ", \"line\": %d, \"module\": ", f->line);
    sb_json_str(sb, f->module);
    sb_printf(sb, ", \"offset\": \"0x%lx\"", (unsigned long)f->offset);
    if (f->inlined)
        sb_puts(sb, ", \"inlined\": true");
    if (f->language) {
        sb_puts(sb, ", \"language\": ");
        sb_json_str(sb, f->language);
    }
    if (frame_is_stdlib(f)) {
        sb_puts(sb, ", \"stdlib\": true");     /* the runtime's or standard library's */
    }
    sb_puts(sb, "}");
}

static void stack_json(struct report *r, struct strbuf *sb, struct site *s, const char *indent)
{
    const struct frame *frames[STACK_MAX];
    int n = s ? report_stack(r, s, frames, STACK_MAX) : 0;
    sb_puts(sb, "[");
    for (int i = 0; i < n; i++) {
        sb_printf(sb, "%s\n%s  ", i ? "," : "", indent);
        frame_json(sb, frames[i]);
    }
    if (n)
        sb_printf(sb, "\n%s", indent);
    sb_puts(sb, "]");
}

/* Every variable of the config table, under its key, as the field holds it. */
/* profiler_bytes less the parts named beside it (what the arena holds for
 * sites, stacks, watch records, scratch). */
static uint64_t profiler_other_bytes(const struct report *r)
{
    uint64_t named = r->block_table_bytes + r->liveness.bytes;
    return r->profiler_bytes > named ? r->profiler_bytes - named : 0;
}

static void config_json(struct strbuf *sb)
{
    const struct retain_config *c = &retain_config;
    sb_puts(sb, "  \"config\": {");
    for (size_t i = 0; i < config_nvars; i++) {
        const struct config_var *v = &config_vars[i];
        const void *field = config_value(v, c);
        sb_printf(sb, "%s\"%s\": ", i ? ", " : "", v->key);
        switch (v->kind) {
        case CONFIG_PATH: sb_json_str(sb, field); break;
        case CONFIG_SIGNAL: sb_printf(sb, "%d", *(const int *)field); break;
        case CONFIG_UINT: sb_printf(sb, "%u", *(const unsigned *)field); break;
        case CONFIG_SIZE: sb_printf(sb, "%zu", *(const size_t *)field); break;
        case CONFIG_FRACTION: sb_printf(sb, "%g", *(const double *)field); break;
        case CONFIG_SWITCH:
            if (*(const int *)field < 0)
                sb_puts(sb, "null");
            else
                sb_printf(sb, "%d", *(const int *)field);
            break;
        case CONFIG_CHOICE: sb_json_str(sb, v->choices[*(const int *)field]); break;
        case CONFIG_MODE: sb_printf(sb, "\"0%o\"", *(const unsigned *)field); break;
        }
    }
    sb_puts(sb, "},\n");
}

static void finding_json(struct report *r, struct strbuf *sb, const struct finding *f)
{
    sb_printf(sb, "    {\"address\": \"0x%lx\", \"capacity_bytes\": %llu, \"age_ms\": %llu,\n",
              (unsigned long)f->address, (unsigned long long)f->capacity_bytes,
              (unsigned long long)f->age_ms);
    sb_printf(sb, "     \"peak_occupancy\": %.4f, \"occupancy\": %.4f, \"retained_bytes\": %llu,\n",
              f->peak_occupancy, f->occupancy, (unsigned long long)f->retained_bytes);
    sb_puts(sb, "     \"probe\": ");
    sb_json_str(sb, f->probe);
    sb_puts(sb, ", \"confidence\": ");
    sb_json_str(sb, f->confidence);
    sb_printf(sb, ", \"live\": %s, \"retained_ms\": %llu, \"site\": %u,\n",
              f->live ? "true" : "false", (unsigned long long)f->retained_ms,
              f->site ? f->site->id : 0);
    sb_printf(sb, "     \"kind\": \"%s\", \"resident_bytes\": %llu, \"longest_gap_ms\": %u,\n",
              f->kind == FINDING_SITE ? "site" : "block", (unsigned long long)f->resident_bytes,
              f->longest_gap_ms);
    if (f->kind == FINDING_SITE) {
        /* DESIGN §4a: totals are estimates; the example's own figures beside them. */
        sb_printf(sb, "     \"blocks\": %llu, \"retained_bytes_error\": %llu, \"block_bytes\": %llu, "
                      "\"sampled_blocks\": %d, \"sampled_retained\": %d,\n     \"examples\": [",
                  (unsigned long long)f->blocks, (unsigned long long)f->retained_bytes_error,
                  (unsigned long long)f->example_bytes, f->sampled_blocks, f->sampled_retained);
        for (int i = 0; i < f->nexamples; i++) {
            const struct finding_example *e = &f->examples[i];
            sb_printf(sb, "%s{\"address\": \"0x%lx\", \"capacity_bytes\": %llu, "
                          "\"peak_occupancy\": %.4f, \"occupancy\": %.4f, \"retained\": %s}",
                      i ? ",\n       " : "", (unsigned long)e->address,
                      (unsigned long long)e->capacity_bytes, (double)e->peak_occupancy,
                      (double)e->occupancy, e->retained ? "true" : "false");
        }
        sb_puts(sb, "],\n");
    }
    sb_puts(sb, "     \"source\": ");
    sb_json_str(sb, f->source ? f->source : "malloc");
    sb_puts(sb, ",\n");
    if (f->container[0]) {
        sb_puts(sb, "     \"container\": ");
        sb_json_str(sb, f->container);
        sb_puts(sb, ",\n");
    }
    sb_puts(sb, "     \"stack\": ");
    stack_json(r, sb, f->site, "     ");
    sb_puts(sb, ",\n     \"history\": [");
    for (int i = 0; i < f->nhistory; i++)
        sb_printf(sb, "%s[%u, %.4f]", i ? ", " : "", f->history_ms[i], (double)f->history_occ[i]);
    sb_puts(sb, "],\n     \"advice\": ");
    sb_json_str(sb, f->advice);
    sb_puts(sb, "}");
}

void report_json(struct report *r, struct strbuf *sb)
{
    sb_puts(sb, "{\n  \"schema\": \"libretain-report/1\",\n");
    sb_printf(sb, "  \"pid\": %d,\n  \"command\": [", r->pid);
    for (size_t off = 0, i = 0; r->command && off < r->command_len; i++) {
        sb_puts(sb, i ? ", " : "");
        sb_json_str(sb, r->command + off);     /* read_cmdline NUL-terminates */
        off += strlen(r->command + off) + 1;
    }
    sb_puts(sb, "],\n  \"reason\": ");
    sb_json_str(sb, r->reason_name);
    sb_printf(sb, ",\n  \"duration_ms\": %llu,\n", (unsigned long long)r->duration_ms);
    config_json(sb);
    sb_printf(sb, "  \"totals\": {\"allocations\": %llu, \"frees\": %llu, \"live_bytes\": %llu, "
                  "\"peak_live_bytes\": %llu, \"sites\": %u, \"sites_written\": %d, "
                  "\"tracked_blocks\": %llu, \"profiler_bytes\": %llu, \"rss_bytes\": %llu, "
                  "\"retained_bytes\": %llu, \"retained_resident_bytes\": %llu,\n"
                  "    \"profiler_memory\": {\"block_table_bytes\": %llu, \"referents_bytes\": %llu, "
                  "\"other_bytes\": %llu}},\n",
              (unsigned long long)r->counters.allocations, (unsigned long long)r->counters.frees,
              (unsigned long long)r->live_bytes, (unsigned long long)r->peak_live_bytes,
              r->nsites_total, r->nsites, (unsigned long long)r->tracked_blocks,
              (unsigned long long)r->profiler_bytes, (unsigned long long)r->rss_bytes,
              (unsigned long long)report_retained_bytes(r),
              (unsigned long long)report_retained_resident_bytes(r),
              (unsigned long long)r->block_table_bytes, (unsigned long long)r->liveness.bytes,
              (unsigned long long)profiler_other_bytes(r));
    sb_printf(sb, "  \"sampler\": {\"passes\": %llu, \"bytes_scanned\": %llu, \"cpu_ms\": %.1f, "
                  "\"watched_blocks\": %llu, \"watched_bytes\": %llu, \"longest_hold_us\": %.1f,\n",
              (unsigned long long)r->sampler.passes, (unsigned long long)r->sampler.bytes_scanned,
              r->sampler.cpu_ns / 1e6, (unsigned long long)r->sampler.watched_blocks,
              (unsigned long long)r->sampler.watched_bytes, r->sampler.longest_hold_ns / 1e3);
    sb_puts(sb, "              \"measurements\": {");
    for (int c = 0; c < MEASURE_CLASSES; c++)
        sb_printf(sb, "%s\"%s\": %llu", c ? ", " : "", measure_class_names[c],
                  (unsigned long long)r->sampler.measurements[c]);
    /* The liveness probe's referents: "saturated" when registrations were
     * refused, so that its readings may miss drops (never invent them). */
    sb_printf(sb, "}, \"liveness\": {\"registered\": %llu, \"freed\": %llu, \"capacity\": %llu, "
                  "\"refused\": %llu, \"saturated\": %s}",
              (unsigned long long)r->liveness.registered, (unsigned long long)r->liveness.freed,
              (unsigned long long)r->liveness.capacity, (unsigned long long)r->liveness.refused,
              r->liveness.refused ? "true" : "false");
    sb_printf(sb, ", \"watch_records\": %llu, \"longest_gap_ms\": %u, \"medium_watches\": %llu, "
                  "\"medium_sites\": %llu, \"medium_watches_made\": %llu, \"watched_mapped\": %llu, "
                  "\"watched_mapped_bytes\": %llu},\n",
              (unsigned long long)r->sampler.watch_records, report_longest_gap_ms(r),
              (unsigned long long)r->sampler.medium_watches,
              (unsigned long long)r->sampler.medium_sites,
              (unsigned long long)r->sampler.medium_watches_made,
              (unsigned long long)r->sampler.watched_mapped,
              (unsigned long long)r->sampler.watched_mapped_bytes);

    /* Report-write failures since the last report written (RETAIN_QUIET=1
     * keeps them off stderr: this is where they are told). */
    sb_puts(sb, "  \"errors\": [");
    for (int i = 0; i < r->nerrors; i++) {
        sb_puts(sb, i ? ", " : "");
        sb_json_str(sb, r->errors[i]);
    }
    if (r->errors_dropped)
        sb_printf(sb, "%s\"and %llu more\"", r->nerrors ? ", " : "",
                  (unsigned long long)r->errors_dropped);
    sb_puts(sb, "],\n");

    /* The interpreter the process runs, and why its frames are missing if
     * they are: one note, never a failure. */
    const struct interp_info *in = interp_info();
    if (in) {
        sb_puts(sb, "  \"interpreter\": {\"language\": ");
        sb_json_str(sb, in->language);
        sb_puts(sb, ", \"version\": ");
        sb_json_str(sb, in->version[0] ? in->version : NULL);
        sb_printf(sb, ", \"frames\": %s, \"note\": ", in->frames ? "true" : "false");
        sb_json_str(sb, in->note);
        sb_puts(sb, "},\n");
    }
    sb_puts(sb, "  \"notes\": [");
    if (in && in->note)
        sb_json_str(sb, in->note);
    if (r->symbolizer_note) {
        sb_puts(sb, in && in->note ? ", " : "");
        sb_json_str(sb, r->symbolizer_note);
    }
    sb_puts(sb, "],\n");

    sb_puts(sb, "  \"findings\": [");
    for (int i = 0; i < r->nfindings; i++) {
        sb_puts(sb, i ? ",\n" : "\n");
        finding_json(r, sb, &r->findings[i]);
    }
    sb_puts(sb, r->nfindings ? "\n  ],\n" : "],\n");

    sb_puts(sb, "  \"sites\": [");
    for (int i = 0; i < r->nsites; i++) {
        const struct site_row *row = &r->sites[i];
        sb_printf(sb, "%s    {\"id\": %u, \"allocations\": %llu, \"frees\": %llu, "
                      "\"live_bytes\": %lld, \"peak_live_bytes\": %lld,\n     \"stack\": ",
                  i ? ",\n" : "\n", row->id, (unsigned long long)row->allocations,
                  (unsigned long long)row->frees, (long long)row->live_bytes,
                  (long long)row->peak_live_bytes);
        stack_json(r, sb, row->site, "     ");
        sb_puts(sb, "}");
    }
    sb_puts(sb, r->nsites ? "\n  ],\n" : "],\n");

    sb_puts(sb, "  \"modules\": [");
    for (int i = 0; i < r->nmodules; i++) {
        sb_puts(sb, i ? ",\n    " : "\n    ");
        sb_puts(sb, "{\"path\": ");
        sb_json_str(sb, r->modules[i].path);
        sb_printf(sb, ", \"base\": \"0x%lx\", \"build_id\": ", (unsigned long)r->modules[i].base);
        sb_json_str(sb, r->modules[i].build_id[0] ? r->modules[i].build_id : NULL);
        if (r->modules[i].unloaded)
            sb_puts(sb, ", \"unloaded\": true");
        sb_puts(sb, "}");
    }
    sb_puts(sb, r->nmodules ? "\n  ]\n}\n" : "]\n}\n");
}
