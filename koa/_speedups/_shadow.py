"""What a core module's pure twin reads of `cython` when Cython is not installed: it is not compiled.

(Compiled, `cython.compiled` is a constant Cython folds at build time; see koa/context.py.)
"""
compiled = False
