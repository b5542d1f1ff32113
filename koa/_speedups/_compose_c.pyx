# cython: language_level=3, boundscheck=False, wraparound=False
"""The onion, compiled: the twin of _compose_py.py (same names, same behaviour)."""
cimport cython

cdef object _EXHAUSTED = iter(())  # an exhausted iterator stays exhausted: share one


cdef class _Done:
    """Awaitable that finishes at once: what `next()` gives past the innermost layer."""

    def __await__(self):
        return _EXHAUSTED

    def __iter__(self):
        return _EXHAUSTED


DONE = _Done()


@cython.freelist(256)  # perf: one _Next per layer per request; recycle them
cdef class _Next:
    cdef tuple _stack
    cdef Py_ssize_t _index
    cdef object _ctx
    cdef object _outer
    cdef bint _called

    def __call__(self):
        if self._called:
            raise RuntimeError("next() called multiple times")
        self._called = True
        return _dispatch(self._stack, self._index, self._ctx, self._outer)

    def __await__(self):
        awaitable = self.__call__()
        try:
            return awaitable.__await__()
        except AttributeError:  # a converted generator middleware: delegate to it
            return _delegate(awaitable)

    def __iter__(self):
        # `yield from next` in old-style generator middleware
        awaitable = self.__call__()
        try:
            return awaitable.__await__()
        except AttributeError:  # a converted generator middleware iterates itself
            return awaitable


def _delegate(generator):
    # __await__ may not return the generator itself (CPython sees a coroutine there)
    return (yield from generator)


cdef inline object _dispatch(tuple stack, Py_ssize_t index, object ctx, object outer):
    cdef _Next nxt
    if index == len(stack):
        return DONE if outer is None else outer()
    nxt = _Next.__new__(_Next)
    nxt._stack = stack
    nxt._index = index + 1
    nxt._ctx = ctx
    nxt._outer = outer
    return stack[index](ctx, nxt)


cdef class Dispatcher:
    """A composed stack: `await dispatcher(ctx)` or use it as middleware `(ctx, next)`."""

    cdef readonly tuple middleware

    def __init__(self, middleware):
        self.middleware = tuple(middleware)

    def __call__(self, ctx, next=None):
        return _dispatch(self.middleware, 0, ctx, next)
