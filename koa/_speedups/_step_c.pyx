# cython: language_level=3
"""Starting and stepping a request's coroutine inside its contextvars context: the twin of _step_py.py.

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


cdef extern from *:
    """
    /* An awaitable as something PyIter_Send steps: itself when it can be sent into (a
       coroutine), else what its __await__ gives; a TypeError, as `await` raises, otherwise. */
    static PyObject *koa_step_awaitable(PyObject *awaitable) {
        PyAsyncMethods *am = Py_TYPE(awaitable)->tp_as_async;
        PyObject *it;
        if (am != NULL && am->am_send != NULL) return awaitable;
        if (am == NULL || am->am_await == NULL) {
            PyErr_Format(PyExc_TypeError, "object %.100s can't be used in 'await' expression",
                         Py_TYPE(awaitable)->tp_name);
            Py_DECREF(awaitable);
            return NULL;
        }
        it = am->am_await(awaitable);
        Py_DECREF(awaitable);
        return it;
    }

    /* fn(ctx) called inside `context`, after setting `var` to ctx there (the token is not kept) */
    static PyObject *koa_step_start(PyObject *context, PyObject *var, PyObject *ctx, PyObject *fn) {
        PyObject *token, *coro = NULL;
        if (PyContext_Enter(context) < 0) return NULL;
        token = PyContextVar_Set(var, ctx);
        if (token != NULL) {
            Py_DECREF(token);
            coro = PyObject_CallOneArg(fn, ctx);
        }
        if (PyContext_Exit(context) < 0) {
            Py_XDECREF(coro);
            return NULL;
        }
        return coro == NULL ? NULL : koa_step_awaitable(coro);
    }
    """
    object koa_step_start(object context, object var, object ctx, object fn)


def start(context, var, ctx, fn):
    """In `context`: set the ContextVar `var` to `ctx`, then call `fn(ctx)`; the awaitable it
    returned, as something send() steps (its __await__ iterator, when it is not a coroutine)."""
    return koa_step_start(context, var, ctx, fn)


def send(context, coro):
    """Send None into `coro` inside `context`: (True, what it returned) or (False, what it yielded)."""
    return koa_step_send(context, coro)
