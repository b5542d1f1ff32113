# Declarations that make the connection protocol a C type when compiled; the .py beside
# this file is the code, and the pure-Python twin.
cimport cython

from koa.context cimport Context
from koa.response cimport Response
from koa.request cimport Request
from koa.application cimport respond
from koa.transports._sending cimport Deferred, Sender


cdef class _Queued:
    cdef public object request
    cdef public bint keep_alive
    cdef public bint version10
    cdef public bint is_head
    cdef public bint expect
    cdef public object body
    cdef public Py_ssize_t size
    cdef public bint done
    cdef public int error


cdef class Hub:
    cdef dict __dict__
    cdef public object app
    cdef public object options
    cdef public object loop
    cdef public object request_class
    cdef public object create_context
    cdef public object handle
    cdef public object scheme
    cdef public Py_ssize_t max_head
    cdef public Py_ssize_t max_headers
    cdef public object keep_alive_timeout
    cdef public object header_timeout
    cdef public object body_timeout
    cdef public object access_log
    cdef public set connections
    cdef public double now
    cdef public bint closing
    cdef public object interval
    cdef public object starting
    cdef public object startup_task
    cdef public object _timer
    cdef public object _empty
    cdef public Deferred deferred
    cdef public bint direct
    cdef public bint fast_new
    cdef public list spare_requests
    cdef public list spare_contexts
    cdef public Py_ssize_t requests_kept
    cdef public Py_ssize_t contexts_kept
    cdef public object context_class
    cdef public object response_class

    @cython.locals(request=Request, response=Response)
    cdef keep(self, Context ctx)  # (cdef: a cpdef method of a class with __dict__ looks itself up per call)


cdef class HttpToolsProtocol(Sender):
    cdef public Hub _hub
    cdef public object _request_class
    cdef public object _create_context
    cdef public object _handle
    cdef public object _app
    cdef public bint _direct
    cdef public object _scheme
    cdef public object _access_log
    cdef public Py_ssize_t _max_head
    cdef public Py_ssize_t _max_headers
    cdef public object _parser
    cdef public object _feed
    cdef public object _keep_alive_of
    cdef public object _method_of
    cdef public object socket
    cdef public object writable
    cdef public object _client
    cdef public object _task
    cdef public double _linger_until
    cdef public bint _reading_paused
    cdef public object _coro
    cdef public object _handover
    cdef public object _parked
    cdef public object _context
    cdef public bytes _url
    cdef public list _headers
    cdef public Py_ssize_t _head_size
    cdef public int _flags
    cdef public bytes _host
    cdef public bytes _good_host
    cdef public bytes _te
    cdef public bytes _expect
    cdef public int _error
    cdef public object _head_since
    cdef public bint _head_new
    cdef public Py_ssize_t _head_fed
    cdef public bint _chunk_check
    cdef public bint _chunked_open
    cdef public Py_ssize_t _chunk_extra
    cdef public Py_ssize_t _chunks
    cdef public Py_ssize_t _known
    cdef public Py_ssize_t _upgrade_body
    cdef public double _idle_since
    cdef public _Queued _into
    cdef public bint _into_nothing
    cdef public Request _request
    cdef public Context _finished
    cdef public bint _ready
    cdef public object _queue
    cdef public object _expect_continue
    cdef public object _body
    cdef public Py_ssize_t _body_size
    cdef public int _body_error
    cdef public object _body_waiter
    cdef public double _body_since
    cdef public double _started

    cpdef _finish(self)
    cpdef bint _server_closing(self)
    cpdef _release_finished(self)
    cpdef _run(self, coro)
    cpdef _begin(self)
    cpdef _settle(self, exc)

    @cython.locals(request=Request, hub=Hub, n=Py_ssize_t)
    cdef Request _new_request(self, method, url, headers, version)

    @cython.locals(hub=Hub, response=Response, ctx=Context, n=Py_ssize_t)
    cdef Context _new_context(self, Request request)


cdef dict _METHODS  # (typed: .get() without a bound method per request)
cdef str _method_name(bytes method)
cdef int _HOST, _HOST_TWICE, _TE, _EXPECT, _CONNECTION  # (C ints: the head's flags are tested in C)


cdef extern from *:
    """
    /* base.__new__(cls) in C: base's tp_new, without the method lookup and its argument handling */
    static PyObject *koa_alloc(PyObject *base, PyObject *cls) {
        PyObject *args, *obj;
        if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, (PyTypeObject *)base)) {
            PyErr_Format(PyExc_TypeError, "%R is not a subclass of %R", cls, base);
            return NULL;
        }
        args = PyTuple_New(0);
        if (args == NULL) return NULL;
        obj = ((PyTypeObject *)base)->tp_new((PyTypeObject *)cls, args, NULL);
        Py_DECREF(args);
        return obj;
    }
    """
    object _alloc "koa_alloc" (object base, object cls)


cdef extern from *:
    """
    /* Hub.keep(): nothing tells `o` from a new object of `base` once its fields are set again:
       no weak reference to it, no attribute in its own __dict__, no slot a subclass added */
    static int koa_reusable(PyObject *o, PyObject *base) {
        PyTypeObject *t = Py_TYPE(o);
        PyObject *dict;
        if (!PyType_Check(base) || t->tp_basicsize != ((PyTypeObject *)base)->tp_basicsize) return 0;
        if (t->tp_weaklistoffset > 0 && *(PyObject **)((char *)o + t->tp_weaklistoffset) != NULL) return 0;
        if (t->tp_dictoffset > 0) {
            dict = *(PyObject **)((char *)o + t->tp_dictoffset);
            if (dict != NULL && PyDict_GET_SIZE(dict) != 0) return 0;
        }
        return 1;
    }
    """
    bint _reusable "koa_reusable" (object obj, object base)
