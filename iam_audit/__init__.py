"""Least privilege, measured: record the AWS calls each function makes offline and evaluate them against that
function's policies from template.yaml (see docs/security.md)."""
