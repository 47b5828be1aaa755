"""Runs in the lint tool venv: SAM-transforms a template offline and lints every IAM policy of the result.

`python policy_lint.py [--parameters JSON]... TEMPLATE` prints a JSON list of findings, one per statement and issue,
with the resource, the policy, the statement, the actions, the resource ARNs (intrinsics resolved with the parameters'
defaults, overridden by each --parameters object in turn: the index of that object is the finding's `parameters`) and
the detail. `--branches` prints instead, for each condition an `Fn::If` in a policy chooses on, the values it took
over those parameter sets (so a caller can check that every branch was linted). `python policy_lint.py --transform
TEMPLATE` prints the transformed CloudFormation template.
SAM's own transform (aws-sam-translator, what `sam validate` and CloudFormation run) expands function `Policies` and
SAM policy templates into the roles they become; parliament checks each statement against IAM's action tables.
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # SAM derives the partition from the region
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

import parliament  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "autopersonalize",
    "AWS::URLSuffix": "amazonaws.com",
}
# What Ref and GetAtt return per resource type (from the CloudFormation resource reference), with {name} the physical
# name: the type's name property when set, else the logical ID.
NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Athena::WorkGroup": "Name",
    "AWS::Glue::Job": "Name",
    "AWS::SSM::Parameter": "Name",
}
REFS: dict[str, tuple[str, dict[str, str]]] = {
    "AWS::S3::Bucket": ("{name}", {"Arn": "arn:{p}:s3:::{name}"}),
    "AWS::DynamoDB::Table": ("{name}", {"Arn": "arn:{p}:dynamodb:{r}:{a}:table/{name}"}),
    "AWS::SNS::Topic": ("arn:{p}:sns:{r}:{a}:{name}", {"TopicArn": "arn:{p}:sns:{r}:{a}:{name}"}),
    "AWS::IAM::Role": ("{name}", {"Arn": "arn:{p}:iam::{a}:role/{name}"}),
    "AWS::IAM::ManagedPolicy": ("arn:{p}:iam::{a}:policy/{name}", {}),
    "AWS::Lambda::Function": ("{name}", {"Arn": "arn:{p}:lambda:{r}:{a}:function:{name}"}),
    "AWS::Logs::LogGroup": ("{name}", {"Arn": "arn:{p}:logs:{r}:{a}:log-group:{name}:*"}),
    "AWS::StepFunctions::StateMachine": ("arn:{p}:states:{r}:{a}:stateMachine:{name}", {"Name": "{name}"}),
    "AWS::SQS::Queue": ("https://sqs.{r}.amazonaws.com/{a}/{name}", {"Arn": "arn:{p}:sqs:{r}:{a}:{name}"}),
    "AWS::Athena::WorkGroup": ("{name}", {}),
    "AWS::Glue::Job": ("{name}", {}),
    "AWS::Glue::Connection": ("{name}", {}),
    "AWS::SSM::Parameter": ("{name}", {}),
    "AWS::KMS::Key": ("{name}", {"Arn": "arn:{p}:kms:{r}:{a}:key/{name}"}),
}


class NoManagedPolicies:
    """SAM asks IAM for the ARNs of managed policies named in `Policies`; offline there is no IAM to ask."""

    def load(self) -> dict[str, str]:
        return {}


NO_VALUE = object()  # Ref AWS::NoValue, directly or chosen by Fn::If: dropped from the list or mapping holding it


class Resolver:
    """Evaluates the intrinsics of a plain CloudFormation template to representative values: the parameters'
    defaults, overridden by `parameters`; records which way each Fn::If went (`branches`)."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.conditions: dict[str, Any] = template.get("Conditions", {})
        self.parameters = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        unknown = sorted(set(parameters or {}) - set(self.parameters))
        if unknown:
            raise ValueError(f"parameters {unknown} are not declared by the template")
        self.parameters.update(parameters or {})
        self.branches: dict[str, set[bool]] = {}

    def _format(self, text: str, logical_id: str) -> str:
        resource = self.resources[logical_id]
        name_property = NAME_PROPERTY.get(resource["Type"], "")
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Glue::Connection":  # its name is ConnectionInput.Name
            properties = properties.get("ConnectionInput", {})
            name_property = "Name"
        name = self.resolve(properties.get(name_property, logical_id))
        return text.format(p=PSEUDO["AWS::Partition"], r=PSEUDO["AWS::Region"], a=PSEUDO["AWS::AccountId"], name=name)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources and self.resources[name]["Type"] in REFS:
            return self._format(REFS[self.resources[name]["Type"]][0], name)
        raise ValueError(f"cannot resolve Ref {name!r}: not a parameter, and no Ref format for its type")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.resources.get(logical_id, {}).get("Type", "")
        formats = REFS.get(resource_type, ("", {}))[1]
        if attribute not in formats:
            raise ValueError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} (type {resource_type or 'unknown'})")
        return self._format(formats[attribute], logical_id)

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return str(self.resolve(variables[key]))
            if "." in key and not key.startswith("AWS::"):
                return self.get_att(*key.split(".", 1))
            return str(self.ref(key))

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text).replace("${!", "${")

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise ValueError(f"cannot resolve condition {name!r}: not in Conditions")
        return self.holds(self.conditions[name])

    def holds(self, value: Any) -> bool:
        """A condition function's value (Fn::And, Fn::Or, Fn::Not, Fn::Equals, Condition), as CloudFormation
        evaluates the Conditions section (AWS CloudFormation Template Reference, "Condition functions")."""
        ((key, arg),) = value.items()
        if key == "Condition":
            return self.condition(arg)
        if key in ("Fn::And", "Fn::Or"):
            results = [self.holds(v) for v in arg]
            return all(results) if key == "Fn::And" else any(results)
        if key == "Fn::Not":
            return not self.holds(arg[0])
        if key == "Fn::Equals":
            return str(self.resolve(arg[0])) == str(self.resolve(arg[1]))
        raise ValueError(f"cannot evaluate {key} as a condition")

    def _if(self, name: str, when_true: Any, when_false: Any) -> Any:
        chosen = self.condition(name)
        self.branches.setdefault(name, set()).add(chosen)
        return self.resolve(when_true if chosen else when_false)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not (isinstance(value, dict) and len(value) == 1):
            if isinstance(value, dict):
                return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not NO_VALUE}
            return value
        ((key, arg),) = value.items()
        if key == "Ref":
            return self.ref(arg)
        if key == "Fn::GetAtt":
            return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
        if key == "Fn::Sub":
            return self._sub(arg, {}) if isinstance(arg, str) else self._sub(arg[0], arg[1])
        if key == "Fn::Join":
            return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
        if key == "Fn::Split":
            return str(self.resolve(arg[1])).split(str(arg[0]))
        if key == "Fn::Select":
            index, items = int(self.resolve(arg[0])), self.resolve(arg[1])
            if not 0 <= index < len(items):
                raise ValueError(f"Fn::Select index {index} is out of range of {items!r}, as CloudFormation refuses")
            return items[index]
        if key == "Fn::If":
            return self._if(*arg)
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self.holds(value)
        if key.startswith("Fn::"):
            raise ValueError(f"cannot resolve {key} (add it to tests/static/policy_lint.py)")
        return {key: self.resolve(arg)}


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """Local code and definition paths become S3 URIs, as `sam package` uploads them (SAM refuses local paths)."""
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {}) if resource.get("Type", "").startswith("AWS::Serverless::") else {}
        for key in ("CodeUri", "DefinitionUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://sam-package/{props[key].strip('/')}"
    return template


def transformed(path: Path) -> dict[str, Any]:
    """The CloudFormation template SAM makes; each resource's Metadata (checkov skips) goes to what it generates."""
    template = packaged(yaml_parse(path.read_text()))
    return transform(template, {}, NoManagedPolicies(), passthrough_metadata=True)  # type: ignore[arg-type]


def policies(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(logical ID, policy name, document) of every identity and resource policy; trust policies are not linted."""
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if "PolicyDocument" in props:
            found.append((logical_id, str(props.get("PolicyName", resource["Type"])), props["PolicyDocument"]))
        for policy in props.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []:
            found.append((logical_id, str(policy["PolicyName"]), policy["PolicyDocument"]))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def lint_statement(statement: dict[str, Any]) -> list[dict[str, Any]]:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    policy = parliament.analyze_policy_string(document, ignore_private_auditors=True)
    found = [parliament.enhance_finding(f) for f in policy.findings]
    return [{"issue": f.issue, "title": f.title, "detail": f.detail} for f in found]


def lint(template: dict[str, Any], resolver: Resolver) -> list[dict[str, Any]]:
    findings = []
    for logical_id, policy_name, document in policies(template):
        for index, raw in enumerate(_as_list(document.get("Statement", []))):
            where = {"resource": logical_id, "policy": policy_name, "statement": index, "sid": raw.get("Sid", "")}
            try:
                statement = resolver.resolve(raw)
            except ValueError as error:
                actions = _as_list(raw.get("Action", raw.get("NotAction", [])))
                unresolved = {"issue": "UNRESOLVED", "title": "An intrinsic function could not be resolved"}
                findings.append({**where, "actions": actions, "resources": [], **unresolved, "detail": str(error)})
                continue
            if statement is NO_VALUE:  # an Fn::If chose AWS::NoValue: CloudFormation drops the statement
                continue
            actions = _as_list(statement.get("Action", statement.get("NotAction", [])))
            arns = _as_list(statement.get("Resource", statement.get("NotResource", [])))
            for finding in lint_statement(statement):
                findings.append({**where, "actions": actions, "resources": arns, **finding})
    return findings


def main(argv: list[str]) -> int:
    if argv[:1] == ["--transform"]:
        print(json.dumps(transformed(Path(argv[1])), indent=1))
        return 0
    branches_only = "--branches" in argv
    argv = [a for a in argv if a != "--branches"]
    sets: list[dict[str, str]] = []
    while argv[:1] == ["--parameters"]:
        sets.append(json.loads(argv[1]))
        argv = argv[2:]
    template = transformed(Path(argv[0]))
    findings: list[dict[str, Any]] = []
    branches: dict[str, set[bool]] = {}
    for number, parameters in enumerate(sets or [{}]):
        resolver = Resolver(template, parameters)
        findings += [{**f, "parameters": number} for f in lint(template, resolver)]
        for name, values in resolver.branches.items():
            branches.setdefault(name, set()).update(values)
    result: Any = {k: sorted(v) for k, v in sorted(branches.items())} if branches_only else findings
    print(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
