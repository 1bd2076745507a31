"""docs/security.md's IAM table is generated from template.yaml and must match it."""

from __future__ import annotations

from iam_audit.doc_table import BEGIN, DOC_PATH, END, document_with_table, render_table


def test_the_iam_table_in_docs_security_md_is_up_to_date() -> None:
    text = DOC_PATH.read_text("utf-8")
    assert BEGIN in text and END in text
    assert document_with_table(text) == text, "docs/security.md is stale: run .venv/bin/python -m iam_audit.doc_table"


def test_the_table_has_a_row_per_statement_of_each_principal() -> None:
    table = render_table()
    assert (
        "| TrainSolutionsFunction | Allow | `personalize:ListSolutions`<br>`personalize:ListSolutionVersions` | `*` |"
        in table
    )
    assert '| DataBucketPolicy → "*" | Deny | `s3:*` |' in table
    assert "| RecommendationsApiFunction | Allow | `ssm:GetParameter` |" in table
    assert "/Users/" not in table and "/work/" not in table
