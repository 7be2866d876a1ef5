# usher — plain GNU Makefile.
#
#   make                 the static and shared libraries in $(BUILD)/
#   make check           every test: unit tests, the same under ASan+UBSan,
#                        symbol/install/README checks, examples under valgrind
#   make demo            builds and runs examples/contact_center: a simulated
#                        contact-center day (options in DEMO_ARGS, e.g.
#                        DEMO_ARGS='--agents 500 --tickets 30000 --seed 7')
#   make bench           builds $(BUILD)/bench/usher-bench (-O2, against
#                        $(BUILD)/libusher.a) and runs its default suite, about a
#                        minute; options in BENCH_ARGS, e.g. BENCH_ARGS='routing
#                        --agents 2000 --json' (see bench/README.md)
#   make fuzz            builds the libFuzzer targets of tests/fuzz with clang and
#                        runs each for FUZZ_SECONDS (default 10) from the
#                        committed corpus; new inputs go to $(BUILD)/fuzz/
#   make install         PREFIX, DESTDIR, LIBDIR, INCLUDEDIR, PKGCONFIGDIR, MANDIR:
#                        the libraries, usher.h, usher.pc and the man page usher(3)
#   make uninstall
#   make dist            $(BUILD)/usher-$(VERSION).tar.gz: the files git tracks at
#                        HEAD, under usher-$(VERSION)/ (needs a git checkout)
#   make distcheck       make dist, then unpacks the tarball in a temporary
#                        directory and runs `make check` there from scratch
#   make clean
#
# Missing Debian packages are installed by .ci/deps (as root) or named.

PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

BUILD ?= build
# DWARF 4: valgrind 3.19 (Debian 12) cannot read the DWARF 5 that clang emits.
CFLAGS ?= -O2 -g -gdwarf-4
VALGRIND ?= valgrind

VERSION := $(shell sed -n 's/^\#define USHER_VERSION_STRING "\(.*\)"/\1/p' include/usher.h)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
SONAME := libusher.so.$(MAJOR)
SHARED := $(BUILD)/libusher.so.$(VERSION)
STATIC := $(BUILD)/libusher.a

# Evaluated when used, after .ci/deps has run: a fresh machine has no .pc yet.
XXH_CFLAGS = $(shell pkg-config --cflags libxxhash)
XXH_LIBS = $(shell pkg-config --libs libxxhash)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)

WARN := -std=c11 -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes
LIB_CFLAGS = $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -Iinclude $(XXH_CFLAGS)
TEST_CFLAGS = $(WARN) $(CFLAGS) -Iinclude -Ilib $(XXH_CFLAGS) $(CMOCKA_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC := $(sort $(wildcard lib/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
FUZZ_TARGETS := ops tzif restore

LIB_OBJ := $(LIB_SRC:lib/%.c=$(BUILD)/obj/%.o)
SAN_OBJ := $(LIB_SRC:lib/%.c=$(BUILD)/san/obj/%.o)
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
SAN_TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/san/tests/%)
EXAMPLES := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
BENCH_OBJ := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%.o)
BENCH := $(BUILD)/bench/usher-bench
# The fuzz targets as plain programs that replay files (make check), and
# the same under ASan+UBSan.
REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%) $(FUZZ_TARGETS:%=$(BUILD)/san/fuzz-replay/%)
FUZZERS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: all lib check tests demo bench fuzz install uninstall dist distcheck clean deps-lib \
	deps-check deps-fuzz
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

all: lib
lib: $(STATIC) $(SHARED) $(BUILD)/libusher.so

deps-lib:
	@sh .ci/deps lib
deps-check:
	@sh .ci/deps check
deps-fuzz:
	@sh .ci/deps lib clang

# Rebuild everything when the compiler or flags change (e.g. CC=clang).
$(BUILD)/flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS)' > $@
.PHONY: FORCE

$(BUILD)/obj/%.o: lib/%.c $(BUILD)/flags | deps-lib
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs -o $@ $^ $(XXH_LIBS) -lm

$(BUILD)/libusher.so: $(SHARED)
	ln -sf $(notdir $(SHARED)) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

# Unit tests link the static library, so they can reach internal modules.
$(BUILD)/tests/%: tests/%.c tests/*.h $(STATIC) | deps-check
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(STATIC) $(CMOCKA_LIBS) $(XXH_LIBS) -lm

# The same suite and library built with AddressSanitizer + UBSan.
$(BUILD)/san/obj/%.o: lib/%.c $(BUILD)/flags | deps-lib
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g -gdwarf-4 $(SAN_FLAGS) -Iinclude $(XXH_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/tests/%: tests/%.c tests/*.h $(SAN_OBJ) | deps-check
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g -gdwarf-4 $(SAN_FLAGS) -Iinclude -Ilib $(XXH_CFLAGS) $(CMOCKA_CFLAGS) $< -o $@ \
		$(SAN_OBJ) $(CMOCKA_LIBS) $(XXH_LIBS) -lm

$(BUILD)/examples/%: examples/%.c $(STATIC) | deps-lib
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Iinclude $< -o $@ $(STATIC) $(XXH_LIBS) -lm

FUZZ_COMMON := tests/fuzz/ops.c tests/fuzz/replay.c
$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/*.h $(FUZZ_COMMON) $(STATIC) | deps-check
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Iinclude $< $(FUZZ_COMMON) -o $@ $(STATIC) $(XXH_LIBS) -lm

$(BUILD)/san/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/*.h $(FUZZ_COMMON) $(SAN_OBJ) | deps-check
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g -gdwarf-4 $(SAN_FLAGS) -Iinclude $(XXH_CFLAGS) $< $(FUZZ_COMMON) -o $@ \
		$(SAN_OBJ) $(XXH_LIBS) -lm

tests: $(TESTS) $(SAN_TESTS) $(EXAMPLES) $(BENCH) $(REPLAYS) lib

check: deps-check
	@$(MAKE) --no-print-directory tests
	@CC='$(CC)' BUILD='$(BUILD)' VALGRIND='$(VALGRIND)' sh tests/run.sh \
		$(TESTS) $(SAN_TESTS) $(EXAMPLES)

DEMO_ARGS ?=
demo: deps-lib
	@$(MAKE) --no-print-directory lib $(BUILD)/examples/contact_center
	$(BUILD)/examples/contact_center $(DEMO_ARGS)

# The bench: always -O2 (after CFLAGS), linked with the library users get.
# -Ilib: the timers scenario also drives the internal wheel (lib/wheel.h).
$(BUILD)/bench/%.o: bench/%.c bench/*.h $(BUILD)/flags | deps-lib
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -O2 -Iinclude -Ilib -MMD -MP -c $< -o $@

$(BENCH): $(BENCH_OBJ) $(STATIC)
	$(CC) $(CFLAGS) -O2 -o $@ $(BENCH_OBJ) $(STATIC) $(XXH_LIBS) -lm

BENCH_ARGS ?=
bench: deps-lib
	@$(MAKE) --no-print-directory $(BENCH)
	$(BENCH) $(BENCH_ARGS)

# libFuzzer targets: the library compiled in with coverage instrumentation.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/*.h tests/fuzz/ops.c $(LIB_SRC) lib/*.h | deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) -Iinclude -Ilib $(XXH_CFLAGS) $< tests/fuzz/ops.c $(LIB_SRC) \
		-o $@ $(XXH_LIBS) -lm

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZERS)
	@sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(BUILD)/usher.pc: pkgconfig/usher.pc.in include/usher.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# The .pc depends on the install paths, so it is regenerated at each install.
install: lib
	@rm -f $(BUILD)/usher.pc
	@$(MAKE) --no-print-directory $(BUILD)/usher.pc PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' \
		INCLUDEDIR='$(INCLUDEDIR)'
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man3
	install -m 644 include/usher.h $(DESTDIR)$(INCLUDEDIR)/usher.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libusher.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/$(notdir $(SHARED))
	ln -sf $(notdir $(SHARED)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libusher.so
	install -m 644 $(BUILD)/usher.pc $(DESTDIR)$(PKGCONFIGDIR)/usher.pc
	install -m 644 docs/usher.3 $(DESTDIR)$(MANDIR)/man3/usher.3

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/usher.h $(DESTDIR)$(LIBDIR)/libusher.a \
	      $(DESTDIR)$(LIBDIR)/libusher.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libusher.so $(DESTDIR)$(PKGCONFIGDIR)/usher.pc \
	      $(DESTDIR)$(MANDIR)/man3/usher.3

# The tarball holds what git tracks at HEAD (uncommitted changes are not in
# it), so a clean clone and a working tree give the same file.
DIST := usher-$(VERSION)
TARBALL := $(BUILD)/$(DIST).tar.gz
dist:
	@[ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$$(pwd -P)" ] || \
		{ echo "make dist: $(CURDIR) is not a git checkout; the tarball is made from" \
		       "the files git tracks" >&2; exit 1; }
	@mkdir -p $(BUILD)
	git archive --format=tar.gz --prefix=$(DIST)/ -o $(TARBALL) HEAD
	@git diff --quiet HEAD || echo "make dist: uncommitted changes are not in $(TARBALL)"
	@echo "make dist: $(TARBALL)"

# Unpacked outside any git checkout: the tree must build and test on its own.
distcheck: dist
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tar -xzf $(TARBALL) -C "$$tmp"; \
	stray=$$(tar -tzf $(TARBALL) | grep -v '^$(DIST)/' || true); \
	[ -z "$$stray" ] || { echo "distcheck: outside $(DIST)/: $$stray" >&2; exit 1; }; \
	built=$$(tar -tzf $(TARBALL) | grep -E '^$(DIST)/build/|\.(o|a|so|d)$$' || true); \
	[ -z "$$built" ] || { echo "distcheck: build outputs in the tarball: $$built" >&2; exit 1; }; \
	echo "distcheck: make check in $$tmp/$(DIST)"; \
	$(MAKE) --no-print-directory -C "$$tmp/$(DIST)" check CC='$(CC)'; \
	echo "distcheck: $(TARBALL) builds and passes make check"

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(BENCH_OBJ:.o=.d)
