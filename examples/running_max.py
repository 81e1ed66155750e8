def running_max(values: list[int]) -> list[int]:
    """Return the maximum of each prefix of `values`."""
    result: list[int] = []
    best = None
    for value in values:
        best = value if best is None else max(best, value)
        result.append(best)
    return result
