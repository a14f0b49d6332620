#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#endif
#if PY_VERSION_HEX >= 0x03090000
#include "internal/pycore_runtime.h"
#else
#include "internal/pycore_pystate.h"
#endif
#if PY_VERSION_HEX >= 0x03090000
#include "internal/pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030C0000
#include "internal/pycore_gil.h"
#endif
#if PY_VERSION_HEX < 0x030B0000
#include "frameobject.h"
#endif
#define O(name, expr) printf("  ." #name " = %zu,\n", (size_t)(expr))
int main(void)
{
    printf("/* %s */\n", PY_VERSION);
    printf("{ .major = %d, .minor = %d,\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
#if PY_VERSION_HEX < 0x030C0000
    O(rt_tstate_current, offsetof(_PyRuntimeState, gilstate.tstate_current));
    O(rt_autotss, offsetof(_PyRuntimeState, gilstate.autoTSSkey));
#else
    O(rt_autotss, offsetof(_PyRuntimeState, autoTSSkey));
#endif
    O(ts_interp, offsetof(PyThreadState, interp));
    O(ts_thread_id, offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX < 0x030B0000
    O(ts_frame, offsetof(PyThreadState, frame));
    O(fo_back, offsetof(PyFrameObject, f_back));
    O(fo_code, offsetof(PyFrameObject, f_code));
    O(fo_lasti, offsetof(PyFrameObject, f_lasti));
#elif PY_VERSION_HEX < 0x030D0000
    O(ts_cframe, offsetof(PyThreadState, cframe));
    O(cf_current_frame, offsetof(_PyCFrame, current_frame));
    O(if_code, offsetof(_PyInterpreterFrame, f_code));
    O(if_previous, offsetof(_PyInterpreterFrame, previous));
    O(if_instr, offsetof(_PyInterpreterFrame, prev_instr));
    O(if_owner, offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX < 0x030C0000
    O(if_is_entry, offsetof(_PyInterpreterFrame, is_entry));
#endif
#else
    O(ts_status, offsetof(PyThreadState, _status));
    O(ts_current_frame, offsetof(PyThreadState, current_frame));
    O(if_code, offsetof(_PyInterpreterFrame, f_executable));
    O(if_previous, offsetof(_PyInterpreterFrame, previous));
    O(if_instr, offsetof(_PyInterpreterFrame, instr_ptr));
    O(if_owner, offsetof(_PyInterpreterFrame, owner));
#endif
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
    O(is_ceval_gil, offsetof(PyInterpreterState, ceval.gil));
    O(gil_last_holder, offsetof(struct _gil_runtime_state, last_holder));
    O(gil_locked, offsetof(struct _gil_runtime_state, locked));
#endif
    O(co_filename, offsetof(PyCodeObject, co_filename));
    O(co_name, offsetof(PyCodeObject, co_name));
#if PY_VERSION_HEX >= 0x030B0000
    O(co_qualname, offsetof(PyCodeObject, co_qualname));
    O(co_code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
#endif
    O(co_firstlineno, offsetof(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030A0000
    O(co_linetable, offsetof(PyCodeObject, co_linetable));
#else
    O(co_linetable, offsetof(PyCodeObject, co_lnotab));
#endif
    O(code_size, sizeof(PyCodeObject));
    O(ascii_size, sizeof(PyASCIIObject));
    O(compact_size, sizeof(PyCompactUnicodeObject));
    O(bytes_data, offsetof(PyBytesObject, ob_sval));
    O(co_type_off, offsetof(PyObject, ob_type));
    printf("},\n");
    return 0;
}
