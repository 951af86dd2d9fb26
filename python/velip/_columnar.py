"""Walks as Arrow tables and DataFrames: the Python side of
``CallIterator.iter_batches()``, ``to_arrow()``, ``to_pandas()`` and
``to_polars()`` (and their ``AsyncCallIterator`` awaitables).

The batches come from the Rust core (``velip._velip``), one per page, built
from the typed records (no JSON, no Python object per record) and handed
over through the Arrow PyCapsule interface without copies. pyarrow, pandas
and polars are optional: each function imports what it needs and names the
extra to install when it is missing.

Types (``velip.arrow_schema()``): ``date`` date32, ``dial_time`` &
co. time32(s), ``dialed_at`` & co. timestamp(s, America/Sao_Paulo),
``rate``/``value`` decimal128(18, 3) (BRL, exact), ``status``/``amd``
dictionary-encoded text, ``dtmf`` list<utf8>, ``extra`` map<utf8, utf8>,
``problems`` list<struct<field, raw, rule>>.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from velip._velip import AsyncCallIterator, CallIterator

__all__ = ["arrow_schema", "require"]

# Which extra brings which module (`pip install 'velip[EXTRA]'`).
_EXTRAS = {"pyarrow": "arrow", "pandas": "pandas", "polars": "polars", "dlt": "dlt"}


def require(module: str, needed_by: str) -> ModuleType:
    """``import module``, or an ``ImportError`` naming the extra that
    installs it: ``to_arrow() needs pyarrow: pip install 'velip[arrow]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        extra = _EXTRAS.get(module, module)
        raise ImportError(
            f"{needed_by} needs {module}, which is not installed: pip install 'velip[{extra}]'",
            name=module,
        ) from e


def arrow_schema() -> Any:
    """The ``pyarrow.Schema`` of every batch, table and Parquet file velip
    makes (column names, types, ``velip.wire_field`` metadata). Needs
    pyarrow."""
    pa = require("pyarrow", "velip.arrow_schema()")
    from velip._velip import _ArrowSchema

    return pa.schema(_ArrowSchema())


def iter_batches(it: CallIterator) -> Iterator[Any]:
    pa = require("pyarrow", "CallIterator.iter_batches()")

    def batches() -> Iterator[Any]:
        while True:
            b = it._next_batch()
            if b is None:
                return
            yield pa.record_batch(b)

    return batches()


def to_arrow(it: CallIterator) -> Any:
    pa = require("pyarrow", "CallIterator.to_arrow()")
    return pa.table(it._collect())


def _string_dtype(pd: ModuleType) -> Any:
    """pandas' default string dtype when it is Arrow-backed (pandas >= 3),
    else ``string[pyarrow]``: no Python object per value either way."""
    default = pd.Series([], dtype="str").dtype if int(pd.__version__.split(".")[0]) >= 3 else None
    if default is not None and getattr(default, "storage", None) == "pyarrow":
        return default
    return pd.StringDtype("pyarrow")


def pandas_types_mapper(pa: ModuleType, pd: ModuleType) -> Any:
    """The Arrow -> pandas dtype of each column for
    ``dtype_backend="numpy_nullable"``: numpy where pandas has a faithful
    dtype (nullable integers and booleans, tz-aware datetime64, category),
    Arrow dtypes where it has none (dates, times, exact decimals, lists,
    maps) rather than Python objects per cell."""
    string = _string_dtype(pd)
    fixed = {
        pa.int64(): pd.Int64Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): string,
    }

    def mapper(t: Any) -> Any:
        if t in fixed:
            return fixed[t]
        if (
            pa.types.is_date(t)
            or pa.types.is_time(t)
            or pa.types.is_decimal(t)
            or pa.types.is_list(t)
            or pa.types.is_map(t)
            or pa.types.is_struct(t)
        ):
            return pd.ArrowDtype(t)
        return None  # timestamps -> datetime64[s, tz], dictionaries -> category

    return mapper


def table_to_pandas(table: Any, dtype_backend: str = "numpy_nullable") -> Any:
    """A call-record ``pyarrow.Table`` as a typed ``pandas.DataFrame``."""
    pa = require("pyarrow", "to_pandas()")
    pd = require("pandas", "to_pandas()")
    if dtype_backend == "pyarrow":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    if dtype_backend != "numpy_nullable":
        raise ValueError(f"dtype_backend must be 'numpy_nullable' or 'pyarrow', not {dtype_backend!r}")
    return table.to_pandas(types_mapper=pandas_types_mapper(pa, pd))


def to_pandas(it: CallIterator, dtype_backend: str = "numpy_nullable") -> Any:
    require("pandas", "CallIterator.to_pandas()")
    require("pyarrow", "CallIterator.to_pandas()")
    if dtype_backend not in ("numpy_nullable", "pyarrow"):
        raise ValueError(f"dtype_backend must be 'numpy_nullable' or 'pyarrow', not {dtype_backend!r}")
    return table_to_pandas(to_arrow(it), dtype_backend)


def to_polars(it: CallIterator) -> Any:
    pl = require("polars", "CallIterator.to_polars()")
    return pl.DataFrame(it._collect())


def aiter_batches(it: AsyncCallIterator) -> AsyncIterator[Any]:
    pa = require("pyarrow", "AsyncCallIterator.iter_batches()")

    async def batches() -> AsyncIterator[Any]:
        while True:
            b = await it._next_batch()
            if b is None:
                return
            yield pa.record_batch(b)

    return batches()
