# The two commands: `make demo` and `make test`. Both install missing Debian packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
# Executions per fuzz target in `make test` (scripts/fuzz.sh; 77 s in all on 2 cores, docs/benchmarks.md).
FUZZ_RUNS  ?= 20000
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: deps test-deps build build-asan demo test fuzz bench experiments supernets clean

# Only what the chosen build needs (CMAKE_ARGS=-DNESIM_WITH_TORCH=OFF skips libtorch).
deps:
	@bash scripts/install-deps.sh $(CMAKE_ARGS)

test-deps:
	@bash scripts/install-deps.sh --tests $(CMAKE_ARGS)

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNESIM_SANITIZE=ON -DNESIM_WITH_TORCH=OFF -DNESIM_BUILD_BENCH=OFF $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) --target nesim nesim_unit_tests nesim_module_tests nesim_cli_tests

demo: build
	./$(BUILD)/nesim simulate --model models/mobilenet_v2.yaml --hw hwconfigs/ne-pf16.yaml
	rm -rf out/demo-search
	./$(BUILD)/nesim search --space nas/spaces/detector.yaml --hw hwconfigs/ne-pf16.yaml \
	  --out out/demo-search --budget 500 --seed 1 --jobs $(JOBS)

test: test-deps build build-asan
	./$(BUILD)/nesim check
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@echo "== unit and module suites under AddressSanitizer + UBSan"
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -L '^(unit|module)$$'
	@echo "== every class of malformed input against the ASan + UBSan nesim: exit 2, no report"
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ./tests/nesim_cli_tests -tc='malformed*'
	sh tests/sanitizers/error_paths.sh $(ASAN_BUILD) .
	@echo "== fuzz targets under AddressSanitizer + UBSan ($(FUZZ_RUNS) runs each, seed 1)"
	bash scripts/fuzz.sh --runs $(FUZZ_RUNS)

# The fuzz targets alone (build-fuzz/), e.g. make fuzz FUZZ_RUNS=100000.
fuzz: test-deps
	bash scripts/fuzz.sh --runs $(FUZZ_RUNS)

# The accuracy oracle of `nesim search` (docs/accuracy.md): one weight-sharing supernet per space,
# written where search looks for it (supernets/<space>.bin). Hours of CPU; kill it at any time and
# run it again to continue from its checkpoint.
SUPERNET_SPACES ?= classifier
SUPERNET_STEPS  ?= 3000
supernets: build
	@for space in $(SUPERNET_SPACES); do \
	  ./$(BUILD)/nesim supernet --space nas/spaces/$$space.yaml --out supernets/$$space.bin \
	    --checkpoint supernets/$$space.ckpt --checkpoint-every 25 --steps $(SUPERNET_STEPS) --threads $(JOBS) || exit $$?; \
	done

# Trainings per model behind each study's table (baseline, winners, matched controls; one epoch
# each, hours of CPU, resumable): TRAIN_SEEDS=0 gives the signal-only tables in minutes.
TRAIN_SEEDS ?= 2
experiments: build
	bash scripts/run-experiments.sh $(BUILD) $(JOBS) $(TRAIN_SEEDS)

bench: build
	./$(BUILD)/bench/nesim_bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
