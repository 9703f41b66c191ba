# udrv: convenience targets around meson.  Real build logic lives in meson.build.
#   make        build (after `make setup` on a fresh machine)
#   make setup  install what is missing from Debian's archive (scripts/setup)
#   make demo   set up, build, boot the edu VM and drive edu through every access path
#   make check  set up, build, run every test (unit on the host, vm in QEMU)
#   make bench  set up, build, run the benchmarks in full (scripts/bench; ~2 min)
BUILD ?= build
MESON_TEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: all setup configure demo check bench unit-check clean

all: configure
	meson compile -C $(BUILD)

configure:
	@if [ -f $(BUILD)/build.ninja ]; then :; \
	 else meson setup $(BUILD); fi

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

clean:
	rm -rf $(BUILD)
