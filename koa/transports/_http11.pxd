# Declarations for the compiled build of _http11.py (the .py is the code and the pure twin).
cimport cython

from koa.response cimport Response


@cython.locals(headers=dict)
cpdef head(Response response, extra)

@cython.locals(headers=dict)
cpdef _build(Response response, extra)
