"""Item metadata as sparse TF-IDF vectors of categorical tokens, for the similar-items recipe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

SKIPPED_COLUMNS = {"ITEM_ID", "CREATION_TIMESTAMP"}


def metadata_matrix(items: pd.DataFrame, item_ids: np.ndarray) -> sp.csr_matrix | None:
    """Rows follow `item_ids`; tokens are `COLUMN=value` of string columns (multi-values split on `|`)."""
    if "ITEM_ID" not in items.columns:
        raise ValueError(f"The Items data has no ITEM_ID column; found {list(items.columns)}. Fix the Items schema.")
    index = {item: i for i, item in enumerate(item_ids)}
    rows: list[int] = []
    tokens: list[str] = []
    item_column = items["ITEM_ID"].astype(str).to_numpy()
    for column in items.columns:
        if column in SKIPPED_COLUMNS or _numeric(items[column]):
            continue
        for item, value in zip(item_column, items[column].to_numpy(), strict=True):
            row = index.get(item)
            if row is None or value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            for part in str(value).split("|"):
                if part:
                    rows.append(row)
                    tokens.append(f"{column}={part.lower()}")
    if not rows:
        return None
    codes, vocabulary = pd.factorize(pd.Series(tokens))
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (np.asarray(rows), codes)), shape=(len(item_ids), len(vocabulary))
    )
    matrix.data[:] = 1.0  # a token counts once per item
    document_frequency = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = np.log((1.0 + len(item_ids)) / (1.0 + document_frequency)) + 1.0
    matrix = (matrix @ sp.diags(idf)).tocsr()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return (sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix).tocsr()


def _numeric(column: pd.Series) -> bool:
    """Numeric fields (also when read from CSV as text) are not categorical metadata."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    present = column.dropna()
    return bool(len(present)) and bool(pd.to_numeric(present, errors="coerce").notna().all())
