"""The shapes of a JSON batch Graph accepts (the sources are in server.py's docstring, "JSON batching")."""
from __future__ import annotations

from typing import Any

MAX_BATCH = 20
NOT_SEQUENTIAL = "Batch should be either fully sequential or fully parallel."


def batch_problem(items: Any) -> str | None:
    """Why Graph refuses this $batch body as a whole, or None."""
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        return f"A batch holds 1 to {MAX_BATCH} requests."
    if not all(isinstance(i, dict) for i in items):
        return "Each request in a batch is a JSON object."
    ids = [str(i.get("id") or "").lower() for i in items]
    if "" in ids or len(set(ids)) != len(ids):
        return "Each request in a batch needs an id, unique in the batch."
    if any(i.get("body") is not None and "content-type" not in {str(k).lower() for k in i.get("headers") or {}}
           for i in items):
        return "A request with a body must have a Content-Type header."
    deps = [[str(d).lower() for d in i.get("dependsOn") or []] for i in items]
    if any(d not in ids for names in deps for d in names):
        return "dependsOn names a request that is not in the batch."
    parallel = not any(deps)
    serial = not deps[0] and all(names == [ids[n - 1]] for n, names in enumerate(deps) if n)
    target = deps[0][0] if len(deps[0]) == 1 else ids[0] if not deps[0] else None
    same = target is not None and target in ids and all(
        (not names and ids[n] == target) or (names == [target] and ids[n] != target) for n, names in enumerate(deps))
    return None if parallel or serial or same else NOT_SEQUENTIAL
