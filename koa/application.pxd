# Declarations for the compiled build of application.py (the .py is the code and the pure twin).
cimport cython

from koa.context cimport Context
from koa.response cimport Response, length_entry


@cython.locals(response=Response, headers=dict, text=str)
cpdef respond(Context ctx)
