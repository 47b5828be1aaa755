"""template.load reads YAML as CloudFormation does: short-form intrinsics become their full forms, no duplicate keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from autopersonalize.local.template import TemplateError, load

REPO = Path(__file__).resolve().parents[2]


def test_template_yaml_short_forms_read_as_their_full_forms(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Conditions:\n"
        "  Enabled: !Not [!Equals [!Ref Flag, 'off']]\n"
        "Outputs:\n"
        "  Arn: {Value: !GetAtt Role.Arn}\n"
        "  Listed: {Value: !GetAtt [Role, Arn]}\n"
        "  Named: {Value: !Sub ['${A}-x', {A: !Ref Name}], Condition: Enabled}\n"
        "  Picked: {Value: !If [Enabled, !Select [0, !Split [',', 'a,b']], !Ref 'AWS::NoValue']}\n"
        "  Both: {Value: !And [!Condition Enabled, !Contains [[a], a]]}\n"
    )

    assert load(path) == {
        "Conditions": {"Enabled": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Flag"}, "off"]}]}},
        "Outputs": {
            "Arn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
            "Listed": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
            "Named": {"Value": {"Fn::Sub": ["${A}-x", {"A": {"Ref": "Name"}}]}, "Condition": "Enabled"},
            "Picked": {
                "Value": {
                    "Fn::If": ["Enabled", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}, {"Ref": "AWS::NoValue"}]
                }
            },
            "Both": {"Value": {"Fn::And": [{"Condition": "Enabled"}, {"Fn::Contains": [["a"], "a"]}]}},
        },
    }


def test_template_yaml_reads_the_template_as_cfn_lint_decodes_it() -> None:
    path = REPO / "template.yaml"
    decoded = json.loads(json.dumps(cfn_yaml.loads(path.read_text(), str(path))))  # plain dicts, lists and strings

    assert load(path) == decoded


def test_template_yaml_duplicate_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Bucket:\n    Type: AWS::SNS::Topic\n")

    with pytest.raises(TemplateError) as error:
        load(path)

    assert str(error.value) == (
        f"{path}: line 4: key 'Bucket' appears again in the mapping that has it on line 2; keep one of them"
    )
