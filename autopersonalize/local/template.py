"""Read template.yaml as CloudFormation would: parameters, rules, conditions, Globals, the intrinsics we use, and
the physical names CloudFormation gives resources (their name property, else `<stack>-<LogicalId>-<suffix>`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK_NAME = "autopersonalize"  # samconfig.toml's stack_name
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
NAME_PROPERTIES = (
    "BucketName",
    "RoleName",
    "TableName",
    "TopicName",
    "FunctionName",
    "Name",
    "LogGroupName",
    "DashboardName",
)
# Longest generated name per type (S3 bucket names are also lower case); others get CloudFormation's usual 64.
MAX_GENERATED = {"AWS::S3::Bucket": 63, "AWS::Logs::LogGroup": 512}


class TemplateError(ValueError):
    """The template uses something the offline stack cannot reproduce: says what and where."""


class RuleAssertionError(TemplateError):
    """A false `Assert` in the template's Rules: CloudFormation refuses the stack operation (a ValidationError with
    the AssertDescription) before it creates anything."""


_FAST_LOADER: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader  # libyaml's scanner when built


class _TemplateYaml(_FAST_LOADER):
    """YAML as CloudFormation reads a template: the intrinsic functions' short forms are their full forms (`!Ref x`
    is {"Ref": x}, `!Sub s` {"Fn::Sub": s}, `!GetAtt a.b` {"Fn::GetAtt": ["a", "b"]}: AWS CloudFormation Template
    Reference, "Intrinsic function reference", each function's "Syntax for the short form"), and a key may appear
    only once in a mapping (cfn-lint's template decoder refuses a duplicate, as this reader did through it)."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        value = value.split(".", 1) if name == "Fn::GetAtt" else value
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    lines: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in lines:
            raise TemplateError(
                f"{loader.name}: line {key_node.start_mark.line + 1}: key {key!r} appears again in the mapping "
                f"that has it on line {lines[key] + 1}; keep one of them"
            )
        lines[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=True)


_TemplateYaml.add_multi_constructor("!", _short_form)
_TemplateYaml.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(path: Path) -> dict[str, Any]:
    """The template at `path` as a dict. (cfn-lint's decoder did this before; importing it cost ~0.6 s of CPU.)"""
    loader = _TemplateYaml(path.read_text())
    loader.name = str(path)
    try:
        return dict(loader.get_single_data() or {})
    finally:
        loader.dispose()


def generated_name(logical_id: str, resource_type: str) -> str:
    """The name CloudFormation generates for a resource without a name property: `<stack>-<LogicalId>-<suffix>`
    (e.g. `MyStack-MyBucket-abcdefghijk1`, AWS CloudFormation User Guide, "Name type"), the stack and logical ID cut
    to fit; new on every creation on AWS, a stable digest of the logical ID offline."""
    suffix = hashlib.sha256(f"{STACK_NAME}/{logical_id}".encode()).hexdigest()[:12].upper()
    room = MAX_GENERATED.get(resource_type, 64) - len(suffix) - 2
    stack = STACK_NAME[: room // 2]
    name = f"{stack}-{logical_id[: room - len(stack)]}-{suffix}"
    return name.lower() if resource_type == "AWS::S3::Bucket" else name


def physical_id(logical_id: str, resource: dict[str, Any], resolve: Any) -> str:
    """The name a resource gets: its explicit name property when it has one, else the one CloudFormation generates."""
    props = resource.get("Properties", {})
    for wrapper in ("ConnectionInput", "DatabaseInput"):  # AWS::Glue::Connection, ::Database: Ref returns its Name
        if "Name" in props.get(wrapper, {}):
            return str(resolve(props[wrapper]["Name"]))
    for key in NAME_PROPERTIES:
        if key in props:
            return str(resolve(props[key]))
    return generated_name(logical_id, str(resource.get("Type", "")))


def parameter_problems(name: str, spec: dict[str, Any], value: str) -> list[str]:
    """What CloudFormation refuses in a parameter value before it creates anything (User Guide, "Parameters":
    AllowedValues, AllowedPattern matching the whole value (each item of a CommaDelimitedList), Min/MaxLength of a
    String, Min/MaxValue of a Number), with its wording: the ConstraintDescription when there is one."""
    kind = spec.get("Type", "String")
    found: list[str] = []
    if kind == "Number":
        try:
            number = float(value)
        except ValueError:
            return [f"Parameter '{name}' must be a number"]
        if "MinValue" in spec and number < float(spec["MinValue"]):
            found.append(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            found.append(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")
    items = value.split(",") if kind == "CommaDelimitedList" and value else [value]
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        found.append(f"Parameter '{name}' must be one of AllowedValues")
    if "AllowedPattern" in spec and not all(re.fullmatch(str(spec["AllowedPattern"]), item) for item in items):
        found.append(f"Parameter '{name}' must match pattern {spec['AllowedPattern']}")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        found.append(f"Parameter '{name}' must contain at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        found.append(f"Parameter '{name}' must contain at most {spec['MaxLength']} characters")
    if found and "ConstraintDescription" in spec:
        return [f"Parameter {name} failed to satisfy constraint: {spec['ConstraintDescription']}"]
    return found


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


NO_VALUE = object()  # what Ref AWS::NoValue (directly or through Fn::If) resolves to
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
        problems = [p for name, spec in declared.items() for p in parameter_problems(name, spec, values[name])]
        if problems:
            raise TemplateError(f"{path}: " + "; ".join(problems))
        template = cls(body, values)
        for logical_id, resource in template.resources.items():
            template.names[logical_id] = physical_id(logical_id, resource, template.resolve)
        return template

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Resources", {}))

    def check_rules(self) -> None:
        """The Rules section, as CloudFormation checks it before creating or updating anything: every Assert of each
        rule whose RuleCondition holds (or that has none) must be true; RuleAssertionError lists the false ones'
        AssertDescriptions (AWS CloudFormation User Guide, "CloudFormation template Rules syntax")."""
        failed = []
        for name, rule in self.body.get("Rules", {}).items():
            if "RuleCondition" in rule and not self._rule(rule["RuleCondition"]):
                continue
            failed += [
                a.get("AssertDescription", f"rule {name}") for a in rule["Assertions"] if not self._rule(a["Assert"])
            ]
        if failed:
            raise RuleAssertionError("\n".join(failed))

    def _rule(self, value: Any) -> Any:
        """A rule-specific intrinsic's value (Fn::And, Or, Not, Equals, Contains, EachMemberEquals, EachMemberIn)."""
        if not isinstance(value, dict):
            return [self._rule(v) for v in value] if isinstance(value, list) else value
        ((key, arg),) = value.items()
        if key == "Ref":
            return self.ref(arg)
        args = [self._rule(a) for a in arg] if isinstance(arg, list) else [self._rule(arg)]
        functions = {
            "Fn::And": lambda: all(args),
            "Fn::Or": lambda: any(args),
            "Fn::Not": lambda: not args[0],
            "Fn::Equals": lambda: str(args[0]) == str(args[1]),
            "Fn::Contains": lambda: str(args[1]) in [str(v) for v in args[0]],
            "Fn::EachMemberEquals": lambda: all(str(v) == str(args[1]) for v in args[0]),
            "Fn::EachMemberIn": lambda: {str(v) for v in args[0]} <= {str(v) for v in args[1]},
        }
        if key not in functions:
            raise TemplateError(f"template.yaml: rule function {key} is not supported offline")
        return functions[key]()

    def condition(self, name: str) -> bool:
        return self._holds(self.body.get("Conditions", {})[name])

    def _holds(self, value: Any) -> bool:
        """A condition function's value: Fn::And, Fn::Or, Fn::Not, Condition (another condition), else Fn::Equals
        (AWS CloudFormation Template Reference, "Condition functions")."""
        ((key, arg),) = value.items()
        if key == "Condition":
            return self.condition(arg)
        if key in ("Fn::And", "Fn::Or"):
            results = [self._holds(v) for v in arg]
            return all(results) if key == "Fn::And" else any(results)
        if key == "Fn::Not":
            return not self._holds(arg[0])
        return bool(self.resolve(value))

    def included(self, resource: dict[str, Any]) -> bool:
        return "Condition" not in resource or self.condition(resource["Condition"])

    def globals_for(self, section: str) -> dict[str, Any]:
        return dict(self.body.get("Globals", {}).get(section, {}))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE  # dropped by the list or mapping that holds it, as CloudFormation drops it
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": STACK_ID,
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
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
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
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not NO_VALUE}
