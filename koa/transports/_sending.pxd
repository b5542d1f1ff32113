# Declarations that make Sender (and the HttpToolsProtocol built on it) a C type when
# compiled; the .py beside this file is the code, and the pure-Python twin.
cimport cython

from koa.context cimport Context
from koa.transports cimport _http11
from koa.response cimport Response, length_entry


cdef class Deferred


cdef class Sender:
    cdef dict __dict__
    cdef object __weakref__
    # the protocol's state that sending reads and writes (assigned in HttpToolsProtocol.__init__)
    cdef public object _transport
    cdef public object _loop
    cdef public Context _ctx
    cdef public bint _keep_alive
    cdef public bint _version10
    cdef public bint _is_head
    cdef public bint _must_close
    cdef public bint _body_done
    cdef public bint _closed
    cdef public bint _write_paused
    cdef public object _drain_waiter
    # Sender's own
    cdef public bint _sending
    cdef public bint _chunked_out
    cdef public object _out_left
    cdef public bint _silent_out
    cdef public object _out
    cdef public bint _out_queued
    cdef public Deferred _deferred

    cdef _defer(self, bytes data)
    cdef _flush_out(self)

    cpdef _finish(self)
    cpdef bint _server_closing(self)

    @cython.locals(headers=dict)
    cpdef _head(self, Response response, bint streaming)

    @cython.locals(ctx=Context, response=Response)
    cpdef _respond(self, payload)


cdef class Deferred:
    cdef public object loop
    cdef public list conns
    cdef public bint scheduled

    cpdef add(self, Sender conn)

    @cython.locals(conn=Sender)
    cpdef flush(self)
