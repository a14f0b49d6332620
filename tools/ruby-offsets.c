/* ruby-offsets.c: prints the offsets src/interp_ruby.c reads, for the Ruby
 * whose MJIT header it is built against.  Debian's rubyX.Y-dev ships that
 * header (rb_mjit_min_header-X.Y.Z.h): the VM's internal structures
 * (vm_core.h, iseq.h, ractor_core.h, thread_pthread.h) as that very build
 * of libruby laid them out, so offsetof() here is offsetof() there.
 *
 *   H=/usr/include/x86_64-linux-gnu/ruby-3.1.0
 *   cc -w -I$H -I/usr/include/ruby-3.1.0 -include $H/rb_mjit_min_header-3.1.2.h \
 *      tools/ruby-offsets.c -o /tmp/ruby-offsets -lruby-3.1 && /tmp/ruby-offsets
 *
 * The succinct line index (struct succ_index_table) is private to iseq.c:
 * its layout (6 words of immediate ranks, then 80-byte blocks of 512 bits)
 * is copied by hand from iseq.c and has not changed since Ruby 2.6. */
int printf(const char *, ...);
#define O(name, expr) printf("  ." #name " = %zu,\n", (size_t)(expr))
int main(void)
{
    extern const char ruby_version[];
    printf("/* ruby %s */\n", ruby_version);
    O(vm_main_ractor, __builtin_offsetof(rb_vm_t, ractor.main_ractor));
    O(vm_main_thread, __builtin_offsetof(rb_vm_t, ractor.main_thread));
    O(ractor_gvl_owner, __builtin_offsetof(rb_ractor_t, threads.gvl.owner));
    O(ractor_running_ec, __builtin_offsetof(rb_ractor_t, threads.running_ec));
    O(ractor_main, __builtin_offsetof(rb_ractor_t, threads.main));
    O(th_ractor, __builtin_offsetof(rb_thread_t, ractor));
    O(th_vm, __builtin_offsetof(rb_thread_t, vm));
    O(th_ec, __builtin_offsetof(rb_thread_t, ec));
    O(th_thread_id, __builtin_offsetof(rb_thread_t, thread_id));
    O(ec_vm_stack, __builtin_offsetof(rb_execution_context_t, vm_stack));
    O(ec_vm_stack_size, __builtin_offsetof(rb_execution_context_t, vm_stack_size));
    O(ec_cfp, __builtin_offsetof(rb_execution_context_t, cfp));
    O(ec_thread_ptr, __builtin_offsetof(rb_execution_context_t, thread_ptr));
    O(cfp_size, sizeof(rb_control_frame_t));
    O(cfp_pc, __builtin_offsetof(rb_control_frame_t, pc));
    O(cfp_iseq, __builtin_offsetof(rb_control_frame_t, iseq));
    O(cfp_ep, __builtin_offsetof(rb_control_frame_t, ep));
    O(iseq_body, __builtin_offsetof(rb_iseq_t, body));
    O(body_iseq_size, __builtin_offsetof(struct rb_iseq_constant_body, iseq_size));
    O(body_iseq_encoded, __builtin_offsetof(struct rb_iseq_constant_body, iseq_encoded));
    O(body_pathobj, __builtin_offsetof(struct rb_iseq_constant_body, location.pathobj));
    O(body_label, __builtin_offsetof(struct rb_iseq_constant_body, location.label));
    O(body_first_lineno, __builtin_offsetof(struct rb_iseq_constant_body, location.first_lineno));
    O(body_insns_body, __builtin_offsetof(struct rb_iseq_constant_body, insns_info.body));
    O(body_insns_positions, __builtin_offsetof(struct rb_iseq_constant_body, insns_info.positions));
    O(body_insns_size, __builtin_offsetof(struct rb_iseq_constant_body, insns_info.size));
    O(body_succ_table, __builtin_offsetof(struct rb_iseq_constant_body, insns_info.succ_index_table));
    O(insn_entry_size, sizeof(struct iseq_insn_info_entry));
    O(insn_line_no, __builtin_offsetof(struct iseq_insn_info_entry, line_no));
    O(str_heap_len, __builtin_offsetof(struct RString, as.heap.len));
    O(str_heap_ptr, __builtin_offsetof(struct RString, as.heap.ptr));
    O(str_embed, __builtin_offsetof(struct RString, as.embed.ary));
    O(ary_embed, __builtin_offsetof(struct RArray, as.ary));
    O(ary_heap_len, __builtin_offsetof(struct RArray, as.heap.len));
    O(ary_heap_ptr, __builtin_offsetof(struct RArray, as.heap.ptr));
    printf("  /* flags: RSTRING_NOEMBED %#lx, embed len mask %#lx >> %d; RARRAY_EMBED_FLAG %#lx,"
           " embed len mask %#lx >> %d */\n",
           (unsigned long)RSTRING_NOEMBED, (unsigned long)RSTRING_EMBED_LEN_MASK,
           (int)RSTRING_EMBED_LEN_SHIFT, (unsigned long)RARRAY_EMBED_FLAG,
           (unsigned long)RARRAY_EMBED_LEN_MASK, (int)RARRAY_EMBED_LEN_SHIFT);
    printf("  /* frames: magic mask %#x, CFRAME %#x, FINISH %#x; T_STRING %#x T_ARRAY %#x"
           " T_IMEMO %#x imemo_iseq %d FL_USHIFT %d; VM_INSN_INFO_TABLE_IMPL %d */\n",
           VM_FRAME_MAGIC_MASK, VM_FRAME_FLAG_CFRAME, VM_FRAME_FLAG_FINISH, RUBY_T_STRING,
           RUBY_T_ARRAY, RUBY_T_IMEMO, imemo_iseq, RUBY_FL_USHIFT, VM_INSN_INFO_TABLE_IMPL);
    return 0;
}
