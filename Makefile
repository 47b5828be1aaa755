# The two commands of the README: `make demo` and `make test`. Each creates .venv from the pins when it is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := lambdas:glue_jobs

# The SAM CLI lives in its own tool venv: aws-sam-cli pins its own boto3, which would fight the project's pins.
SAM_VENV ?= .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
STACK ?= autopersonalize
PARAMS_TEMPLATE ?= params/demo.json

.PHONY: demo test lint validate bench deploy clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/autopersonalize demo

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy lambdas/workflow lambdas/serving glue_jobs autopersonalize
	$(VENV)/bin/cfn-lint template.yaml

$(SAM):
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION) || { rm -rf $(SAM_VENV); exit 1; }

# sam validate works offline (fake credentials: it reads none); skipped with a message when the SAM CLI cannot be
# installed (no package registry).
validate: lint
	@$(MAKE) -s $(SAM) || echo "aws-sam-cli==$(SAM_CLI_VERSION) could not be installed into $(SAM_VENV)"
	@if [ -x $(SAM) ]; then \
	  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline \
	    $(SAM) validate --lint --template template.yaml; \
	else echo "skipped 'sam validate --lint' (cfn-lint ran above)"; fi

bench: $(STAMP)
	$(VENV)/bin/autopersonalize bench

# Needs AWS credentials and the AWS CLI (not available offline). After the stack: the files the Glue jobs and the
# params read from the data bucket (sam does not package --extra-py-files, schemas or the params template).
deploy: $(SAM)
	$(SAM) build && $(SAM) deploy --guided --stack-name $(STACK)
	bucket=$$(aws cloudformation describe-stacks --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='DataBucketName'].OutputValue" --output text) && \
	for module in personalize_export digests; do aws s3 cp glue_jobs/$$module.py s3://$$bucket/glue/$$module.py || exit 1; done && \
	aws s3 cp schemas/ s3://$$bucket/schemas/ --recursive --exclude "*" --include "*.avsc" && \
	aws s3 cp $(PARAMS_TEMPLATE) s3://$$bucket/templates/params.json

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .mypy_cache .ruff_cache
