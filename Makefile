# The two commands of the README: `make demo` and `make test`. Each creates .venv from the pins when it is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := lambdas:glue_jobs

# The SAM CLI lives in its own tool venv: aws-sam-cli pins its own boto3, which would fight the project's pins.
SAM_VENV ?= .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
# Glue Python shell's own runtime (Python 3.9 + the modules template.yaml installs), for the Glue jobs' tests.
GLUE_VENV ?= .venv-glue39
PY39 ?= $(shell for c in python3.9 $$(pyenv root 2>/dev/null)/versions/3.9*/bin/python3.9; do \
	"$$c" -c "" 2>/dev/null && { echo "$$c"; break; }; done)
GLUE_STAMP := $(GLUE_VENV)/.installed
GLUE_TESTS := tests/functional/test_glue_export.py tests/functional/test_glue_publish.py
# The template's static checks (tests/static: SAM transform, IAM policy lint, checkov) run from their own tool venv,
# pinned in requirements-lint.txt (aws-sam-translator pins a pydantic the project's pin excludes).
LINT_VENV ?= .venv-lint
export LINT_VENV
LINT_STAMP := $(LINT_VENV)/.installed
STACK ?= autopersonalize
PARAMS_TEMPLATE ?= params/demo.json

.PHONY: demo test glue-py39 lint lint-tools validate bench deploy clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/autopersonalize demo

test: $(STAMP) $(LINT_STAMP)
	$(MAKE) -s lint
	$(PY) -m pytest -q -n 2 --dist loadfile
	@if [ -n "$(PY39)" ]; then $(MAKE) -s glue-py39; \
	else echo "no Python 3.9 here: the Glue jobs' tests ran on 3.11 only (make glue-py39 runs them on Glue's 3.9)"; fi

$(GLUE_STAMP): glue_jobs/requirements.txt glue_jobs/requirements-test.txt
	@test -n "$(PY39)" || { echo "make glue-py39 needs a Python 3.9 interpreter (python3.9 or pyenv's 3.9)"; exit 1; }
	test -x $(GLUE_VENV)/bin/python || $(PY39) -m venv $(GLUE_VENV)
	$(GLUE_VENV)/bin/pip install -q --disable-pip-version-check -r glue_jobs/requirements.txt -r glue_jobs/requirements-test.txt
	touch $@

$(LINT_STAMP): requirements-lint.txt
	test -x $(LINT_VENV)/bin/python || python3 -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-lint.txt
	touch $@

lint-tools: $(LINT_STAMP)

# The Glue jobs' tests on Glue Python shell's runtime: Python 3.9, pandas 2, the pins of glue_jobs/requirements.txt.
glue-py39: $(GLUE_STAMP)
	@echo "Glue jobs on Python 3.9 ($(GLUE_VENV)):"
	PYTHONPATH=glue_jobs $(GLUE_VENV)/bin/python -m pytest -q -p no:cacheprovider \
	  -W "ignore:Boto3 will no longer support Python 3.9" $(GLUE_TESTS)

# Static checks, fastest first; `make test` runs them before the tests, so CI enforces them.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy lambdas/workflow lambdas/serving glue_jobs autopersonalize setup.py
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
	rm -rf $(VENV) $(SAM_VENV) $(GLUE_VENV) $(LINT_VENV) .pytest_cache .mypy_cache .ruff_cache
