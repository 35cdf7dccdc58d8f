"""OpenAPI schema adjustments (drf-spectacular hooks)."""


def contract_paths(endpoints):
    """Document paths as the contract writes them: ``/albums/{sku}``, not ``/albums/{sku}/``.

    The router accepts both (its pattern ends in an optional slash), and the generator would
    otherwise print the slash form.
    """
    return [
        (path.rstrip("/") if path != "/" else path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
    ]
