# bpfilter top-level Makefile (GNU make).
#   make / make all   build build/bpfilter (and build/libbpfilter.a)
#   make check        build and run every test (unit, prog, e2e, diff, fuzz)
#   make demo         run the demo in network namespaces (root)
#   make bench        benchmarks against iptables and nftables (root)
#   make install      install under $(DESTDIR)$(PREFIX) (with the systemd
#                     unit and iptables-named links in lib/bpfilter/xtables)
#   make asan         build the unit and prog tests with ASan/UBSan into
#                     build/asan (or $(BUILD)-asan for another BUILD)
#   make fuzz         build the libFuzzer target into build/fuzz/fuzz_ipt
#   make format-check check the C sources against .clang-format
#   make tidy         run clang-tidy (.clang-tidy) on the library and CLI
#   make deps         install the Debian packages needed (root)

PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
CC ?= cc
CLANG ?= clang

PKGS := libbpf jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -ljansson)

WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR) -Wno-unused-parameter
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -Iinclude -Isrc/lib -Isrc $(PKG_CFLAGS) \
	-D_GNU_SOURCE -MMD -MP
LDLIBS := $(PKG_LIBS) -lelf -lz
# The bpfilter command takes libbpf, libelf, libz and jansson from their
# archives when all four are installed (STATIC_LIBS=0: shared): a command
# then starts with libc alone to map and link, ~0.5 ms less CPU each time
# (doc/live.md, "Process start").
STATIC_LIBS ?= 1
CLI_LDLIBS := $(LDLIBS)
ifeq ($(STATIC_LIBS),1)
STATIC_ARCHIVES := $(foreach l,bpf elf z jansson,$(wildcard $(shell $(CC) -print-file-name=lib$(l).a)))
ifeq ($(words $(STATIC_ARCHIVES)),4)
CLI_LDLIBS := -Wl,-Bstatic -lbpf -ljansson -lelf -lz -Wl,-Bdynamic
endif
endif

LIB_SRCS := $(shell find src/lib -name '*.c' | sort)
CLI_SRCS := $(shell find src/cli -name '*.c' | sort)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)

# Test programs: every tests/<kind>/*.c that defines main() is one binary,
# tests/lib/*.c is shared test support linked into all of them.
TEST_LIB_SRCS := $(shell find tests/lib -name '*.c' 2>/dev/null | sort)
TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(shell find tests/unit tests/prog tests/e2e tests/diff -name '*.c' 2>/dev/null | sort)
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
UNIT_PROG_SRCS := $(filter tests/unit/% tests/prog/%,$(TEST_SRCS))
# Tests that replace malloc() cannot run under ASan, whose runtime owns it:
# they are left out of the sanitizer build (they run in the normal one).
ASAN_EXCLUDED := tests/unit/test_oom_noflush.c
UNIT_PROG_BINS := $(UNIT_PROG_SRCS:%.c=$(BUILD)/%)
ASAN_TEST_BINS := $(filter-out $(ASAN_EXCLUDED),$(UNIT_PROG_SRCS))
ASAN_TEST_BINS := $(ASAN_TEST_BINS:%.c=$(BUILD)/%)

# Sanitizer and fuzzer builds live beside the main one.
ASAN_BUILD ?= $(if $(filter build,$(BUILD)),build/asan,$(BUILD)-asan)
FUZZ_BUILD ?= $(if $(filter build,$(BUILD)),build/fuzz,$(BUILD)-fuzz)
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The fuzz target needs bf_ipt_fuzz_one() from the iptables front end.
HAVE_IPT_FUZZ := $(shell grep -qs 'bf_ipt_fuzz_one' include/bpfilter/front_ipt.h && \
	grep -rqs --include='*.c' 'bf_ipt_fuzz_one' src/lib && echo 1)

# User BPF code examples (examples/*.bpf.c, include/bpfilter/usermatch.h):
# BPF objects for `-m bpf --object`, built with clang by `make tests`.
EXAMPLE_SRCS := $(wildcard examples/*.bpf.c)
EXAMPLE_OBJS := $(EXAMPLE_SRCS:%.c=$(BUILD)/%.o)
# and the objects tests/ refuse or use (tests/bpf/*.bpf.c)
TEST_BPF_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/bpf/*.bpf.c))
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Iinclude \
	-I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

C_FILES = $(shell find src include tests bench -name '*.[ch]' 2>/dev/null | sort)

.PHONY: examples
.PHONY: all check demo bench install install-iptables-links asan asan-tests deps clean tests fuzz \
	fuzz-bin format format-check tidy bench-bins
all: $(BUILD)/bpfilter

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libbpfilter.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bpfilter: $(CLI_OBJS) $(BUILD)/libbpfilter.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libbpfilter.a $(CLI_LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_LIB_OBJS) $(BUILD)/libbpfilter.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -o $@ $< $(TEST_LIB_OBJS) $(BUILD)/libbpfilter.a $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(BUILD)/libbpfilter.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libbpfilter.a $(LDLIBS)

tests: all examples $(TEST_BINS)

examples: $(EXAMPLE_OBJS) $(TEST_BPF_OBJS)

$(BUILD)/examples/%.bpf.o: examples/%.bpf.c include/bpfilter/usermatch.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c include/bpfilter/usermatch.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

deps:
	@scripts/install-deps.sh --if-missing

# Everything `make check` runs: the normal build and its tests, the
# benchmark driver, the ASan/UBSan build of the unit and prog tests, the
# fuzz target (when the front end provides it), then tests/run.sh over all
# of them (which also runs the demo).
check: deps
	$(MAKE) -j$(JOBS) tests bench-bins
	$(MAKE) -j$(JOBS) asan
	$(MAKE) -j$(JOBS) fuzz
	BUILD=$(BUILD) ASAN_BUILD=$(ASAN_BUILD) FUZZ_BUILD=$(FUZZ_BUILD) tests/run.sh

asan:
	$(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="$(ASAN_CFLAGS)" asan-tests

asan-tests: all examples $(ASAN_TEST_BINS)

# libFuzzer needs clang; the library is rebuilt with clang into FUZZ_BUILD.
# -Werror stays with the gcc build: clang may warn differently.
fuzz:
ifeq ($(HAVE_IPT_FUZZ),1)
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(CLANG) WERROR= CFLAGS="$(FUZZ_CFLAGS)" fuzz-bin
else
	@echo "fuzz: bf_ipt_fuzz_one() is not in the library yet; not building the fuzz target"
endif

fuzz-bin: $(BUILD)/fuzz_ipt

$(BUILD)/fuzz_ipt: tests/fuzz/fuzz_ipt.c $(BUILD)/libbpfilter.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libbpfilter.a $(LDLIBS)

demo: deps
	$(MAKE) -j$(JOBS) all
	BPFILTER=$(abspath $(BUILD)/bpfilter) scripts/demo.sh

bench-bins: all $(BENCH_BINS)

bench: deps
	$(MAKE) -j$(JOBS) bench-bins
	BUILD=$(BUILD) BPFILTER=$(abspath $(BUILD)/bpfilter) bench/run.sh

# The iptables-named links go to $(PREFIX)/lib/bpfilter/xtables (put it
# first in PATH to use bpfilter as iptables); `make install-iptables-links`
# puts them in $(PREFIX)/sbin, only when asked, since that shadows the
# system's own iptables.
IPT_LINKS := iptables ip6tables iptables-save ip6tables-save \
	iptables-restore ip6tables-restore
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system

install: all
	install -D -m 0755 $(BUILD)/bpfilter $(DESTDIR)$(PREFIX)/sbin/bpfilter
	install -D -m 0644 man/bpfilter.8 $(DESTDIR)$(PREFIX)/share/man/man8/bpfilter.8
	install -D -m 0644 include/bpfilter/usermatch.h \
		$(DESTDIR)$(PREFIX)/include/bpfilter/usermatch.h
	install -d $(DESTDIR)$(PREFIX)/share/bpfilter/examples
	install -m 0644 $(EXAMPLE_SRCS) $(DESTDIR)$(PREFIX)/share/bpfilter/examples
	install -d $(DESTDIR)$(PREFIX)/lib/bpfilter/xtables
	for n in $(IPT_LINKS); do \
		ln -sf $(PREFIX)/sbin/bpfilter $(DESTDIR)$(PREFIX)/lib/bpfilter/xtables/$$n; \
	done
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' systemd/bpfilter.service > \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/bpfilter.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/bpfilter.service

install-iptables-links: install
	for n in $(IPT_LINKS); do \
		ln -sf bpfilter $(DESTDIR)$(PREFIX)/sbin/$$n; \
	done

# Reformats every C file: for your own files prefer `clang-format -i FILE`.
format:
	clang-format -i $(C_FILES)

format-check:
	@bad=0; for f in $(C_FILES); do \
		if ! clang-format --dry-run -Werror "$$f" >/dev/null 2>&1; then \
			echo "format-check: $$f differs from .clang-format" \
				"(see: clang-format $$f | diff $$f -)"; bad=1; \
		fi; \
	done; exit $$bad

tidy:
	clang-tidy --quiet $(LIB_SRCS) $(CLI_SRCS) -- -std=gnu11 -Iinclude \
		-Isrc/lib -Isrc -D_GNU_SOURCE $(PKG_CFLAGS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
