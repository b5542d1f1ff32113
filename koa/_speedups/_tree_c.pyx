# cython: language_level=3, boundscheck=False, wraparound=False
"""The route matcher, compiled: the twin of _tree_py.py (same algorithm, typed nodes).

See _tree_py.py for the design; this file adds C types and data layout. Registration
reuses the pure twin's rules (it raises the same ValueErrors), the walk is the same loop.
What the walk captures is kept as offsets into the path, in C arrays, with its choice
points: no list, no substring and no object per step; the parameter strings are made
once, at the leaf, straight into the params dict (or the Match that find() returns).
Each node keeps what the walk reads in one cache line (_Hot), and its static children in
a table compared against the path's bytes in place (_Key), so that a walk costs about one
cache miss per segment however many routes there are. Unlike the pure twin, there is no
dict of whole static paths: the walk is about as fast for them, and the dict would hash
every request's path (a new string each time) and miss for every other request.
"""
cimport cython
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.list cimport PyList_GET_SIZE, PyList_GET_ITEM
from cpython.tuple cimport PyTuple_GET_SIZE, PyTuple_GET_ITEM
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.stdint cimport uint64_t
from libc.string cimport memcmp, memcpy, memset


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define __koa_prefetch(p) __builtin_prefetch(p)
    #elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
    #include <xmmintrin.h>
    #define __koa_prefetch(p) _mm_prefetch((const char*)(p), _MM_HINT_T0)
    #else
    #define __koa_prefetch(p) ((void)(p))
    #endif
    """
    void _prefetch "__koa_prefetch"(const void*) nogil


cdef extern from "Python.h":
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    bint PyUnicode_IS_ASCII(object)
    int PyUnicode_1BYTE_KIND
    char* PyBytes_AS_STRING(object)
    object PyUnicode_Substring(object, Py_ssize_t, Py_ssize_t)
    Py_ssize_t PyUnicode_GET_LENGTH(object)

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
    _LINEAR_MAX = 4  # nodes with more static children hash them
    _VALUES = 32  # values a walk keeps on the C stack (more: on the heap)
    _INLINE = 32  # static keys up to this many bytes are kept in their table entry

cdef enum:
    _REGEX = 0
    _PARAM = 1
    _CATCH_ALL = 2

cdef enum:
    # _Val.end when the value is not path[start:end]
    _FROM_SEGS = -1  # segs[start], a decoded segment
    _FROM_OBJS = -2  # objs[start], a regex group or a joined rest


cdef struct _Val:
    Py_ssize_t start
    Py_ssize_t end


cdef struct _Key


cdef struct _End:
    # what a path that ends at a node finds: the _Leaf's fields (borrowed: the node holds it)
    PyObject* payload  # NULL: no route ends here
    PyObject* names
    PyObject* route


cdef struct _Hot:
    # perf: what the walk reads of a node, 64-byte aligned; with thousands of routes the
    # nodes a request visits are rarely in cache: the walk through a node reads its first
    # line only, and a request that ends at the node its second line only
    Py_ssize_t nkeys  # static children: how many; -1 when the dict must be used (a key outside Latin-1)
    _Key* keys  # nkeys entries scanned in order, or kmask + 1 hashed slots
    size_t kmask  # 0 for the scan
    _Hot* only  # the param child, when it is the only dynamic one
    Py_ssize_t ndynamic
    PyObject* node  # the _Node that owns this (borrowed)
    void* spare[2]
    _End leaf  # the path ends here
    _End slash  # the path ends here with a "/"


cdef struct _Key:
    # a static child, compared in place against the request path's bytes
    uint64_t hash
    _Hot* child  # NULL: an empty slot
    Py_ssize_t length
    const char* text  # the key's bytes: `inline` when they fit, else a bytes object in node.kobjs
    char inline[_INLINE]


cdef struct _Back:
    # a choice point: node, segment index, values kept, next dynamic child to try
    _Hot* node
    Py_ssize_t index
    Py_ssize_t kept
    Py_ssize_t attempt


@cython.final
@cython.freelist(8)
cdef class Match:
    """What router.match() finds: the route (`.path`, `.name`, `.methods`) and its params."""

    cdef public object route
    cdef public object params

    def __init__(self, route, params):
        self.route = route
        self.params = params

    def __repr__(self):
        return f"Match({self.route!r}, {self.params!r})"


@cython.final
cdef class _Leaf:
    cdef object payload
    cdef tuple names
    cdef object route


@cython.final
cdef class _Dyn:
    cdef int kind
    cdef object regex  # re.Pattern or None
    cdef Py_ssize_t groups
    cdef _Node child
    cdef _Hot* hot  # child.hot


cdef void* _aligned(size_t size, void** raw) except NULL:
    """`size` bytes on a 64-byte boundary; `raw[0]` is what PyMem_Free takes back."""
    raw[0] = PyMem_Malloc(size + 63)
    if raw[0] is NULL:
        raise MemoryError()
    return <void*>((<size_t>raw[0] + 63) & ~(<size_t>63))


@cython.final
cdef class _Node:
    cdef _Hot* hot
    cdef void* hot_raw
    cdef void* keys_raw
    cdef dict static
    cdef dict regexes
    cdef _Node param
    cdef _Node catch_all
    cdef tuple dynamic  # of _Dyn, in the order they are tried
    cdef _Leaf leaf
    cdef _Leaf slash
    cdef list kobjs  # the bytes of the keys too long for their entry (None once the dict serves)

    def __cinit__(self):
        self.hot = <_Hot*>_aligned(sizeof(_Hot), &self.hot_raw)  # two cache lines, see _Hot
        memset(self.hot, 0, sizeof(_Hot))
        self.hot.node = <PyObject*>self
        self.keys_raw = NULL
        self.static = {}
        self.regexes = {}
        self.dynamic = ()
        self.kobjs = []

    def __dealloc__(self):
        PyMem_Free(self.keys_raw)
        PyMem_Free(self.hot_raw)

    cdef void set_leaf(self, _Leaf leaf, bint slash):
        cdef _End* end = &self.hot.slash if slash else &self.hot.leaf
        if slash:
            self.slash = leaf
        else:
            self.leaf = leaf
        end.names = <PyObject*>leaf.names
        end.route = <PyObject*>leaf.route
        end.payload = <PyObject*>leaf.payload

    cdef void add_static(self, str key, _Node child) except *:
        """Index `child` under `key` (already in self.static): amortized constant time."""
        cdef _Hot* hot = self.hot
        cdef Py_ssize_t n = hot.nkeys
        cdef Py_ssize_t size
        cdef _Key entry
        cdef bytes raw
        if n < 0:
            return  # the dict serves this node
        try:
            raw = key.encode("latin-1")
        except UnicodeEncodeError:
            # a key outside Latin-1: the dict serves this node from now on
            PyMem_Free(self.keys_raw)
            self.keys_raw = NULL
            hot.keys = NULL
            hot.kmask = 0
            hot.nkeys = -1
            self.kobjs = None
            return
        memset(&entry, 0, sizeof(_Key))
        entry.length = len(raw)
        entry.hash = _hash(<const unsigned char*>PyBytes_AS_STRING(raw), entry.length, False)
        entry.child = child.hot
        if entry.length <= _INLINE:
            memcpy(entry.inline, PyBytes_AS_STRING(raw), entry.length)
        else:
            self.kobjs.append(raw)  # keeps the bytes that entry.text points into
            entry.text = PyBytes_AS_STRING(raw)
        if n < _LINEAR_MAX:
            if hot.keys is NULL:
                hot.keys = <_Key*>_aligned(_LINEAR_MAX * sizeof(_Key), &self.keys_raw)
            hot.keys[n] = entry
        else:
            size = hot.kmask + 1 if hot.kmask else 0
            if (n + 1) * 4 > size * 3:  # at most 3/4 full: a table twice the size
                self.rehash(max(16, 2 * size))
            _insert(hot.keys, hot.kmask, &entry)
        hot.nkeys = n + 1

    cdef void rehash(self, Py_ssize_t size) except *:
        """Move the static children to a hash table of `size` (a power of 2) slots."""
        cdef _Hot* hot = self.hot
        cdef void* raw = NULL
        cdef _Key* keys = <_Key*>_aligned(size * sizeof(_Key), &raw)
        cdef Py_ssize_t j
        cdef Py_ssize_t slots = hot.kmask + 1 if hot.kmask else hot.nkeys
        memset(keys, 0, size * sizeof(_Key))
        for j in range(slots):
            if hot.keys[j].child is not NULL:
                _insert(keys, size - 1, &hot.keys[j])
        PyMem_Free(self.keys_raw)
        self.keys_raw = raw
        hot.keys = keys
        hot.kmask = size - 1

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
            d.hot = (<_Node>child).hot
            entries.append(d)
        if self.param is not None:
            d = _Dyn.__new__(_Dyn)
            d.kind = _PARAM
            d.child = self.param
            d.hot = self.param.hot
            entries.append(d)
        if self.catch_all is not None:
            d = _Dyn.__new__(_Dyn)
            d.kind = _CATCH_ALL
            d.child = self.catch_all
            d.hot = self.catch_all.hot
            entries.append(d)
        self.dynamic = tuple(entries)
        self.hot.ndynamic = len(entries)
        self.hot.only = self.param.hot if len(entries) == 1 and self.param is not None else NULL


cdef inline void _insert(_Key* keys, size_t kmask, _Key* entry) noexcept:
    """Copy `entry` into the first free slot of its probe sequence."""
    cdef size_t slot = entry.hash & kmask
    while keys[slot].child is not NULL:
        slot = (slot + 1) & kmask
    keys[slot] = entry[0]


cdef inline Match _new_match(object route, object params):
    cdef Match found = Match.__new__(Match)
    found.route = route
    found.params = params
    return found


cdef Py_ssize_t _width(segment) except -1:
    """How many values a dynamic segment captures: a regex's groups, or 1."""
    if isinstance(segment, _Pattern):
        return segment.groups or 1
    return 1


cdef class Tree:
    """Maps paths to payloads: add(segments, names, payload, route), match(path), find(path)."""

    cdef readonly bint sensitive
    cdef _Node _root
    cdef Py_ssize_t _width  # the most values a route captures: the walk's buffer size

    Match = Match  # what find() returns, for the router without knowing which twin this is

    def __init__(self, sensitive=False):
        self.sensitive = bool(sensitive)
        self._root = _Node()
        self._width = 0

    def __class_getitem__(cls, item):
        return cls  # `Tree[Endpoint]` in annotations, as the generic pure twin allows

    @cython.wraparound(True)
    def add(self, segments, names, payload, route=None):
        """Register `payload` (not None) at the paths that `segments` describe."""
        cdef _Node node = self._root
        cdef _Node child
        cdef _Leaf leaf
        cdef bint slash = len(segments) > 0 and isinstance(segments[-1], str) and segments[-1] == ""
        cdef Py_ssize_t last = len(segments) - 1
        cdef Py_ssize_t width = 0
        for segment in segments:
            if not isinstance(segment, str):
                width += _width(segment)
        # before any node is made: a refused route may leave nodes that a walk still visits
        self._width = max(self._width, width)
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
                    node.add_static(key, child)
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
        leaf = _Leaf.__new__(_Leaf)
        leaf.payload = payload
        leaf.names = tuple(names)
        leaf.route = payload if route is None else route
        node.set_leaf(leaf, slash)

    def match(self, str path not None):
        """The payload for `path` (raw, percent-encoded) and its decoded parameters, or None."""
        return self._search(path, False)

    def find(self, str path not None):
        """match() as a Match: the route registered with the payload, and the parameters."""
        return self._search(path, True)

    @staticmethod
    def find_in(dict trees not None, str path not None, method):
        """trees[method].find(path), the method upper-cased when it is not a key; None without a tree."""
        # perf: router.match() in one call, without dict.get() and a second call from Python
        cdef PyObject* hit = PyDict_GetItem(trees, method)
        if hit is NULL:
            hit = PyDict_GetItem(trees, method.upper())
            if hit is NULL:
                return None
        if type(<object>hit) is not Tree:
            return (<object>hit).find(path)
        return (<Tree>hit)._search(path, True)

    cdef object _search(self, str path, bint as_match):
        cdef Py_ssize_t n = len(path)
        cdef Py_ssize_t i
        cdef Py_UCS4 c
        if n == 0 or path[0] != u"/":
            return None  # not an absolute path ("*", "" ...)
        # perf: segments are located by the offsets of their slashes, and a substring is
        # made only for the values; a path with escapes (or a very long one) is split
        # into a list of decoded segments instead, as the pure twin does
        cdef Py_ssize_t slashes[_MAX_SEGMENTS]
        cdef Py_ssize_t m = 0
        cdef bint split = False
        cdef const unsigned char* data = NULL
        cdef list segs = None
        cdef Py_ssize_t j
        cdef Py_ssize_t stop
        cdef uint64_t word
        if PyUnicode_KIND(path) == PyUnicode_1BYTE_KIND:
            data = <const unsigned char*>PyUnicode_DATA(path)
            i = 0
            while i < n and not split:
                # perf: 8 bytes at a time, one by one only in a word with a "/" or a "%"
                stop = i + 8
                if stop <= n:
                    memcpy(&word, data + i, 8)
                    if not (_has_byte(word, 0x2f2f2f2f2f2f2f2fULL) | _has_byte(word, 0x2525252525252525ULL)):
                        i = stop
                        continue
                else:
                    stop = n
                for j in range(i, stop):
                    if data[j] == 47:  # "/"
                        if m == _MAX_SEGMENTS:
                            split = True
                            break
                        slashes[m] = j
                        m += 1
                    elif data[j] == 37:  # "%"
                        split = True
                        break
                i = stop
        else:
            i = 0
            for c in path:  # perf: Cython walks the string's buffer directly
                if c == 47:
                    if m == _MAX_SEGMENTS:
                        split = True
                        break
                    slashes[m] = i
                    m += 1
                elif c == 37:
                    split = True
                    break
                i += 1
        if split:
            segs = path.split("/")
            if "%" in path:
                segs = [decode(s) for s in segs]
        cdef Py_ssize_t count = PyList_GET_SIZE(segs) if segs is not None else m + 1
        # the walk's stacks: at most one choice point per segment, at most _width values
        cdef _Val vbuf[_VALUES]
        cdef _Back bbuf[_MAX_SEGMENTS + 1]
        cdef _Val* vals = vbuf
        cdef _Back* backs = bbuf
        cdef Py_ssize_t vcap = self._width
        if vcap > _VALUES:
            vals = <_Val*>PyMem_Malloc(vcap * sizeof(_Val))
            if vals is NULL:
                raise MemoryError()
        if count > _MAX_SEGMENTS + 1:
            backs = <_Back*>PyMem_Malloc(count * sizeof(_Back))
            if backs is NULL:
                if vals is not vbuf:
                    PyMem_Free(vals)
                raise MemoryError()
        try:
            return self._walk(path, data, segs, slashes, m, count, vals, vcap, backs, as_match)
        finally:
            if vals is not vbuf:
                PyMem_Free(vals)
            if backs is not bbuf:
                PyMem_Free(backs)

    cdef object _walk(self, str path, const unsigned char* data, list segs, Py_ssize_t* slashes,
                      Py_ssize_t m, Py_ssize_t count, _Val* vals, Py_ssize_t vcap, _Back* backs,
                      bint as_match):
        cdef Py_ssize_t n = len(path)
        cdef bint slash = count > 1 and _seg_len(n, segs, slashes, m, count - 1) == 0
        if slash:
            count -= 1  # the trailing "" picks node.slash rather than node.leaf
        cdef bint fold = not self.sensitive
        # bytewise: compare static segments in place (a one-byte-per-char path, and in a
        # case-insensitive tree only when it is all ASCII, where folding is simple)
        cdef bint bytewise = segs is None and data is not NULL and (not fold or PyUnicode_IS_ASCII(path))
        # perf: the walk follows borrowed _Hot pointers (the tree owns every node): no
        # reference counting, and only the node's own cache line is read
        cdef _Hot* node = self._root.hot
        cdef _Hot* child
        cdef _End* end
        cdef _Dyn dyn
        cdef tuple dynamic
        cdef Py_ssize_t index = 1
        cdef Py_ssize_t attempt
        cdef Py_ssize_t ndyn
        cdef Py_ssize_t nv = 0  # values captured so far
        cdef Py_ssize_t nb = 0  # choice points
        cdef Py_ssize_t start
        cdef list objs = None
        cdef str segment
        cdef PyObject* hit
        cdef bint found_child
        while True:
            if index < count:
                if node.nkeys:
                    if bytewise and node.nkeys > 0:
                        start = slashes[index - 1] + 1
                        child = _find_static(node, data + start, (slashes[index] if index < m else n) - start, fold)
                    else:
                        child = NULL
                        segment = _seg(path, segs, slashes, m, index)
                        static = (<_Node>node.node).static
                        hit = PyDict_GetItem(static, segment)
                        if hit is NULL and fold and _has_upper(segment):
                            hit = PyDict_GetItem(static, segment.lower())
                        if hit is not NULL:
                            child = (<_Node>hit).hot
                    if child is not NULL:
                        if node.ndynamic:
                            _push(backs, &nb, node, index, nv, 0)
                        node = child
                        index += 1
                        continue
                child = node.only
                if child is NULL:
                    attempt = 0
                elif _seg_len(n, segs, slashes, m, index):  # the usual lone parameter
                    _capture(vals, &nv, vcap, segs, slashes, m, n, index)
                    node = child
                    index += 1
                    continue
                else:
                    attempt = 1
            else:
                end = &node.slash if slash else &node.leaf
                if end.payload is not NULL:
                    return _found(end, path, segs, objs, vals, nv, as_match)
                attempt = node.ndynamic  # nothing left to consume: dead end
            # the dynamic children of `node` for segment `index`, from `attempt` on;
            # on a dead end, resume at the latest choice point
            while True:
                ndyn = node.ndynamic
                found_child = False
                if attempt < ndyn:
                    dynamic = (<_Node>node.node).dynamic
                while attempt < ndyn:
                    dyn = <_Dyn>PyTuple_GET_ITEM(dynamic, attempt)
                    attempt += 1
                    if dyn.kind == _PARAM:
                        if not _seg_len(n, segs, slashes, m, index):
                            continue
                        if attempt < ndyn:
                            _push(backs, &nb, node, index, nv, attempt)
                        _capture(vals, &nv, vcap, segs, slashes, m, n, index)
                    elif dyn.kind == _REGEX:
                        segment = _seg(path, segs, slashes, m, index)
                        found = dyn.regex.fullmatch(segment)
                        if found is None:
                            continue
                        if attempt < ndyn:
                            _push(backs, &nb, node, index, nv, attempt)
                        if dyn.groups:
                            if objs is None:
                                objs = []
                            for group in found.groups():
                                _keep(vals, &nv, vcap, objs, group)
                        else:
                            _capture(vals, &nv, vcap, segs, slashes, m, n, index)
                    else:
                        # the rest of the path, the trailing "/" included
                        if segs is not None:
                            rest = "/".join(segs[index:])
                            if not rest:
                                continue
                            if objs is None:
                                objs = []
                            _keep(vals, &nv, vcap, objs, rest)
                        else:
                            start = slashes[index - 1] + 1
                            if start == n:
                                continue
                            _check(nv, vcap)
                            vals[nv].start = start
                            vals[nv].end = n
                            nv += 1
                        assert dyn.hot.leaf.payload is not NULL, "a catch-all node always ends a route"
                        return _found(&dyn.hot.leaf, path, segs, objs, vals, nv, as_match)
                    node = dyn.hot
                    index += 1
                    found_child = True
                    break
                if found_child:
                    break
                if nb == 0:
                    return None
                nb -= 1
                node = backs[nb].node
                index = backs[nb].index
                nv = backs[nb].kept
                attempt = backs[nb].attempt


cdef inline object _found(_End* end, str path, list segs, list objs, _Val* vals, Py_ssize_t nv,
                          bint as_match):
    """What a walk that ends at `end` returns: (payload, params), or a Match."""
    if as_match:
        _prefetch(end.route)  # perf: its miss overlaps the names'
    cdef dict params = {}
    cdef PyObject* names = end.names
    cdef Py_ssize_t count = PyTuple_GET_SIZE(<object>names)
    cdef Py_ssize_t i
    cdef _Val v
    if nv < count:
        count = nv  # values past the last name are dropped, names past the last value too
    for i in range(count):
        v = vals[i]
        if v.end >= 0:
            value = PyUnicode_Substring(path, v.start, v.end)
        elif v.end == _FROM_SEGS:
            value = <object>PyList_GET_ITEM(segs, v.start)
        else:
            value = <object>PyList_GET_ITEM(objs, v.start)
        PyDict_SetItem(params, <object>PyTuple_GET_ITEM(<object>names, i), value)
    if as_match:
        return _new_match(<object>end.route, params)
    return <object>end.payload, params


cdef inline void _check(Py_ssize_t nv, Py_ssize_t vcap) except *:
    if nv >= vcap:  # cannot happen: _width bounds what any path through the tree captures
        raise RuntimeError("route tree: more values than any route captures")


cdef inline void _capture(_Val* vals, Py_ssize_t* nv, Py_ssize_t vcap, list segs, Py_ssize_t* slashes,
                          Py_ssize_t m, Py_ssize_t n, Py_ssize_t i) except *:
    """Segment `i` as the next value: its offsets, or its index in `segs`."""
    _check(nv[0], vcap)
    cdef _Val* v = &vals[nv[0]]
    if segs is not None:
        v.start = i
        v.end = _FROM_SEGS
    else:
        v.start = slashes[i - 1] + 1
        v.end = slashes[i] if i < m else n
    nv[0] += 1


cdef inline void _keep(_Val* vals, Py_ssize_t* nv, Py_ssize_t vcap, list objs, object value) except *:
    """`value` (a regex group, a joined rest) as the next value."""
    _check(nv[0], vcap)
    vals[nv[0]].start = PyList_GET_SIZE(objs)
    vals[nv[0]].end = _FROM_OBJS
    objs.append(value)
    nv[0] += 1


cdef inline void _push(_Back* backs, Py_ssize_t* nb, _Hot* node, Py_ssize_t index, Py_ssize_t kept,
                       Py_ssize_t attempt) noexcept:
    # one choice point per segment index at most: the stack holds increasing indexes
    cdef _Back* b = &backs[nb[0]]
    b.node = node
    b.index = index
    b.kept = kept
    b.attempt = attempt
    nb[0] += 1


cdef inline str _seg(str path, list segs, Py_ssize_t* slashes, Py_ssize_t m, Py_ssize_t i):
    """Segment `i` (1-based after the leading slash) of `path`."""
    if segs is not None:
        return <str><object>PyList_GET_ITEM(segs, i)
    cdef Py_ssize_t end = slashes[i] if i < m else len(path)
    return <str>PyUnicode_Substring(path, slashes[i - 1] + 1, end)


cdef inline Py_ssize_t _seg_len(Py_ssize_t n, list segs, Py_ssize_t* slashes, Py_ssize_t m,
                                Py_ssize_t i) noexcept:
    if segs is not None:
        return PyUnicode_GET_LENGTH(<object>PyList_GET_ITEM(segs, i))
    cdef Py_ssize_t end = slashes[i] if i < m else n
    return end - slashes[i - 1] - 1


cdef inline uint64_t _has_byte(uint64_t word, uint64_t pattern) noexcept nogil:
    """Non-zero when a byte of `word` is the byte repeated in `pattern`."""
    word ^= pattern
    return (word - 0x0101010101010101ULL) & ~word & 0x8080808080808080ULL


cdef inline uint64_t _word(const unsigned char* data, Py_ssize_t length, bint fold) noexcept nogil:
    """Up to 8 bytes as an integer (zero-padded), ASCII letters lower-cased when `fold`."""
    cdef uint64_t x = 0
    cdef uint64_t low, upper
    if length >= 8:
        memcpy(&x, data, 8)
    else:
        memcpy(&x, data, length)
    if fold:
        # SWAR: 0x80 in each byte that is A-Z, then 0x20 added to those bytes
        low = x & 0x7f7f7f7f7f7f7f7fULL
        upper = (low + 0x3f3f3f3f3f3f3f3fULL) & ~(low + 0x2525252525252525ULL) & ~x & 0x8080808080808080ULL
        x |= upper >> 2
    return x


cdef inline uint64_t _hash(const unsigned char* data, Py_ssize_t length, bint fold) noexcept nogil:
    """A hash of the first and last 8 bytes and the length: constant time, and good enough
    for segment names, which differ in their first or last bytes (collisions only cost a compare)."""
    cdef uint64_t h = _word(data, length, fold) * 0x9E3779B97F4A7C15ULL
    if length > 8:
        h ^= _word(data + length - 8, 8, fold) + <uint64_t>length
    else:
        h ^= <uint64_t>length
    h *= 0xff51afd7ed558ccdULL
    return h ^ (h >> 32)


cdef inline bint _same(const unsigned char* key, const unsigned char* data, Py_ssize_t length,
                       bint fold) noexcept nogil:
    cdef Py_ssize_t k
    cdef unsigned char b
    if not fold:
        return memcmp(key, data, length) == 0
    for k in range(length):
        b = data[k]
        if 65 <= b <= 90:
            b += 32
        if b != key[k]:
            return False
    return True


cdef inline _Hot* _find_static(_Hot* node, const unsigned char* data, Py_ssize_t length,
                               bint fold) noexcept nogil:
    """The static child whose key is data[:length] (ASCII-folded when `fold`), or NULL."""
    cdef Py_ssize_t j
    cdef uint64_t h
    cdef size_t slot
    cdef _Key* entry
    if node.kmask == 0:
        for j in range(node.nkeys):
            entry = &node.keys[j]
            if entry.length == length and _same(_text(entry), data, length, fold):
                return entry.child
        return NULL
    h = _hash(data, length, fold)
    slot = h & node.kmask
    while True:
        entry = &node.keys[slot]
        if entry.child is NULL:
            return NULL
        if entry.hash == h and entry.length == length and _same(_text(entry), data, length, fold):
            return entry.child
        slot = (slot + 1) & node.kmask


cdef inline const unsigned char* _text(_Key* entry) noexcept nogil:
    return <const unsigned char*>(entry.text if entry.text is not NULL else entry.inline)


cdef inline bint _has_upper(str s):
    """Whether lower() could change `s` (perf: most segments are already lower-case)."""
    cdef Py_UCS4 c
    for c in s:
        if (c >= 65 and c <= 90) or c > 127:
            return True
    return False
