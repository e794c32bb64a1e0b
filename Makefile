# Porte-voix: thin wrapper over CMake. `make demo` and `make test` do all
# the set-up on a fresh Debian 12 machine (see README.md).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE := build/release
TEST := build/test

.PHONY: all deps build test check fuzz-smoke arm64 bench demo screens tts format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(RELEASE) -j $(JOBS)

# Sanitizer build (ASan + UBSan, -Werror), a short fuzz run of the survey
# loader, then every ctest test.
test: deps
	cmake -S . -B $(TEST) -DCMAKE_BUILD_TYPE=Debug -DPV_SANITIZE=ON
	cmake --build $(TEST) -j $(JOBS)
	scripts/fuzz-smoke.sh
	ctest --test-dir $(TEST) --output-on-failure -j $(JOBS)

check: deps
	cmake -S . -B $(TEST) -DCMAKE_BUILD_TYPE=Debug -DPV_SANITIZE=ON
	cmake --build $(TEST) -j $(JOBS)
	ctest --test-dir $(TEST) --output-on-failure -j $(JOBS)

fuzz-smoke: deps
	scripts/fuzz-smoke.sh

# Raspberry Pi (as root): .deb packages for amd64 and arm64, lintian, the
# installed kiosk run headless, and every test cross-built for arm64 under
# qemu-aarch64, all in a Debian 12 chroot (scripts/arm64-ci.sh).
arm64:
	scripts/arm64-ci.sh

# The kiosk row (bench/kiosk-bench.sh) compares with headless Chromium,
# installed from scripts/debian-packages-bench.txt when root (skipped
# otherwise); BENCH_IDLE_SECONDS=5 shortens its 60 s idle-CPU run.
bench: build
	$(RELEASE)/bench/bench_survey content/surveys
	$(RELEASE)/bench/bench_store build
	$(RELEASE)/bench/bench_drawing content/surveys
	BUILD=$(RELEASE) bench/kiosk-bench.sh
	BUILD=$(RELEASE) bench/collector-bench.sh

tts: build

# Lints the samples, then runs the kiosk on them: in a window when there is
# a display, else a headless tour into screenshots (scripts/demo.sh).
demo: build
	scripts/demo.sh

# Regenerates docs/screens (look at them before committing).
screens: build
	scripts/screens.sh

format:
	clang-format -i core/*.[ch] kiosk/*.[ch] tools/*.c tests/*.[ch] tests/fuzz/*.c bench/*.c

clean:
	rm -rf build
