# cython: language_level=3, boundscheck=False, wraparound=False
"""The route matcher, compiled: the twin of _tree_py.py (same algorithm, typed nodes).

See _tree_py.py for the design; this file only adds C types. Registration reuses the
pure twin's rules (it raises the same ValueErrors), the walk is the same loop.
"""
cimport cython
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.string cimport memcmp


cdef extern from "Python.h":
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    int PyUnicode_1BYTE_KIND
    char* PyBytes_AS_STRING(object)

import re
from urllib.parse import unquote

cdef object _Pattern = re.Pattern


cpdef str decode(str text):
    """decodeURIComponent that gives up quietly: invalid UTF-8 leaves `text` as it is."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


cdef enum:
    _MAX_SEGMENTS = 64  # longer paths take the list walk
    _LINEAR_MAX = 48  # nodes with more static children use their dict

cdef enum:
    _REGEX = 0
    _PARAM = 1
    _CATCH_ALL = 2


@cython.final
cdef class _Dyn:
    cdef int kind
    cdef object regex  # re.Pattern or None
    cdef Py_ssize_t groups
    cdef _Node child


@cython.final
cdef class _Node:
    cdef dict static
    cdef dict regexes
    cdef _Node param
    cdef _Node catch_all
    cdef tuple dynamic  # of _Dyn, in the order they are tried
    cdef _Node only
    cdef tuple leaf  # (payload, names) or None
    cdef tuple slash
    # perf: the static children again, as byte strings compared in place against the
    # request path (no substring, no hashing); -1 when the dict must be used instead
    cdef Py_ssize_t nkeys
    cdef char** kptr
    cdef Py_ssize_t* klen
    cdef list kobjs
    cdef list kchildren

    def __cinit__(self):
        self.static = {}
        self.regexes = {}
        self.dynamic = ()
        self.nkeys = 0
        self.kptr = NULL
        self.klen = NULL

    def __dealloc__(self):
        PyMem_Free(self.kptr)
        PyMem_Free(self.klen)

    cdef void index_static(self) except *:
        cdef Py_ssize_t j = 0
        PyMem_Free(self.kptr)
        PyMem_Free(self.klen)
        self.kptr = NULL
        self.klen = NULL
        self.kobjs = []
        self.kchildren = []
        self.nkeys = -1
        if len(self.static) > _LINEAR_MAX:
            return
        for key, child in self.static.items():
            try:
                self.kobjs.append((<str>key).encode("latin-1"))
            except UnicodeEncodeError:
                return  # a key outside Latin-1: the dict handles this node
            self.kchildren.append(child)
        n = len(self.kobjs)
        self.kptr = <char**>PyMem_Malloc(max(n, 1) * sizeof(char*))
        self.klen = <Py_ssize_t*>PyMem_Malloc(max(n, 1) * sizeof(Py_ssize_t))
        if self.kptr is NULL or self.klen is NULL:
            raise MemoryError()
        for j in range(n):
            self.kptr[j] = PyBytes_AS_STRING(self.kobjs[j])
            self.klen[j] = len(self.kobjs[j])
        self.nkeys = n

    cdef void reorder(self):
        cdef list entries = []
        cdef _Dyn d
        for source in sorted(self.regexes):
            regex, child = self.regexes[source]
            d = _Dyn.__new__(_Dyn)
            d.kind = _REGEX
            d.regex = regex
            d.groups = regex.groups
            d.child = child
            entries.append(d)
        if self.param is not None:
            d = _Dyn.__new__(_Dyn)
            d.kind = _PARAM
            d.child = self.param
            entries.append(d)
        if self.catch_all is not None:
            d = _Dyn.__new__(_Dyn)
            d.kind = _CATCH_ALL
            d.child = self.catch_all
            entries.append(d)
        self.dynamic = tuple(entries)
        self.only = self.param if len(entries) == 1 and self.param is not None else None


cdef inline dict _params(tuple names, list values):
    cdef Py_ssize_t count = len(names)
    if count == 1:
        return {names[0]: values[0]}
    if count == 2:
        return {names[0]: values[0], names[1]: values[1]}
    if count == 3:
        return {names[0]: values[0], names[1]: values[1], names[2]: values[2]}
    return dict(zip(names, values))


@cython.final
cdef class _Choice:
    cdef _Node node
    cdef Py_ssize_t index
    cdef Py_ssize_t kept
    cdef Py_ssize_t attempt


cdef class Tree:
    """Maps paths to payloads: add(segments, names, payload), match(path)."""

    cdef readonly bint sensitive
    cdef _Node _root
    cdef dict _static

    def __init__(self, sensitive=False):
        self.sensitive = bool(sensitive)
        self._root = _Node()
        self._static = {}

    def __class_getitem__(cls, item):
        return cls  # `Tree[Endpoint]` in annotations, as the generic pure twin allows

    @cython.wraparound(True)
    def add(self, segments, names, payload):
        """Register `payload` (not None) at the paths that `segments` describe."""
        cdef _Node node = self._root
        cdef _Node child
        cdef bint slash = len(segments) > 0 and isinstance(segments[-1], str) and segments[-1] == ""
        cdef Py_ssize_t last = len(segments) - 1
        walk = list(segments[:-1]) if slash else list(segments)
        for index, segment in enumerate(walk):
            if isinstance(segment, str):
                key = decode(segment)
                if not self.sensitive:
                    key = key.lower()
                child = node.static.get(key)
                if child is None:
                    child = _Node()
                    node.static[key] = child
                    node.index_static()
            elif segment is None:
                child = node.param
                if child is None:
                    child = node.param = _Node()
                    node.reorder()
            elif isinstance(segment, _Pattern):
                entry = node.regexes.get(segment.pattern)
                if entry is None:
                    entry = node.regexes[segment.pattern] = (segment, _Node())
                    node.reorder()
                child = entry[1]
            else:
                if index != last:
                    raise ValueError("a catch-all must be the last segment")
                child = node.catch_all
                if child is None:
                    child = node.catch_all = _Node()
                    node.reorder()
            node = child
        if (node.slash if slash else node.leaf) is not None:
            raise ValueError("another route is already registered for the same paths")
        if slash:
            node.slash = (payload, tuple(names))
        else:
            node.leaf = (payload, tuple(names))
        static = [segment for segment in segments if isinstance(segment, str)]
        if len(static) == len(segments):
            path = "/" + "/".join(static)
            self._static[path if self.sensitive else path.lower()] = payload

    def match(self, str path):
        """The payload for `path` (raw, percent-encoded) and its decoded parameters, or None."""
        cdef PyObject* hit = PyDict_GetItem(self._static, path)
        if hit is not NULL:
            return <object>hit, {}
        cdef Py_ssize_t n = len(path)
        if n == 0 or path[0] != "/":
            return None  # not an absolute path ("*", "" ...)
        # perf: segments are located by the offsets of their slashes, and a substring is
        # made only for the segments the walk looks at; a path with escapes (or a very
        # long one) is split into a list of decoded segments instead, as the pure twin does
        cdef Py_ssize_t slashes[_MAX_SEGMENTS]
        cdef Py_ssize_t m = 0
        cdef Py_ssize_t i = 0
        cdef Py_UCS4 c
        cdef list segs = None
        for c in path:  # perf: Cython walks the string's buffer directly
            if c == 47:  # "/"
                if m == _MAX_SEGMENTS:
                    segs = path.split("/")
                    break
                slashes[m] = i
                m += 1
            elif c == 37:  # "%"
                segs = path.split("/")
                break
            i += 1
        if segs is not None:
            if "%" in path:
                segs = [decode(s) for s in segs]
            return self._walk(path, segs, NULL, 0)
        return self._walk(path, None, slashes, m)

    cdef object _walk(self, str path, list segs, Py_ssize_t* slashes, Py_ssize_t m):
        cdef Py_ssize_t n = len(path)
        cdef Py_ssize_t count = PyList_GET_SIZE(segs) if segs is not None else m + 1
        cdef bint slash = count > 1 and _seg_len(path, segs, slashes, m, count - 1) == 0
        if slash:
            count -= 1  # the trailing "" picks node.slash rather than node.leaf
        cdef bint fold = not self.sensitive
        cdef _Node node = self._root
        cdef _Node child
        cdef Py_ssize_t index = 1
        cdef Py_ssize_t attempt
        cdef Py_ssize_t ndyn
        cdef list values = []
        cdef list pending = None
        cdef _Choice choice
        cdef _Dyn dyn
        cdef str segment
        cdef dict static
        cdef tuple leaf
        cdef tuple dynamic
        cdef PyObject* hit
        cdef bint found_child
        # bytewise: compare static segments in place (a one-byte-per-char path, and in a
        # case-insensitive tree only when it is all ASCII, where folding is simple)
        cdef bint bytewise = segs is None and PyUnicode_KIND(path) == PyUnicode_1BYTE_KIND
        cdef const unsigned char* data = NULL
        if bytewise:
            data = <const unsigned char*>PyUnicode_DATA(path)
            if fold and not path.isascii():
                bytewise = False
        while True:
            if index < count:
                static = node.static
                if static:
                    hit = NULL
                    if bytewise and node.nkeys >= 0:
                        hit = _find_static(node, data, slashes[index - 1] + 1,
                                           slashes[index] if index < m else n, fold)
                    else:
                        segment = _seg(path, segs, slashes, m, index)
                        hit = PyDict_GetItem(static, segment)
                        if hit is NULL and fold and _has_upper(segment):
                            hit = PyDict_GetItem(static, segment.lower())
                    if hit is not NULL:
                        if node.dynamic:
                            if pending is None:
                                pending = []
                            pending.append(_make_choice(node, index, len(values), 0))
                        node = <_Node>hit
                        index += 1
                        continue
                child = node.only
                if child is None:
                    attempt = 0
                elif _seg_len(path, segs, slashes, m, index):  # the usual lone parameter
                    segment = _seg(path, segs, slashes, m, index)
                    values.append(segment)
                    node = child
                    index += 1
                    continue
                else:
                    attempt = 1
            else:
                leaf = node.slash if slash else node.leaf
                if leaf is not None:
                    return leaf[0], (_params(<tuple>leaf[1], values) if values else {})
                attempt = len(node.dynamic)  # nothing left to consume: dead end
            # the dynamic children of `node` for segment `index`, from `attempt` on;
            # on a dead end, resume at the latest choice point
            while True:
                dynamic = node.dynamic
                ndyn = len(dynamic)
                found_child = False
                while attempt < ndyn:
                    dyn = <_Dyn>dynamic[attempt]
                    attempt += 1
                    segment = _seg(path, segs, slashes, m, index)
                    if dyn.kind == _PARAM:
                        if not len(segment):
                            continue
                        if attempt < ndyn:
                            if pending is None:
                                pending = []
                            pending.append(_make_choice(node, index, len(values), attempt))
                        values.append(segment)
                    elif dyn.kind == _REGEX:
                        found = dyn.regex.fullmatch(segment)
                        if found is None:
                            continue
                        if attempt < ndyn:
                            if pending is None:
                                pending = []
                            pending.append(_make_choice(node, index, len(values), attempt))
                        if dyn.groups:
                            values.extend(found.groups())
                        else:
                            values.append(segment)
                    else:
                        # the rest of the path, the trailing "/" included
                        if segs is not None:
                            rest = "/".join(segs[index:])
                        else:
                            rest = path[slashes[index - 1] + 1:]
                        if not rest:
                            continue
                        leaf = dyn.child.leaf
                        values.append(rest)
                        return leaf[0], _params(<tuple>leaf[1], values)
                    node = dyn.child
                    index += 1
                    found_child = True
                    break
                if found_child:
                    break
                if not pending:
                    return None
                choice = <_Choice>pending.pop()
                node = choice.node
                index = choice.index
                attempt = choice.attempt
                del values[choice.kept:]



cdef inline str _seg(str path, list segs, Py_ssize_t* slashes, Py_ssize_t m, Py_ssize_t i):
    """Segment `i` (1-based after the leading slash) of `path`."""
    if segs is not None:
        return <str>segs[i]
    cdef Py_ssize_t end = slashes[i] if i < m else len(path)
    return path[slashes[i - 1] + 1:end]


cdef inline Py_ssize_t _seg_len(str path, list segs, Py_ssize_t* slashes, Py_ssize_t m, Py_ssize_t i):
    if segs is not None:
        return len(<str>segs[i])
    cdef Py_ssize_t end = slashes[i] if i < m else len(path)
    return end - slashes[i - 1] - 1


cdef inline PyObject* _find_static(_Node node, const unsigned char* data, Py_ssize_t start,
                                   Py_ssize_t end, bint fold):
    """The static child whose key is data[start:end] (ASCII-folded when `fold`), or NULL."""
    cdef Py_ssize_t length = end - start
    cdef Py_ssize_t j, k
    cdef const unsigned char* key
    cdef unsigned char b
    for j in range(node.nkeys):
        if node.klen[j] != length:
            continue
        key = <const unsigned char*>node.kptr[j]
        if not fold:
            if memcmp(key, data + start, length) == 0:
                return <PyObject*>node.kchildren[j]
            continue
        for k in range(length):
            b = data[start + k]
            if 65 <= b <= 90:
                b += 32
            if b != key[k]:
                break
        else:
            return <PyObject*>node.kchildren[j]
    return NULL


cdef inline bint _has_upper(str s):
    """Whether lower() could change `s` (perf: most segments are already lower-case)."""
    cdef Py_UCS4 c
    for c in s:
        if (c >= 65 and c <= 90) or c > 127:
            return True
    return False


cdef inline _Choice _make_choice(_Node node, Py_ssize_t index, Py_ssize_t kept, Py_ssize_t attempt):
    cdef _Choice c = _Choice.__new__(_Choice)
    c.node = node
    c.index = index
    c.kept = kept
    c.attempt = attempt
    return c
