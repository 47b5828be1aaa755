# The two commands of the README: `make demo` and `make test`. Each creates .venv from the pins when it is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := lambdas:glue_jobs

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

validate: lint
	@if command -v sam >/dev/null 2>&1; then sam validate --lint; else echo "sam not installed: skipped 'sam validate --lint' (cfn-lint ran above)"; fi

bench: $(STAMP)
	$(VENV)/bin/autopersonalize bench

# Needs the SAM CLI and AWS credentials (not available offline). After the stack: the files the Glue jobs and the
# params read from the data bucket (sam does not package --extra-py-files, schemas or the params template).
deploy:
	sam build && sam deploy --guided --stack-name $(STACK)
	bucket=$$(aws cloudformation describe-stacks --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='DataBucketName'].OutputValue" --output text) && \
	for module in personalize_export digests; do aws s3 cp glue_jobs/$$module.py s3://$$bucket/glue/$$module.py || exit 1; done && \
	aws s3 cp schemas/ s3://$$bucket/schemas/ --recursive --exclude "*" --include "*.avsc" && \
	aws s3 cp $(PARAMS_TEMPLATE) s3://$$bucket/templates/params.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
