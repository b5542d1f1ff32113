# Declarations for the compiled build of _http11.py (the .py is the code and the pure twin).
cimport cython

from koa.response cimport Response


cdef dict _heads
cdef list _last_key
cdef bytes _last_head


@cython.locals(headers=dict, last=list, i=Py_ssize_t)
cpdef head(Response response, extra)

@cython.locals(headers=dict)
cpdef _build(Response response, extra)
