/* interp_python_versions.h: where CPython keeps what libretain reads, per
 * version (x86-64 / aarch64 LP64 builds, default configuration: no
 * free-threading, no Py_DEBUG/Py_TRACE_REFS).
 *
 * Every number here is an offsetof() or sizeof() printed by
 * tools/python-offsets.c compiled against that version's own headers
 * (Include/internal/pycore_runtime.h, pycore_frame.h, cpython/pystate.h,
 * cpython/code.h, with Py_BUILD_CORE): pyenv's 3.8.18, 3.9.18, 3.10.13,
 * 3.11.7, 3.12.1, 3.13.0 and Debian 12's 3.11.2 (identical to 3.11.7).
 * Patch releases of one minor version keep these layouts. */
#ifndef RETAIN_INTERP_PYTHON_VERSIONS_H
#define RETAIN_INTERP_PYTHON_VERSIONS_H

#include <stdint.h>

enum py_frames {
    PY_FRAME_OBJECTS,           /* 3.8-3.10: tstate->frame, PyFrameObject chain, f_lasti */
    PY_FRAME_CFRAME,            /* 3.11-3.12: tstate->cframe->current_frame, _PyInterpreterFrame */
    PY_FRAME_TSTATE             /* 3.13: tstate->current_frame */
};

enum py_gil_check {
    PY_GIL_RUNTIME_CURRENT,     /* 3.8-3.11: _PyRuntime.gilstate.tstate_current == tstate */
    PY_GIL_STRUCT,              /* 3.12: tstate->interp->ceval.gil: locked and last_holder == tstate */
    PY_GIL_STATUS_BIT           /* 3.13: tstate->_status.holds_gil */
};

enum py_entry {
    PY_ENTRY_EVERY,             /* 3.8-3.10: one _PyEval_EvalFrameDefault per Python frame */
    PY_ENTRY_FLAG,              /* 3.11: frame->is_entry marks the first frame of a C call */
    PY_ENTRY_CSTACK             /* 3.12+: a frame owned by the C stack (owner 3) separates calls */
};

enum py_lines {
    PY_LINES_LNOTAB,            /* 3.8-3.9: co_lnotab, byte offsets */
    PY_LINES_310,               /* 3.10: co_linetable, (start delta, line delta) pairs */
    PY_LINES_LOCATIONS          /* 3.11+: co_linetable, PEP 657 location entries */
};

struct py_layout {
    int major, minor;
    enum py_frames frames;
    enum py_gil_check gil;
    enum py_entry entry;
    enum py_lines lines;
    int lasti_unit;             /* bytes per f_lasti step (PY_FRAME_OBJECTS) */
    /* _PyRuntimeState */
    int rt_tstate_current;      /* PY_GIL_RUNTIME_CURRENT */
    int rt_autotss;             /* Py_tss_t {int _is_initialized; pthread_key_t _key;} */
    /* PyThreadState */
    int ts_interp, ts_thread_id, ts_frame;     /* ts_frame: frame, cframe or current_frame */
    int ts_status;              /* PY_GIL_STATUS_BIT: the _status bit-field word */
    int ts_datastack_chunk, ts_datastack_top;  /* 3.11+: where the frames live */
    int ts_status_holds_gil_bit;
    int cf_current_frame;       /* _PyCFrame.current_frame (PY_FRAME_CFRAME) */
    /* PyInterpreterState.ceval.gil and struct _gil_runtime_state (PY_GIL_STRUCT) */
    int is_ceval_gil, gil_last_holder, gil_locked;
    /* frame: PyFrameObject (f_back, f_code, f_lasti) or _PyInterpreterFrame
     * (previous, f_code/f_executable, prev_instr/instr_ptr, owner, is_entry) */
    int fr_back, fr_code, fr_instr, fr_owner, fr_is_entry;
    /* PyCodeObject */
    int co_type, co_filename, co_name, co_qualname, co_firstlineno, co_linetable, co_code_adaptive;
    /* PyASCIIObject / PyCompactUnicodeObject sizes, PyBytesObject.ob_sval */
    int ascii_size, compact_size, bytes_data;
    /* PyDictKeysObject: 3.8-3.10 {refcnt, dk_size, dk_lookup, usable, nentries};
     * 3.11+ {refcnt, u8 log2_size, u8 log2_index_bytes, u8 kind, u32 version,
     * usable, nentries} */
    int dk_log2;                /* 1: 3.11+ header */
};

#define PY_NONE (-1)

static const struct py_layout py_layouts[] = {
    { .major = 3, .minor = 8, .frames = PY_FRAME_OBJECTS, .gil = PY_GIL_RUNTIME_CURRENT,
      .entry = PY_ENTRY_EVERY, .lines = PY_LINES_LNOTAB, .lasti_unit = 1,
      .rt_tstate_current = 1368, .rt_autotss = 1392,
      .ts_interp = 16, .ts_thread_id = 176, .ts_frame = 24, .ts_status = PY_NONE, .ts_datastack_chunk = PY_NONE, .ts_datastack_top = PY_NONE,
      .cf_current_frame = PY_NONE, .is_ceval_gil = PY_NONE,
      .fr_back = 24, .fr_code = 32, .fr_instr = 104, .fr_owner = PY_NONE, .fr_is_entry = PY_NONE,
      .co_type = 8, .co_filename = 104, .co_name = 112, .co_qualname = PY_NONE,
      .co_firstlineno = 40, .co_linetable = 120, .co_code_adaptive = PY_NONE,
      .ascii_size = 48, .compact_size = 72, .bytes_data = 32, .dk_log2 = 0 },
    { .major = 3, .minor = 9, .frames = PY_FRAME_OBJECTS, .gil = PY_GIL_RUNTIME_CURRENT,
      .entry = PY_ENTRY_EVERY, .lines = PY_LINES_LNOTAB, .lasti_unit = 1,
      .rt_tstate_current = 568, .rt_autotss = 584,
      .ts_interp = 16, .ts_thread_id = 176, .ts_frame = 24, .ts_status = PY_NONE, .ts_datastack_chunk = PY_NONE, .ts_datastack_top = PY_NONE,
      .cf_current_frame = PY_NONE, .is_ceval_gil = PY_NONE,
      .fr_back = 24, .fr_code = 32, .fr_instr = 104, .fr_owner = PY_NONE, .fr_is_entry = PY_NONE,
      .co_type = 8, .co_filename = 104, .co_name = 112, .co_qualname = PY_NONE,
      .co_firstlineno = 40, .co_linetable = 120, .co_code_adaptive = PY_NONE,
      .ascii_size = 48, .compact_size = 72, .bytes_data = 32, .dk_log2 = 0 },
    { .major = 3, .minor = 10, .frames = PY_FRAME_OBJECTS, .gil = PY_GIL_RUNTIME_CURRENT,
      .entry = PY_ENTRY_EVERY, .lines = PY_LINES_310, .lasti_unit = 2,
      .rt_tstate_current = 568, .rt_autotss = 584,
      .ts_interp = 16, .ts_thread_id = 176, .ts_frame = 24, .ts_status = PY_NONE, .ts_datastack_chunk = PY_NONE, .ts_datastack_top = PY_NONE,
      .cf_current_frame = PY_NONE, .is_ceval_gil = PY_NONE,
      .fr_back = 24, .fr_code = 32, .fr_instr = 96, .fr_owner = PY_NONE, .fr_is_entry = PY_NONE,
      .co_type = 8, .co_filename = 104, .co_name = 112, .co_qualname = PY_NONE,
      .co_firstlineno = 40, .co_linetable = 120, .co_code_adaptive = PY_NONE,
      .ascii_size = 48, .compact_size = 72, .bytes_data = 32, .dk_log2 = 0 },
    { .major = 3, .minor = 11, .frames = PY_FRAME_CFRAME, .gil = PY_GIL_RUNTIME_CURRENT,
      .entry = PY_ENTRY_FLAG, .lines = PY_LINES_LOCATIONS, .lasti_unit = 2,
      .rt_tstate_current = 576, .rt_autotss = 592,
      .ts_interp = 16, .ts_thread_id = 152, .ts_frame = 56, .ts_status = PY_NONE,
      .ts_datastack_chunk = 296, .ts_datastack_top = 304, .cf_current_frame = 8, .is_ceval_gil = PY_NONE,
      .fr_back = 48, .fr_code = 32, .fr_instr = 56, .fr_owner = 69, .fr_is_entry = 68,
      .co_type = 8, .co_filename = 112, .co_name = 120, .co_qualname = 128,
      .co_firstlineno = 72, .co_linetable = 136, .co_code_adaptive = 184,
      .ascii_size = 48, .compact_size = 72, .bytes_data = 32, .dk_log2 = 1 },
    { .major = 3, .minor = 12, .frames = PY_FRAME_CFRAME, .gil = PY_GIL_STRUCT,
      .entry = PY_ENTRY_CSTACK, .lines = PY_LINES_LOCATIONS, .lasti_unit = 2,
      .rt_tstate_current = PY_NONE, .rt_autotss = 1544,
      .ts_interp = 16, .ts_thread_id = 136, .ts_frame = 56, .ts_status = PY_NONE,
      .ts_datastack_chunk = 232, .ts_datastack_top = 240, .cf_current_frame = 0, .is_ceval_gil = 384, .gil_last_holder = 8, .gil_locked = 16,
      .fr_back = 8, .fr_code = 0, .fr_instr = 56, .fr_owner = 70, .fr_is_entry = PY_NONE,
      .co_type = 8, .co_filename = 112, .co_name = 120, .co_qualname = 128,
      .co_firstlineno = 68, .co_linetable = 136, .co_code_adaptive = 192,
      .ascii_size = 40, .compact_size = 56, .bytes_data = 32, .dk_log2 = 1 },
    { .major = 3, .minor = 13, .frames = PY_FRAME_TSTATE, .gil = PY_GIL_STATUS_BIT,
      .entry = PY_ENTRY_CSTACK, .lines = PY_LINES_LOCATIONS, .lasti_unit = 2,
      .rt_tstate_current = PY_NONE, .rt_autotss = 2160,
      .ts_interp = 16, .ts_thread_id = 152, .ts_frame = 72, .ts_status = 32,
      .ts_status_holds_gil_bit = 5, .ts_datastack_chunk = 232, .ts_datastack_top = 240, .cf_current_frame = PY_NONE, .is_ceval_gil = PY_NONE,
      .fr_back = 8, .fr_code = 0, .fr_instr = 56, .fr_owner = 70, .fr_is_entry = PY_NONE,
      .co_type = 8, .co_filename = 112, .co_name = 120, .co_qualname = 128,
      .co_firstlineno = 68, .co_linetable = 136, .co_code_adaptive = 200,
      .ascii_size = 40, .compact_size = 56, .bytes_data = 32, .dk_log2 = 1 },
};

#define PY_FRAME_OWNED_BY_CSTACK 3
#define PY_STACK_CHUNK_DATA 24      /* offsetof(_PyStackChunk, data), 3.11-3.13 */

#endif
