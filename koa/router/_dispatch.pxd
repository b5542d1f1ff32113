# Declarations for the compiled build of _dispatch.py (the .py is the code and the pure twin).
cimport cython

from koa.context cimport Context
from koa.request cimport Request


cdef class Endpoint:
    cdef public object handler
    cdef public object path
    cdef public object name
    cdef public object route
    cdef public object rank


cdef class Routes:
    cdef public object router
    cdef public dict trees
    cdef public object host

    @cython.locals(request=Request, endpoint=Endpoint, trees=dict, found=tuple)
    cdef _dispatch(self, Context ctx, next)
