"""The deployment tier's own logic: the loopback guard, overrides, HTTP routes, process groups and listeners."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from local_cloud import sam
from local_cloud.http_routes import declared_routes
from local_cloud.loopback import NotLoopbackError, require_loopback_url
from local_cloud.sockets import _decode, non_loopback
from local_cloud.stack import CONSOLE_ONLY, local_outputs
from local_cloud.waiting import WaitTimeoutError, wait_for
from sam_app.template import TemplateModel, load_template

TEMPLATE = textwrap.dedent(
    """
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      ProjectName: {Type: String}
      PersonalizeEndpointUrl: {Type: String, Default: ""}
    Conditions:
      UseIt: !Not [!Equals [!Ref PersonalizeEndpointUrl, ""]]
    Resources:
      Api:
        Type: AWS::Serverless::HttpApi
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Environment:
            Variables:
              X: !If [UseIt, !Ref PersonalizeEndpointUrl, !Ref AWS::NoValue]
              ARN: !GetAtt Other.Arn
          Events:
            Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/users/{userId}/recommendations", Method: get}}
            Any: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /anything, Method: any}}
            Implicit: {Type: HttpApi}
            Stream: {Type: Kinesis, Properties: {Stream: arn}}
    """
)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:4566", "http://127.9.9.9:1", "http://localhost:80", "http://[::1]:5"]
)
def test_loopback_urls_pass(url: str) -> None:
    """127.0.0.0/8, ::1 and localhost are loopback."""
    assert require_loopback_url(url) == url


@pytest.mark.parametrize(
    "url", [None, "", "https://cloudformation.us-east-1.amazonaws.com", "http://10.0.0.5:4566", "127.0.0.1:4566"]
)
def test_anything_else_is_refused(url: str | None) -> None:
    """Unset, real AWS, a private address or a URL without scheme are refused."""
    with pytest.raises(NotLoopbackError):
        require_loopback_url(url)


def test_sam_deploy_refuses_a_real_endpoint_before_running_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    """No subprocess is started when the endpoint is not loopback (sam deploy would aim at real AWS)."""
    calls: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    with pytest.raises(NotLoopbackError, match="loopback"):
        sam.deploy(Path("t.yaml"), Path("t.yaml"), "stack", "https://cloudformation.us-east-1.amazonaws.com", {})
    assert calls == []


def test_template_reads_short_form_tags_as_long_form(tmp_path: Path) -> None:
    """``!If``/``!Ref``/``!GetAtt`` load as their long forms; parameters are listed."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    variables = load_template(path)["Resources"]["Fn"]["Properties"]["Environment"]["Variables"]
    assert variables["X"] == {"Fn::If": ["UseIt", {"Ref": "PersonalizeEndpointUrl"}, {"Ref": "AWS::NoValue"}]}
    assert variables["ARN"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert TemplateModel.read(path).parameter_names == {"ProjectName", "PersonalizeEndpointUrl"}


def test_overrides_keep_only_declared_parameters(tmp_path: Path) -> None:
    """samconfig's overrides plus the endpoint, minus what the template does not declare (yet)."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    assert sam.parameter_overrides(path, {"PersonalizeEndpointUrl": "http://127.0.0.1:9", "Unknown": "x"}) == [
        "ProjectName=anime-recs",
        "PersonalizeEndpointUrl=http://127.0.0.1:9",
    ]
    path.write_text("Resources: {}\n")
    assert sam.parameter_overrides(path, {"PersonalizeEndpointUrl": "http://127.0.0.1:9"}) == []


def test_quoted_samconfig_overrides_are_unquoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """samconfig writes ``Key=\"value\"`` (as `sam deploy --guided` does); the quotes are not part of the value."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    overrides = 'ProjectName="my project" NotificationEmail=""'
    monkeypatch.setattr(sam, "samconfig_deploy_parameters", lambda: {"parameter_overrides": overrides})
    assert sam.parameter_overrides(path, {}) == ["ProjectName=my project"]


def test_http_api_events_become_route_keys(tmp_path: Path) -> None:
    """HttpApi events map to route keys on their API (the implicit API and ``$default`` when unspecified)."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    assert sorted(declared_routes(load_template(path))) == [
        ("Api", "Fn", "ANY /anything"),
        ("Api", "Fn", "GET /users/{userId}/recommendations"),
        ("ServerlessHttpApi", "Fn", "$default"),
    ]


def test_proc_addresses_decode() -> None:
    """/proc/net/tcp{,6} hex addresses decode; 0.0.0.0 is not loopback."""
    assert _decode("0100007F:1F90") == ("127.0.0.1", 8080)
    assert _decode("00000000:22B3") == ("0.0.0.0", 8883)
    assert _decode("00000000000000000000000001000000:0050") == ("::1", 80)
    assert non_loopback({("127.0.0.1", 1), ("0.0.0.0", 2), ("::1", 3)}) == {("0.0.0.0", 2)}


def test_wait_for_returns_the_first_truthy_value_and_times_out_with_the_last_state() -> None:
    """Polling returns the first truthy result; a timeout names what was awaited and the last state."""
    values = iter([None, 0, "ready"])
    assert wait_for(lambda: next(values), timeout=5, interval=0.01, what="x") == "ready"
    with pytest.raises(WaitTimeoutError, match="waiting for nothing: still nothing"):
        wait_for(lambda: None, timeout=0.05, interval=0.01, what="nothing", describe_last=lambda: "still nothing")


def test_printed_outputs_link_to_what_works_locally() -> None:
    """The template's outputs point at execute-api and the AWS console; the tier prints local equivalents."""
    local_api = "http://127.0.0.1:4566/_aws/execute-api/ab12cd"
    outputs = {
        "RecommendationsApiUrl": "https://ab12cd.execute-api.us-east-1.amazonaws.com/",
        "PipelineDashboardUrl": "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards",
        "DataBucketName": "anime-recs-local-databucket-1",
    }
    assert local_outputs(outputs, {"RecommendationsHttpApi": local_api}) == {
        "RecommendationsApiUrl": local_api + "/",
        "PipelineDashboardUrl": CONSOLE_ONLY,
        "DataBucketName": "anime-recs-local-databucket-1",
    }
    assert "make console" in CONSOLE_ONLY
