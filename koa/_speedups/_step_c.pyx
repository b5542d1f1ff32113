# cython: language_level=3
"""Stepping a request's coroutine inside its contextvars context: the twin of _step_py.py.

PyIter_Send reports a return without raising StopIteration, and PyContext_Enter/Exit
switch the context without a bound `coro.send` method or a `context.run()` call.
"""

cdef extern from *:
    """
    /* (done, value) as a new tuple, or NULL with the coroutine's exception set */
    static PyObject *koa_step_send(PyObject *context, PyObject *coro) {
        PyObject *result = NULL;
        PySendResult status;
        if (PyContext_Enter(context) < 0) return NULL;
        status = PyIter_Send(coro, Py_None, &result);
        if (PyContext_Exit(context) < 0) {
            Py_XDECREF(result);
            return NULL;
        }
        if (status == PYGEN_ERROR) return NULL;
        PyObject *pair = PyTuple_Pack(2, status == PYGEN_RETURN ? Py_True : Py_False, result);
        Py_DECREF(result);
        return pair;
    }
    """
    object koa_step_send(object context, object coro)


def send(context, coro):
    """Send None into `coro` inside `context`: (True, what it returned) or (False, what it yielded)."""
    return koa_step_send(context, coro)
