# cython: language_level=3, boundscheck=False, wraparound=False
"""The onion, compiled: the twin of _compose_py.py (same names, same behaviour).

Two differences of layout, none of behaviour, both for speed (see issue 5):

* the request's shared state (stack, ctx, outer next) lives once per request, in the
  first layer's `next` (a `_Head`); every later `_Next` holds the head and an index;
* `_Next` answers calls through vectorcall (a function pointer in the object, switched
  on at import by `_enable_vectorcall`), so `await next()` skips the tp_call argument
  tuple and Cython's argument parsing. tp_call (`def __call__`) stays for the rest.
"""
cimport cython
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF

cdef extern from *:
    """
    /* Cython gives cdef classes no instance vectorcall: point the type at a field. */
    #if CYTHON_COMPILING_IN_LIMITED_API || !defined(Py_TPFLAGS_HAVE_VECTORCALL)
    typedef void *__pyx_koa_vectorcallfunc;
    static int __pyx_koa_enable_vectorcall(PyTypeObject *tp, Py_ssize_t offset) {
        (void)tp; (void)offset;
        return 0;  /* not available: tp_call serves every call */
    }
    #else
    typedef vectorcallfunc __pyx_koa_vectorcallfunc;
    static int __pyx_koa_enable_vectorcall(PyTypeObject *tp, Py_ssize_t offset) {
        /* after every C subclass is ready: seal the type first, so that no Python
           subclass can override __call__ and be bypassed by an inherited vectorcall */
        if (tp->tp_call == NULL) return 0;
        tp->tp_flags &= ~Py_TPFLAGS_BASETYPE;
        tp->tp_vectorcall_offset = offset;
        tp->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL;
        return 1;
    }
    #endif
    """
    ctypedef PyObject* (*__pyx_koa_vectorcallfunc)(object, PyObject**, size_t, PyObject*)
    int __pyx_koa_enable_vectorcall(PyTypeObject *tp, Py_ssize_t offset)
    Py_ssize_t PyVectorcall_NARGS(size_t nargsf)

cdef object _EXHAUSTED = iter(())  # an exhausted iterator stays exhausted: share one


cdef class _Done:
    """Awaitable that finishes at once: what `next()` gives past the innermost layer."""

    def __await__(self):
        return _EXHAUSTED

    def __iter__(self):
        return _EXHAUSTED


cdef _Done _DONE = _Done()  # typed: no module-dict lookup on the innermost `next()`
DONE = _DONE


@cython.freelist(256)  # perf: one _Next per layer per request; recycle them
cdef class _Next:
    cdef __pyx_koa_vectorcallfunc _vectorcall  # set on every instance (see _enable_vectorcall)
    cdef _Head _head  # None in the head itself
    cdef Py_ssize_t _index  # the layer this `next` runs; -1 once called

    def __call__(self):
        return _call_next(self)

    def __await__(self):
        awaitable = _call_next(self)
        try:
            return awaitable.__await__()
        except AttributeError:  # a converted generator middleware: delegate to it
            return _delegate(awaitable)

    def __iter__(self):
        # `yield from next` in old-style generator middleware
        awaitable = _call_next(self)
        try:
            return awaitable.__await__()
        except AttributeError:  # a converted generator middleware iterates itself
            return awaitable


@cython.final
cdef class _Head(_Next):
    """The first layer's `next`, and the state every later `_Next` of the request shares."""

    cdef tuple _stack
    cdef object _ctx
    cdef object _outer


cdef object _call_next(_Next self):
    cdef Py_ssize_t index = self._index
    if index < 0:
        raise RuntimeError("next() called multiple times")
    self._index = -1
    return _dispatch(self._head if self._head is not None else <_Head>self, index)


cdef inline object _dispatch(_Head head, Py_ssize_t index):
    cdef _Next nxt
    cdef tuple stack = head._stack
    if index == len(stack):
        return _DONE if head._outer is None else head._outer()
    nxt = _Next.__new__(_Next)
    nxt._vectorcall = <__pyx_koa_vectorcallfunc>_next_vectorcall
    nxt._head = head
    nxt._index = index + 1
    return stack[index](head._ctx, nxt)


cdef PyObject* _next_vectorcall(object self, PyObject** args, size_t nargsf, PyObject* kwnames) except NULL:
    # vectorcall entry of _Next: the same as tp_call (`def __call__`), without its arguments tuple
    if PyVectorcall_NARGS(nargsf) != 0 or (kwnames is not NULL and len(<object>kwnames) != 0):
        raise TypeError("next() takes no arguments")
    result = _call_next(<_Next>self)
    Py_INCREF(result)
    return <PyObject*>result


cdef int _enable_vectorcall(type cls, _Next probe):
    cdef Py_ssize_t offset = <char*>&probe._vectorcall - <char*><PyObject*>probe
    return __pyx_koa_enable_vectorcall(<PyTypeObject*>cls, offset)


# both types are ready here (and _Head, _Next's only subclass, with them)
VECTORCALL = bool(_enable_vectorcall(_Next, _Next.__new__(_Next)) & _enable_vectorcall(_Head, _Head.__new__(_Head)))


def _delegate(generator):
    # __await__ may not return the generator itself (CPython sees a coroutine there)
    return (yield from generator)


cdef class Dispatcher:
    """A composed stack: `await dispatcher(ctx)` or use it as middleware `(ctx, next)`."""

    cdef __pyx_koa_vectorcallfunc _vectorcall  # (see _enable_dispatcher_vectorcall)
    cdef readonly tuple middleware

    def __cinit__(self, *args, **kwargs):
        self._vectorcall = <__pyx_koa_vectorcallfunc>_dispatcher_vectorcall

    def __init__(self, middleware):
        self.middleware = tuple(middleware)

    def __call__(self, ctx, next=None):
        return self._run(ctx, next)

    cdef object _run(self, ctx, next):
        cdef _Head head
        cdef tuple stack = self.middleware
        if len(stack) == 0:
            return _DONE if next is None else next()
        head = _Head.__new__(_Head)
        head._vectorcall = <__pyx_koa_vectorcallfunc>_next_vectorcall
        head._index = 1
        head._stack = stack
        head._ctx = ctx
        head._outer = next
        return stack[0](ctx, head)


cdef PyObject* _dispatcher_vectorcall(object self, PyObject** args, size_t nargsf, PyObject* kwnames) except NULL:
    # perf: vectorcall entry of Dispatcher, for `app(ctx)` and `(ctx, next)` called positionally;
    # any other call goes through tp_call (`def __call__`), its argument parsing and its errors
    cdef Py_ssize_t n = PyVectorcall_NARGS(nargsf)
    if (kwnames is NULL or len(<object>kwnames) == 0) and (n == 1 or n == 2):
        result = (<Dispatcher>self)._run(<object>args[0], <object>args[1] if n == 2 else None)
    else:
        positional = tuple([<object>args[i] for i in range(n)])
        keywords = {}
        if kwnames is not NULL:
            for i, name in enumerate(<tuple>kwnames):
                keywords[name] = <object>args[n + i]
        result = Dispatcher.__call__(self, *positional, **keywords)
    Py_INCREF(result)
    return <PyObject*>result


cdef int _enable_dispatcher_vectorcall(Dispatcher probe):
    cdef Py_ssize_t offset = <char*>&probe._vectorcall - <char*><PyObject*>probe
    return __pyx_koa_enable_vectorcall(<PyTypeObject*>Dispatcher, offset)


# sealed like _Next: no Python subclass could override __call__ past the vectorcall
VECTORCALL = VECTORCALL and bool(_enable_dispatcher_vectorcall(Dispatcher(())))
