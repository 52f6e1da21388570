# Shortcuts for the README's two commands (scripts/run.sh, scripts/test.sh), which need
# only bash: a fresh Debian 12 may not have make yet. Both install missing Debian
# packages first (scripts/deps.sh, idempotent).
.PHONY: deps build run test bench fuzz clean

deps:
	@bash scripts/deps.sh

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default

# Runs the gateway on the embedded default config (or ~/.simpleclaw/config.yaml).
# Extra flags: make run ARGS="--port 18790 --verbose"
run:
	@bash scripts/run.sh $(ARGS)

test:
	@bash scripts/test.sh

bench: build
	@bash bench/run.sh build

clean:
	rm -rf build build-asan build-fuzz
