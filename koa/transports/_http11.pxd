# Declarations for the compiled build of _http11.py (the .py is the code and the pure twin).
cimport cython

from koa.response cimport Response


@cython.locals(headers=dict)
cpdef head_lines(Response response)

@cython.locals(headers=dict)
cpdef _build_lines(Response response)
