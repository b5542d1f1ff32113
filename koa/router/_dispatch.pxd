# Declarations for the compiled build of _dispatch.py (the .py is the code and the pure twin).
from koa.context cimport Context


cdef class Routes:
    cdef public object router
