# Tessera: the two commands a newcomer needs are `make playground` and `make test`.
#
#   make build       optimized build into build/ (the binary is build/tessera)
#   make test        install what is missing, build with ASan+UBSan into build-asan/, run every test
#   make playground  install what is missing, build, start 3 nodes on loopback, show how to connect
#   make playground-stop  stop the playground's nodes
#   make bench       build and run the benchmarks in bench/
#   make format      clang-format every source file

JOBS ?= $(shell nproc)
CMAKE_GEN := -G Ninja
ASAN_FLAGS := -DTESSERA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps build build-asan build-release-bins test playground playground-stop bench format clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan $(CMAKE_GEN) $(ASAN_FLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)

# The optimized binary and the benchmarks, without the test binaries (those run from build-asan/).
RELEASE_TARGETS := tessera raft_bench storage_bench kv_load
build-release-bins: deps
	@cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS) --target $(RELEASE_TARGETS)

# Every test runs under AddressSanitizer and UBSan. The optimized binary and the benchmarks are
# compiled too, so that they never rot.
test: build-asan build-release-bins
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

playground: build
	@scripts/playground.sh

playground-stop:
	@scripts/playground-stop.sh

bench: build
	@for b in build/bench/*_bench; do [ -x "$$b" ] && "$$b"; done

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	@rm -rf build build-asan
