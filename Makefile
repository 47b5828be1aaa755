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
GLUE_TESTS := tests/functional/test_glue_export.py tests/functional/test_glue_publish.py tests/functional/test_hostile_files.py tests/functional/test_glue_inflation.py \
	tests/functional/test_glue_database.py tests/functional/test_glue_schema_change.py
# Wheelhouses as the clouds install (scripts/wheelhouse.py), kept between runs, redone when their pins change: Glue
# Python shell's (cp39, manylinux2014_x86_64: no source builds) and the Lambda bundle's (template.yaml's Runtime and
# Architectures, plus the same pins for this machine, to import every Handler from in a clean Python 3.12).
WHEELS ?= .wheelhouse
GLUE_WHEELS := $(WHEELS)/glue-py39
LAMBDA_WHEELS := $(WHEELS)/lambda
PY312 ?= $(shell for c in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
	"$$c" -c "" 2>/dev/null && { echo "$$c"; break; }; done)
# The template's static checks (tests/static: SAM transform, IAM policy lint, checkov) run from their own tool venv,
# pinned in requirements-lint.txt (aws-sam-translator pins a pydantic the project's pin excludes).
LINT_VENV ?= .venv-lint
export LINT_VENV
LINT_STAMP := $(LINT_VENV)/.installed
STACK ?= autopersonalize
PARAMS_TEMPLATE ?= params/demo.json

.PHONY: demo test db-servers browser glue-wheels glue-py39 lambda-bundle lint lint-tools validate bench deploy clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v java >/dev/null || { apt-get update -q && apt-get install -y -q openjdk-17-jre-headless; }  # PySpark
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/autopersonalize demo

test: $(STAMP) $(LINT_STAMP) db-servers browser
	$(MAKE) -s lint
	$(MAKE) -s glue-wheels lambda-bundle
	$(PY) -m pytest -q -n 2 --dist loadfile
	@if [ -n "$(PY39)" ]; then $(MAKE) -s glue-py39; \
	else echo "no Python 3.9 here: the Glue jobs' tests ran on 3.11 only (make glue-py39 runs them on Glue's 3.9)"; fi

# The database servers the database sources' tests start (tests/db_servers.py): PostgreSQL and MariaDB from Debian's
# packages, installed when missing (as root, or through sudo); the tests start and stop their own instances.
DB_PACKAGES := postgresql mariadb-server-core mariadb-client-core
db-servers:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && test -x /usr/sbin/mariadbd \
	  && test -x /usr/bin/mariadb-install-db && test -x /usr/bin/my_print_defaults; then :; else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    $(DB_PACKAGES) >/dev/null; fi

# The headless browser the report's page is tested in (tests/browser.py): Debian's chromium, installed when missing.
BROWSER_PACKAGES := chromium
browser:
	@if command -v chromium >/dev/null 2>&1; then :; else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    $(BROWSER_PACKAGES) >/dev/null; fi

$(GLUE_WHEELS)/.runtime: glue_jobs/requirements.txt scripts/wheelhouse.py | $(STAMP)
	$(PY) scripts/wheelhouse.py glue --dest $(GLUE_WHEELS)
	touch $@

# Glue's wheels exist for its platform, in an order that installs, and template.yaml lists exactly those.
glue-wheels: $(GLUE_WHEELS)/.runtime
	$(PY) scripts/wheelhouse.py glue-template --dest $(GLUE_WHEELS)

$(GLUE_WHEELS)/.test: glue_jobs/requirements-test.txt scripts/wheelhouse.py | $(STAMP)
	@test -n "$(PY39)" || { echo "make glue-py39 needs a Python 3.9 interpreter (python3.9 or pyenv's 3.9)"; exit 1; }
	$(PY) scripts/wheelhouse.py glue-test --python $(PY39) --dest $(GLUE_WHEELS)
	touch $@

# Only the wheels above: no index, and none of this machine's pip configuration (its own wheels, extra indexes).
$(GLUE_STAMP): $(GLUE_WHEELS)/.runtime $(GLUE_WHEELS)/.test
	rm -rf $(GLUE_VENV) && $(PY39) -m venv $(GLUE_VENV)
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(GLUE_VENV)/bin/pip install -q --disable-pip-version-check \
	  --no-index --find-links $(GLUE_WHEELS) -r glue_jobs/requirements.txt -r glue_jobs/requirements-test.txt
	touch $@

$(LAMBDA_WHEELS)/.installed: lambdas/requirements.txt template.yaml scripts/wheelhouse.py | $(STAMP)
	$(PY) scripts/wheelhouse.py lambda-wheels --dest $(LAMBDA_WHEELS) $(if $(PY312),--python $(PY312))
	touch $@

# What sam build bundles: a wheel per pin for the functions' runtime and architecture; every Handler imports from
# those pins alone (no .venv, no autopersonalize, no runtime-provided boto3).
lambda-bundle: $(LAMBDA_WHEELS)/.installed
	@if [ -n "$(PY312)" ]; then $(PY) scripts/wheelhouse.py lambda-imports --dest $(LAMBDA_WHEELS) --python $(PY312); \
	else echo "no Python 3.12 here: the handlers' import check from the bundle did not run"; fi

$(LINT_STAMP): requirements-lint.txt
	test -x $(LINT_VENV)/bin/python || python3 -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-lint.txt
	touch $@

lint-tools: $(LINT_STAMP)

# The Glue jobs' tests on Glue Python shell's runtime: Python 3.9, pandas 2, the pins of glue_jobs/requirements.txt.
glue-py39: $(GLUE_STAMP) db-servers
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
# params read from the data bucket (sam does not package --extra-py-files, schemas or the params template), and the
# Glue jobs' wheels (make glue-wheels: the pins of glue_jobs/requirements.txt, which --extra-py-files lists).
# sam deploy takes its defaults from samconfig.toml (CAPABILITY_IAM, resolve_s3, confirm_changeset); --guided asks for
# each parameter (the template's Rules refuse the empty sources, naming them) and offers to save the answers there,
# after which `make deploy GUIDED=` deploys again without questions. docs/aws.md walks through it.
GUIDED ?= --guided
deploy: $(SAM) glue-wheels
	$(SAM) build && $(SAM) deploy $(GUIDED) --stack-name $(STACK)
	bucket=$$(aws cloudformation describe-stacks --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='DataBucketName'].OutputValue" --output text) && \
	aws s3 cp glue_jobs/ s3://$$bucket/glue/ --recursive --exclude "*" --include "*.py" && \
	aws s3 cp schemas/ s3://$$bucket/schemas/ --recursive --exclude "*" --include "*.avsc" && \
	aws s3 cp $(GLUE_WHEELS)/runtime/ s3://$$bucket/glue/wheels/ --recursive --exclude "*" --include "*.whl" && \
	aws s3 cp $(PARAMS_TEMPLATE) s3://$$bucket/templates/params.json

clean:
	rm -rf $(VENV) $(SAM_VENV) $(GLUE_VENV) $(LINT_VENV) $(WHEELS) .pytest_cache .mypy_cache .ruff_cache
