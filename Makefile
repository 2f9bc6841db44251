# Two commands do everything: `make lab` opens the tutorial, `make test` runs every test.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BROWSER_STAMP := $(VENV)/.browser

.PHONY: lab test test-aws-account lint bench notebooks check-pythons emulator-stop emulator-env clean

# What a learner needs (requirements.txt), nothing more
$(STAMP): requirements.txt requirements-bootstrap.txt constraints.txt pyproject.toml scripts/setup.sh \
		scripts/jupyterlab-overrides.json
	bash scripts/setup.sh
	touch $(STAMP)

# The test tools (requirements-test.txt), added by `make test` even if `make lab` came first
$(TEST_STAMP): $(STAMP) requirements-test.txt
	bash scripts/setup.sh test
	touch $(TEST_STAMP)

# Chromium, for tests/test_browser.py only: learners who just open the tutorial never need it
$(BROWSER_STAMP): $(STAMP)
	bash scripts/setup.sh browser
	touch $(BROWSER_STAMP)

## lab: set up on first use, then open JupyterLab on notebooks/, at the overview notebook
## (the Korean edition's: make lab NOTEBOOK=ko/00_overview.ipynb)
# (root, e.g. in a container, needs --allow-root; JupyterLab refuses to start otherwise)
NOTEBOOK ?= 00_overview.ipynb
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/$(NOTEBOOK) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## test: set up on first use, then lint, unit tests and every notebook under strict nbval,
## on TEST_WORKERS processes side by side (pytest-xdist; each with an emulator of its own).
## Most tests wait more than they compute (IAM on the aws-target stand-in, executions,
## kernels), so even 2 cores keep 4 busy. TEST_WORKERS=0 runs them in this one process.
TEST_WORKERS ?= 4
test: $(TEST_STAMP) $(BROWSER_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n $(TEST_WORKERS)

## test-aws-account: every notebook against a REAL AWS account, then 99_clean_up, then a check
## that nothing tagged created-by=sfn-tutorial remains. It creates real resources, so it needs
## AWS_PROFILE and SFN_TUTORIAL_CONFIRM_AWS=yes (see README, "Testing against a real account")
test-aws-account: $(TEST_STAMP)
	$(PY) scripts/run_aws_account.py

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## check-pythons: each supported Python found here gets a fresh learner set-up in a temporary
## folder and runs notebook 04 under strict nbval; one line per version (needs no .venv)
check-pythons:
	bash scripts/check_pythons.sh

## bench: speed goals, printed as JSON lines
bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do $(PY) $$script; done

## notebooks: re-run every notebook on a fresh emulator and store its outputs, then the Korean
## twins (notebooks/ko/) on another (NAMES="04_executions.ipynb ko/04_executions.ipynb": only those)
notebooks: $(STAMP)
	$(PY) scripts/run_notebooks.py $(NAMES)

## emulator-stop: stop your local emulator (it forgets everything)
emulator-stop: $(STAMP)
	$(PY) -m sfn_tutorial.emulator.server --stop

## emulator-env: print the export lines that point the AWS CLI at your emulator
## (use: eval "$$(make -s emulator-env)")
emulator-env: $(STAMP)
	@$(PY) -m sfn_tutorial.emulator.server --env

clean:
	rm -rf $(VENV) .aws-cli .pytest_cache test-artifacts
