"""Read template.yaml as CloudFormation would: parameters, conditions, Globals, and the intrinsic functions we use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

ACCOUNT = "123456789012"
REGION = "us-east-1"


class TemplateError(ValueError):
    """The template uses something the offline stack cannot reproduce: says what and where."""


def load(path: Path) -> dict[str, Any]:
    return dict(cfn_yaml.loads(path.read_text(), str(path)))


def physical_id(logical_id: str, resource: dict[str, Any], resolve: Any) -> str:
    """The name a resource gets: its explicit name property when it has one, else `<LogicalId>` (as CFN derives one)."""
    props = resource.get("Properties", {})
    for key in ("BucketName", "RoleName", "TableName", "TopicName", "FunctionName", "Name", "LogGroupName"):
        if key in props:
            return str(resolve(props[key]))
    return logical_id


def arn_of(resource_type: str, name: str) -> str:
    arns = {
        "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
        "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
        "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
        "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}",
        "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
        "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
        "AWS::Glue::Job": f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{name}",
    }
    return arns.get(resource_type, f"arn:aws:offline:{REGION}:{ACCOUNT}:{name}")


# What `Ref` returns per type (name unless listed here).
REF_IS_ARN = {"AWS::SNS::Topic", "AWS::Serverless::StateMachine", "AWS::IAM::ManagedPolicy"}


@dataclass
class Template:
    """A loaded template with its parameter values; `resolve` evaluates intrinsics to plain values."""

    body: dict[str, Any]
    parameters: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, overrides: dict[str, str] | None = None) -> Template:
        body = load(path)
        declared = body.get("Parameters", {})
        unknown = set(overrides or {}) - set(declared)
        if unknown:
            raise TemplateError(f"{path}: parameter(s) {sorted(unknown)} not declared; declared: {sorted(declared)}")
        values = {k: str(v.get("Default", "")) for k, v in declared.items()}
        values.update({k: str(v) for k, v in (overrides or {}).items()})
        template = cls(body, values)
        for logical_id, resource in template.resources.items():
            template.names[logical_id] = physical_id(logical_id, resource, template.resolve)
        return template

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Resources", {}))

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.body.get("Conditions", {})[name]))

    def included(self, resource: dict[str, Any]) -> bool:
        return "Condition" not in resource or self.condition(resource["Condition"])

    def globals_for(self, section: str) -> dict[str, Any]:
        return dict(self.body.get("Globals", {}).get(section, {}))

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": "offline",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"template.yaml: Ref to unknown name {name!r}")
        physical = self.names.get(name, name)
        return arn_of(resource["Type"], physical) if resource["Type"] in REF_IS_ARN else physical

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"template.yaml: Fn::GetAtt on unknown resource {logical_id!r}")
        name = self.names.get(logical_id, logical_id)
        if attribute == "Arn":
            return arn_of(resource["Type"], name)
        if attribute in ("Name", "TopicName"):
            return name
        raise TemplateError(f"template.yaml: Fn::GetAtt {logical_id}.{attribute} is not supported offline")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return str(self.resolve(variables[key]))
            if "." in key and not key.startswith("AWS::"):
                logical_id, attribute = key.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(key)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """Evaluate Ref, Fn::Sub, Fn::GetAtt, Fn::If, Fn::Equals, Fn::Not, Fn::Join, Fn::Select, Fn::Split."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value if v != {"Ref": "AWS::NoValue"}]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, variables)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return str(self.resolve(arg[0])) == str(self.resolve(arg[1]))
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key.startswith("Fn::"):
                raise TemplateError(f"template.yaml: intrinsic {key} is not supported offline")
        return {k: self.resolve(v) for k, v in value.items() if v != {"Ref": "AWS::NoValue"}}
