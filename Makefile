# Porte-voix: thin wrapper over CMake. `make demo` and `make test` do all
# the set-up on a fresh Debian 12 machine (see README.md).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE := build/release
TEST := build/test

.PHONY: all deps build test check fuzz-smoke bench demo tts format clean

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

bench: build
	$(RELEASE)/bench/bench_survey content/surveys
	$(RELEASE)/bench/bench_store build

tts: build

# What runs today: the sample surveys are linted (with their audio
# coverage) and a resident's answers go through the local store. The
# touchscreen kiosk and the collector join as their issues land.
demo: build
	$(RELEASE)/kiosk/pv-kiosk check content/surveys

format:
	clang-format -i core/*.[ch] kiosk/*.[ch] tools/*.c tests/*.[ch] tests/fuzz/*.c bench/*.c

clean:
	rm -rf build
