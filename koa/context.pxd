# Declarations that make Context a C type when compiled; context.py is the code and the pure twin.
cimport cython

from koa.request cimport Request
from koa.response cimport Response

cdef class Context:
    cdef dict __dict__
    cdef object __weakref__
    cdef public object app
    cdef public Request request
    cdef public Response response
    cdef public object respond
    cdef public object params
    cdef public object route_path
    cdef public object route_name
    cdef public object router
    cdef public object _state
    cdef public object _cookies

    cdef _init(self, app, Request request, Response response)


@cython.locals(request=Request, response=Response, held_ctx=Py_ssize_t, held_request=Py_ssize_t,
               held_response=Py_ssize_t)
cdef object _unlink(Context ctx, bint probe)


cdef extern from "Python.h":
    # release()'s reference counts, read in C (the pure twin uses sys.getrefcount)
    Py_ssize_t getrefcount "Py_REFCNT" (object)
