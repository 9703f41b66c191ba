# udrv: convenience targets around meson.  Real build logic lives in meson.build.
#   make        build (after `make setup` on a fresh machine)
#   make setup  install what is missing from Debian's archive (scripts/setup)
#   make demo   set up, build, boot the edu VM and drive edu through every access path
#   make check  set up, build, run every test (unit on the host, vm in QEMU)
#   make bench  set up, build, run the benchmarks in full (scripts/bench; ~2 min)
#   make debug-kernel  build the debug guest kernel (tools/debug-kernel/build)
#   make check-debug   build it if needed, run the VM suites on it
#   make fuzz-stub     the stub syscall fuzzer on the debug kernel, DURATION s
BUILD ?= build
MESON_TEST_ARGS ?=
BENCH_ARGS ?=
DURATION ?= 600
FUZZ_ARGS ?=

.PHONY: all setup configure demo check bench unit-check clean debug-kernel check-debug fuzz-stub

all: configure
	meson compile -C $(BUILD)

configure:
	@scripts/configure $(BUILD)

setup:
	scripts/setup

demo: setup
	$(MAKE) all
	scripts/demo $(BUILD)

check: setup
	$(MAKE) all
	scripts/check $(BUILD) $(MESON_TEST_ARGS)

bench: setup
	$(MAKE) all
	scripts/bench $(BENCH_ARGS) $(BUILD)

unit-check: all
	scripts/check $(BUILD) --suite unit

debug-kernel: setup
	tools/debug-kernel/build

check-debug: debug-kernel
	$(MAKE) all
	scripts/check $(BUILD) --suite debug

fuzz-stub: debug-kernel
	$(MAKE) all
	tools/udrv-vm --build-dir $(BUILD) --kernel debug --profile stub \
		--timeout $$(( $(DURATION) + 600 )) -- \
		stub_syscalls --duration $(DURATION) $(FUZZ_ARGS)

clean:
	rm -rf $(BUILD)
