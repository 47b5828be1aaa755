"""IAM is enforced offline (issue 12, guard 1): every caller signs as a known principal and is allowed by its policies.

The stack's Lambdas, Glue jobs and state machines sign as their own roles from template.yaml; the emulator authorises
each Personalize call against the caller's policies (resource ARNs, PassRole, TagResource) and reads and writes S3 for
jobs as the job's role, under the bucket policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from autopersonalize.local import iam, offline_aws, patches
from autopersonalize.local.stack import PARAMS_BY_HAND, OfflineStack, deploy_stack
from tests.e2e import workflow_support as ws

ACCOUNT = "123456789012"
PERSONALIZE = f"arn:aws:personalize:us-east-1:{ACCOUNT}"


@pytest.fixture
def stack() -> Iterator[OfflineStack]:
    with offline_aws():
        yield deploy_stack(parameters=PARAMS_BY_HAND)


def as_role(role_arn: str, service: str) -> Any:
    """A client signing as `role_arn`, as the stack's code does."""
    _, session = iam.role_session(role_arn, "test", "us-east-1", patches.SERVICE_MODELS)
    return session.client(service, region_name="us-east-1")


def role_of(stack: OfflineStack, logical_id: str) -> str:
    return str(boto3.client("lambda").get_function_configuration(FunctionName=stack.name(logical_id))["Role"])


def personalize_role(stack: OfflineStack) -> str:
    return stack.template.get_att("PersonalizeRole", "Arn")


def code_and_message(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def make_role(name: str, service: str, statements: list[dict[str, Any]]) -> str:
    client = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn = str(client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    if statements:
        document = json.dumps({"Version": "2012-10-17", "Statement": statements})
        client.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=document)
    return arn


def test_iam_unknown_credentials_are_refused() -> None:
    with offline_aws():
        s3 = boto3.client("s3", aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x")
        with pytest.raises(ClientError) as error:
            s3.list_buckets()
    assert error.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_iam_each_function_runs_as_its_own_template_role(stack: OfflineStack) -> None:
    roles = {logical_id: role_of(stack, logical_id) for logical_id in ("LoadParamsFunction", "PublishFunction")}
    assert roles == {
        "LoadParamsFunction": f"arn:aws:iam::{ACCOUNT}:role/LoadParamsFunctionRole",
        "PublishFunction": f"arn:aws:iam::{ACCOUNT}:role/PublishFunctionRole",
    }


def test_iam_a_role_lacking_an_action_is_access_denied(stack: OfflineStack) -> None:
    # Publish writes SSM parameters; listing the data bucket is not its business
    s3 = as_role(role_of(stack, "PublishFunction"), "s3")
    with pytest.raises(ClientError) as error:
        s3.list_objects_v2(Bucket=stack.bucket)
    assert code_and_message(error) == ("AccessDenied", "Access Denied")


def test_iam_load_params_lists_the_data_locations_as_its_own_role(stack: OfflineStack) -> None:
    # R1: Load Params counts the rows under each dataLocation (ListObjectsV2 = s3:ListBucket on the bucket ARN)
    ws_params = ws.params(ws.upload_data(stack.bucket))
    # not under params/: that would start the training machine too, which this test does not wait for
    stack.client("s3").put_object(Bucket=stack.bucket, Key="manual/demo.json", Body=json.dumps(ws_params).encode())
    event = {"detail": {"bucket": {"name": stack.bucket}, "object": {"key": "manual/demo.json"}}}
    payload = {
        "event": event,
        "executionId": f"arn:aws:states:us-east-1:{ACCOUNT}:execution:x:e1",
        "executionName": "e1",
    }
    response = boto3.client("lambda").invoke(FunctionName=stack.name("LoadParamsFunction"), Payload=json.dumps(payload))
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    assert result["run"]["datasetGroup"] == "demo"


def test_iam_personalize_call_outside_the_role_is_access_denied(stack: OfflineStack) -> None:
    personalize = as_role(role_of(stack, "CheckImportFunction"), "personalize")
    with pytest.raises(ClientError) as error:
        personalize.create_dataset_group(name="ap-demo")
    role = "arn:aws:sts::123456789012:assumed-role/CheckImportFunctionRole/test"
    assert code_and_message(error) == (
        "AccessDeniedException",
        f"User: {role} is not authorized to perform: personalize:CreateDatasetGroup on resource: "
        f"{PERSONALIZE}:dataset-group/ap-demo because no identity-based policy allows it.",
    )


def test_iam_personalize_resources_are_scoped_to_the_prefix(stack: OfflineStack) -> None:
    personalize = as_role(role_of(stack, "EnsureDatasetGroupFunction"), "personalize")
    assert personalize.create_dataset_group(name="ap-mine")["datasetGroupArn"] == f"{PERSONALIZE}:dataset-group/ap-mine"
    with pytest.raises(ClientError) as error:
        personalize.create_dataset_group(name="someone-elses")
    assert code_and_message(error)[0] == "AccessDeniedException"
    assert "dataset-group/someone-elses" in code_and_message(error)[1]


def test_iam_tagged_create_needs_tag_resource(stack: OfflineStack) -> None:
    # Check Import may describe import jobs only: a role with CreateDatasetGroup but not TagResource cannot tag
    role = make_role(
        "creates-groups",
        "lambda.amazonaws.com",
        [{"Effect": "Allow", "Action": "personalize:CreateDatasetGroup", "Resource": f"{PERSONALIZE}:dataset-group/*"}],
    )
    personalize = as_role(role, "personalize")
    personalize.create_dataset_group(name="ap-plain")
    with pytest.raises(ClientError) as error:
        personalize.create_dataset_group(name="ap-tagged", tags=[{"tagKey": "team", "tagValue": "recs"}])
    assert code_and_message(error)[1].endswith(
        "is not authorized to perform: personalize:TagResource on resource: * because no identity-based policy "
        "allows it."
    )


def test_iam_pass_role_needs_the_personalize_service_condition(stack: OfflineStack) -> None:
    anywhere = make_role(
        "passes-to-glue",
        "lambda.amazonaws.com",
        [
            {"Effect": "Allow", "Action": "personalize:CreateDatasetImportJob", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
            },
        ],
    )
    personalize = as_role(anywhere, "personalize")
    with pytest.raises(ClientError) as error:
        personalize.create_dataset_import_job(
            jobName="ap-x",
            datasetArn=f"{PERSONALIZE}:dataset/ap-demo/INTERACTIONS",
            dataSource={"dataLocation": f"s3://{stack.bucket}/exports/"},
            roleArn=personalize_role(stack),
        )
    assert "is not authorized to perform: iam:PassRole on resource: arn:aws:iam::" in code_and_message(error)[1]


def import_job(personalize: Any, bucket: str, role: str, location: str) -> dict[str, Any]:
    group = personalize.create_dataset_group(name="ap-imports")["datasetGroupArn"]
    schema = personalize.create_schema(
        name="ap-imports", schema=(ws.REPO / "schemas" / "interactions.avsc").read_text()
    )
    schema = schema["schemaArn"]
    dataset = personalize.create_dataset(
        name="ap-imports", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    job = personalize.create_dataset_import_job(
        jobName="ap-imports-1", datasetArn=dataset, dataSource={"dataLocation": location}, roleArn=role
    )["datasetImportJobArn"]
    return dict(personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])


def test_iam_import_reads_as_the_personalize_role_under_the_bucket_policy(stack: OfflineStack) -> None:
    locations = ws.upload_data(stack.bucket)
    role = personalize_role(stack)
    job = import_job(boto3.client("personalize"), stack.bucket, role, locations["Interactions"])
    assert job["status"] == "ACTIVE", job.get("failureReason")


def test_iam_import_fails_without_the_bucket_policy(stack: OfflineStack) -> None:
    locations = ws.upload_data(stack.bucket)
    boto3.client("s3").delete_bucket_policy(Bucket=stack.bucket)
    role = personalize_role(stack)
    job = import_job(boto3.client("personalize"), stack.bucket, role, locations["Interactions"])
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        f"Insufficient privileges for s3:ListBucket on arn:aws:s3:::{stack.bucket}: the bucket policy does not allow "
        f"personalize.amazonaws.com s3:ListBucket on arn:aws:s3:::{stack.bucket}. Personalize needs the role to allow "
        f"it and the bucket policy of {stack.bucket} to allow the service principal personalize.amazonaws.com."
    )


def test_iam_import_fails_when_the_role_cannot_read_the_data(stack: OfflineStack) -> None:
    locations = ws.upload_data(stack.bucket)
    reader = make_role("reads-nothing", "personalize.amazonaws.com", [])
    job = import_job(boto3.client("personalize"), stack.bucket, reader, locations["Interactions"])
    assert job["status"] == "CREATE FAILED"
    assert f"the role {reader} does not allow s3:ListBucket on arn:aws:s3:::{stack.bucket}" in job["failureReason"]


def test_iam_kms_dataset_group_needs_the_role_to_use_the_key(stack: OfflineStack) -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    role = personalize_role(stack)  # deployed without PersonalizeKmsKeyArn
    with pytest.raises(ClientError) as error:
        boto3.client("personalize").create_dataset_group(name="ap-secret", kmsKeyArn=key, roleArn=role)
    assert code_and_message(error) == (
        "InvalidInputException",
        f"Amazon Personalize cannot use the KMS key {key} with role {role}: the role does not allow kms:Decrypt, "
        "kms:GenerateDataKey, kms:DescribeKey on the key. Grant them (see 'Giving Amazon Personalize permission to "
        "use your AWS KMS key').",
    )


def test_iam_kms_key_parameter_grants_the_personalize_role_the_key() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with offline_aws():
        stack = deploy_stack(parameters={**PARAMS_BY_HAND, "PersonalizeKmsKeyArn": key})
        role = personalize_role(stack)
        group = boto3.client("personalize").create_dataset_group(name="ap-secret", kmsKeyArn=key, roleArn=role)
    assert group["datasetGroupArn"] == f"{PERSONALIZE}:dataset-group/ap-secret"


def test_iam_missing_object_is_403_without_list_bucket_and_404_with_it(stack: OfflineStack) -> None:
    # S3 hides whether a key exists from a caller that may not list the bucket (a missing schemaFile, say)
    reader = make_role(
        "reads-objects", "lambda.amazonaws.com", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
    )
    with pytest.raises(ClientError) as hidden:
        as_role(reader, "s3").get_object(Bucket=stack.bucket, Key="schemas/missing.avsc")
    with pytest.raises(ClientError) as missing:
        boto3.client("s3").get_object(Bucket=stack.bucket, Key="schemas/missing.avsc")
    assert (hidden.value.response["Error"]["Code"], missing.value.response["Error"]["Code"]) == (
        "AccessDenied",
        "NoSuchKey",
    )


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("batch/out/users.json.out", ""),
        ("params/demo.json", "the role {role} does not allow s3:PutObject on arn:aws:s3:::{bucket}/params/demo.json"),
        ("exports/r1/x.csv", "the role {role} does not allow s3:PutObject on arn:aws:s3:::{bucket}/exports/r1/x.csv"),
    ],
)
def test_iam_personalize_writes_only_batch_output(stack: OfflineStack, key: str, why: str) -> None:
    # S3: params/ starts runs and exports/ feeds them; Personalize (batch inference) may write under batch/ only
    from autopersonalize.emulator import auth

    role, bucket = personalize_role(stack), stack.bucket
    policy = boto3.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    job = f"{PERSONALIZE}:batch-inference-job/ap-demo-x"
    found = auth.service_may(ACCOUNT, role, job, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", policy)
    assert found == why.format(role=role, bucket=bucket)


def test_iam_bucket_policy_refuses_other_accounts_personalize(stack: OfflineStack) -> None:
    from autopersonalize.emulator import auth

    role, bucket = personalize_role(stack), stack.bucket
    policy = boto3.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    theirs = "arn:aws:personalize:us-east-1:999999999999:dataset-import-job/x"
    found = auth.service_may(ACCOUNT, role, theirs, "s3:GetObject", f"arn:aws:s3:::{bucket}/exports/a.csv", policy)
    assert found == f"the role {role} does not exist or does not trust personalize.amazonaws.com"
