# Tessera: the two commands a newcomer needs are `make playground` and `make test`.
#
#   make build       optimized build into build/ (the binary is build/tessera)
#   make test        install what is missing, build with ASan+UBSan into build-asan/, run every test
#   make playground  install what is missing, build, start PD + 3 nodes on loopback, show how to
#                    connect; Ctrl-C stops them (build/tessera playground --help for options)
#   make bench       build and run the benchmarks in bench/
#   make format      clang-format every source file

JOBS ?= $(shell nproc)
CMAKE_GEN := -G Ninja
ASAN_FLAGS := -DTESSERA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps build build-asan test playground bench format clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan $(CMAKE_GEN) $(ASAN_FLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)

# Every test runs under AddressSanitizer and UBSan. The benchmarks and the binary are compiled in
# that tree too (never run by the tests but the binary), so that they never rot; the optimized
# tree (make build) is not needed for testing.
test: build-asan
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

playground: build
	@build/tessera playground $(PLAYGROUND_ARGS)

bench: build
	@for b in build/bench/*_bench; do [ -x "$$b" ] && "$$b"; done

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	@rm -rf build build-asan
