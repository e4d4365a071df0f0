# bpfilter top-level Makefile (GNU make).
#   make / make all   build build/bpfilter (and build/libbpfilter.a)
#   make check        build and run every test (unit, prog, e2e, diff, fuzz)
#   make demo         run the demo in network namespaces (root)
#   make bench        benchmarks against iptables and nftables (root)
#   make install      install under $(DESTDIR)$(PREFIX)
#   make asan         build the tests with ASan/UBSan into build/asan

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
CLANG ?= clang

PKGS := libbpf jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -ljansson)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -Iinclude -Isrc/lib -Isrc $(PKG_CFLAGS) \
	-D_GNU_SOURCE -MMD -MP
LDLIBS := $(PKG_LIBS) -lelf -lz

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

.PHONY: all check demo bench install asan deps clean tests fuzz format tidy
all: $(BUILD)/bpfilter

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libbpfilter.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bpfilter: $(CLI_OBJS) $(BUILD)/libbpfilter.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libbpfilter.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_LIB_OBJS) $(BUILD)/libbpfilter.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -o $@ $< $(TEST_LIB_OBJS) $(BUILD)/libbpfilter.a $(LDLIBS) -lcmocka

tests: all $(TEST_BINS)

deps:
	@scripts/install-deps.sh --if-missing

check: deps
	$(MAKE) tests
	BUILD=$(BUILD) tests/run.sh

asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" tests

demo: deps all
	scripts/demo.sh

bench: deps all
	bench/run.sh

install: all
	install -D -m 0755 $(BUILD)/bpfilter $(DESTDIR)$(PREFIX)/sbin/bpfilter

format:
	clang-format -i $(shell find src include tests -name '*.[ch]')

tidy:
	clang-tidy $(LIB_SRCS) $(CLI_SRCS) -- -std=gnu11 -Iinclude -Isrc/lib -Isrc -D_GNU_SOURCE

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
