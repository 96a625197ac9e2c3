# First-principles AI: the course's commands. `make help` lists them.
# Every target sets up .venv with the pinned dependencies of pyproject.toml on first use.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
PHASES := phase0_math phase1_backprop phase2_attention phase3_transformer language_models tiny_transformer distillation control

.DEFAULT_GOAL := help
.PHONY: help setup grade check test test-browser stubs clean gradescope bench notebooks release autograde lab plots
.PHONY: status next hint watch reset solution readmes mutation submission merge snapshots

help: ## list the commands
	@echo "First-principles AI: rebuild the stack under a Transformer with numpy alone."
	@echo
	@echo "Learning (your work is never overwritten by these):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | grep -v '## (' | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Course authors and instructors (FORCE=1 overwrites files you edited, after a backup in .grader/backups/):"
	@grep -E '^[a-z-]+:.*## \(' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {sub(/^\([a-z]+\) /, "", $$2); printf "  make %-10s %s\n", $$1, $$2}'
	@echo
	@echo "  make grade TARGET=solutions     grade the reference instead of your work"
	@echo "  make grade SUBMISSIONS=dir      grade a class (results in grades/, or OUT=dir;"
	@echo "                                  PHASE= SEED= DECOUPLED=1 ROSTER=file SHARD=I/N)"
	@echo "  make check PHASE=phase0_math    public tests of one phase on your work"
	@echo "  make check EX=softmax           public tests of one exercise (number, name, phase0_math.gradcheck)"
	@echo "  make grade VERBOSE=1            every failing check's whole message"
	@echo "  make hint EX=softmax            a hint; again for the next level"

$(DEPS): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > $(VENV)/requirements.txt
	@echo "Installing the pinned dependencies into $(VENV) (once)..."
	@$(PY) -m pip install --disable-pip-version-check -q -r $(VENV)/requirements.txt
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "Installing bubblewrap (isolates graded code)..." && apt-get install -y -qq bubblewrap >/dev/null 2>&1; } || \
		echo "note: bubblewrap is not installed; graded code runs with resource limits only (see README)"
	@touch $@

setup: $(DEPS) ## create .venv with the pinned dependencies (automatic)

grade: $(DEPS) ## grade your work (all phases) and print the progress table
ifdef SUBMISSIONS
	@$(PY) -m grader batch "$(SUBMISSIONS)" --out "$(or $(OUT),grades)" $(if $(JOBS),--jobs $(JOBS)) \
		$(foreach p,$(PHASE),--phase $(p)) $(if $(DECOUPLED),--decoupled) $(if $(SEED),--seed $(SEED)) \
		$(if $(SHARD),--shard $(SHARD)) $(if $(ROSTER),--roster "$(ROSTER)")
else
	@$(PY) -m grader grade $(if $(TARGET),--target "$(TARGET)") $(foreach p,$(PHASE),--phase $(p)) $(if $(JSON),--json "$(JSON)") $(if $(DECOUPLED),--decoupled) $(if $(VERBOSE),--full)
endif

check: $(DEPS) ## public tests of PHASE, or of one exercise (EX=0.2)
	@if [ -z "$(PHASE)$(EX)" ]; then echo "usage: make check PHASE=<one of: $(PHASES)> [EX=exercise] [DECOUPLED=1]"; exit 2; fi
	@$(PY) -m grader check $(if $(EX),--exercise "$(EX)") $(if $(DECOUPLED),--decoupled) $(PHASE) $(ARGS)

test: $(DEPS) ## (authors) the repository's own tests (what CI runs; safe in a learner's checkout)
	@$(PY) -m pytest -n 2 -q -p no:cacheprovider grader/selftest --ignore=grader/selftest/browser

test-browser: $(DEPS) ## (authors) open a workbook in JupyterLab with a real headless Chromium (installs it as root)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq chromium >/dev/null; }
	@$(PY) -m pytest -q -p no:cacheprovider grader/selftest/browser

stubs: $(DEPS) ## (authors) regenerate the stubs and README tables; refuses edited files unless FORCE=1
	@$(PY) -m grader stubs $(if $(FORCE),--force)
	@$(PY) -m grader readmes $(if $(FORCE),--force)

status: $(DEPS) ## your progress: each exercise done, failing or not started
	@$(PY) -m grader status $(ARGS)

next: $(DEPS) ## the exercise to do now: where, what to read, how to check
	@$(PY) -m grader next $(ARGS)

hint: $(DEPS) ## a hint for EX (or the current exercise), a level at a time
	@$(PY) -m grader hint $(EX) $(if $(LEVEL),--level $(LEVEL))

watch: $(DEPS) ## rerun the current exercise's tests whenever you save
	@$(PY) -m grader watch $(ARGS)

reset: $(DEPS) ## put EX back to its stubs (your code is kept in .grader/)
	@if [ -z "$(EX)" ]; then echo "usage: make reset EX=<exercise number or name>"; exit 2; fi
	@$(PY) -m grader reset "$(EX)" $(ARGS)

solution: $(DEPS) ## your code against PHASE's reference, per function, once the grader says it is complete
	@if [ -z "$(PHASE)" ]; then echo "usage: make solution PHASE=<one of: $(PHASES)> [FORCE=1] [ARGS=--whole]"; exit 2; fi
	@$(PY) -m grader solution $(PHASE) $(if $(FORCE),--force) $(ARGS)

readmes: $(DEPS) ## (authors) write the READMEs' exercise tables from the manifest (FORCE=1: over edits)
	@$(PY) -m grader readmes $(if $(FORCE),--force) $(ARGS)

notebooks: $(DEPS) ## (authors) regenerate the workbooks from solutions/<path>/workbook.py (FORCE=1: over edits)
	@$(PY) -m grader notebooks $(if $(FORCE),--force)

COURSE ?= build/course

release: $(DEPS) ## (instructors) the nbgrader course (COURSE=build/course) and the student release (OUT=build/release)
	@$(PY) -m grader notebooks release --course "$(COURSE)" --out "$(or $(OUT),build/release)"

autograde: $(DEPS) ## (instructors) nbgrader: autograde COURSE's submitted/, export grades.csv, write feedback/
	@$(PY) -m grader notebooks autograde --course "$(COURSE)"

lab: $(DEPS) ## JupyterLab on the course, without nbgrader's instructor tools (DIR=build/course: with formgrader)
	@cd "$(or $(DIR),.)" && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" FPAI_ROOT="$(CURDIR)" \
		$(if $(DIR),,JUPYTER_CONFIG_PATH="$(CURDIR)/grader/learner/jupyter_config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}") \
		PYTHONPATH="$(CURDIR):$(CURDIR)/extensions$${PYTHONPATH:+:$$PYTHONPATH}" \
		"$(CURDIR)/$(VENV)/bin/jupyter" lab $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS)

plots: $(DEPS) ## the pictures of PHASE from your code (TARGET=solutions: from the reference)
	@if [ -z "$(PHASE)" ]; then echo "usage: make plots PHASE=<phase1_backprop, phase2_attention, ...> [OUT=dir]"; exit 2; fi
	@ROOT="$(abspath $(or $(TARGET),.))"; cd "$$ROOT" && PYTHONPATH="$$ROOT:$$ROOT/extensions" MPLBACKEND=Agg \
		"$(CURDIR)/$(PY)" -m $(PHASE).plots "$(abspath $(or $(OUT),build/plots/$(PHASE)))"

bench: $(DEPS) ## (authors) measure grading and reference-code speed; report in bench/results/
	@$(PY) bench/run.py $(ARGS)

snapshots: $(DEPS) ## (authors) write the public tests' golden cases from solutions/ (tests/_snapshots/*.npz)
	@$(PY) -m grader.authoring.snapshots $(ARGS)

mutation: $(DEPS) ## (authors) mutation score of the hidden tests on solutions/ (slow; PHASE=, LIMIT=N, RECHECK=1); bench/results/mutation.md
	@$(PY) -c "import cosmic_ray" 2>/dev/null || $(PY) -m pip install --disable-pip-version-check -q \
		"$$($(PY) -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['mutation'][0])")"
	@$(PY) -m grader.selftest.$(if $(RECHECK),mutation_recheck,mutation) $(foreach p,$(PHASE),--phase $(p)) \
		$(if $(RECHECK),,$(if $(LIMIT),--limit $(LIMIT))) $(ARGS)

gradescope: $(DEPS) ## (instructors) build the Gradescope autograder zip (build/gradescope/autograder.zip; VISIBILITY=after_due_date)
	@$(PY) -m grader.classroom.gradescope build $(if $(OUT),--out "$(OUT)") $(if $(VISIBILITY),--visibility $(VISIBILITY))

submission: $(DEPS) ## zip exactly the files the grader grades, to hand in (submission.zip, or OUT=file)
	@$(PY) -m grader submission $(if $(OUT),--out "$(OUT)")

merge: $(DEPS) ## (instructors) combine batch --shard outputs: make merge SHARDS="shards/0 shards/1" OUT=grades
	@$(PY) -m grader merge $(SHARDS) --out "$(or $(OUT),grades)"

clean: ## remove caches (keeps .venv, your work and any gradebook in grades/)
	@find . -name __pycache__ -type d -prune -exec rm -rf {} +
	@rm -rf .pytest_cache
