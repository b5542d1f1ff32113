# Declarations that make Request a C type when compiled; request.py is the code and the pure twin.
cimport cython


cdef class Request:
    cdef dict __dict__
    cdef object __weakref__
    cdef public object app
    cdef public object ctx
    cdef public object response
    cdef public object channel
    cdef public object method
    cdef public object original_url
    cdef public object http_version
    cdef public object scheme
    cdef public object client
    cdef public object _url
    cdef public object _raw_headers
    cdef public object _headers
    cdef public object _path
    cdef public object _querystring
    cdef public object _query
    cdef public object _query_for
    cdef public object _ip
    cdef public object _body
    cdef public object body
    cdef public object raw_body
    cdef public object files

    @cython.locals(url=str)
    cdef str _split(self)  # (cdef: a cpdef method on a class with __dict__ looks itself up per call)

    cdef _init(self, method, url, raw_headers, channel, http_version, scheme, client)
