from . import _native

__version__ = _native.__version__
