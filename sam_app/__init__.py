"""The SAM application as code on this machine sees it: its template (``template.yaml``) and its functions' handlers.

The offline runner, the local-cloud tier, the IAM audit, the tests and the benchmarks read the application through
this package alone, so none of them has to import another to find a function or a resource.
"""
