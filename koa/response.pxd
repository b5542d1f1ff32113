# Declarations that make Response a C type when compiled; response.py is the code and the pure twin.
cimport cython


cdef class Response:
    cdef dict __dict__
    cdef object __weakref__
    cdef public object app
    cdef public object ctx
    cdef public object request
    cdef public object _status
    cdef public bint _explicit_status
    cdef public object _message
    cdef public object _body
    cdef public object _kind
    cdef public bint _explicit_null_body
    cdef public dict _headers
    cdef public bint _framing
    cdef public bint header_sent

    @cython.locals(first=Py_UCS4, markup=bint, length=Py_ssize_t)
    cdef _set_text(self, dict headers, bint set_type, str text)
    cdef _set_json(self, dict headers, bint set_type)
    cdef _init(self)


cdef list _LENGTH_ENTRIES
cdef Py_ssize_t _CACHED_LENGTHS
cpdef tuple length_entry(Py_ssize_t n)
