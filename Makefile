# xb: PGXS builds the PostgreSQL boundary (src/pg, xb.so, with its part that
# needs no LibTorch in src/pg_base, xb_base.so) and links it with the C++ core
# (src/core), which CMake builds into build/ together with its unit tests.
#   make && make install        build and install into pg_config's PostgreSQL
#   make unittest               core unit tests (ctest)
#   make installcheck           pg_regress (test/sql, test/expected) against a running server
#   make TORCH_DIR=/opt/libtorch   build against another LibTorch (e.g. CUDA)

# The version lives in the control file only; META.json is checked against it.
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" control/xb.control)
ifneq ($(EXTVERSION),$(shell sed -n '0,/"version"/s/.*"version": "\(.*\)".*/\1/p' META.json))
$(error META.json's version differs from control/xb.control's default_version $(EXTVERSION))
endif

MODULE_big = xb
# src/pg is xb.so's; src/pg_base is xb_base.so's, whose row collection
# xb.so shares (for the install scripts of earlier versions).
OBJS = $(patsubst %.cpp,%.o,$(wildcard src/pg/*.cpp)) src/pg_base/series_agg_fn.o src/pg_base/series_agg_state.o
MODULEDIR = extension
# sql/xb.sql is the source of the current version; released install scripts
# (xb--0.1.0.sql) and the upgrade scripts (xb--A--B.sql) are frozen files.
DATA_built = sql/xb--$(EXTVERSION).sql
DATA = control/xb.control $(filter-out $(DATA_built),$(wildcard sql/xb--*.sql))
REGRESS = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --outputdir=build/regress
EXTRA_CLEAN = build

BUILD_DIR = build
CMAKE_ARGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo
ifdef TORCH_DIR
CMAKE_ARGS += -DTorch_DIR=$(TORCH_DIR)/share/cmake/Torch
endif

# PGXS would compile C++ to LLVM bitcode with clang++ and none of our flags;
# the JIT gains nothing from xb's code, so skip it.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# PostgreSQL 15 leaves PGDLLEXPORT empty on Linux; with hidden visibility the
# fmgr entry points must be marked visible explicitly.
PG_CXXFLAGS = -std=c++17 -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Wno-register \
	'-DPGDLLEXPORT=__attribute__((visibility("default")))' '-DXB_VERSION="$(EXTVERSION)"' -Isrc
include $(PGXS)

sql/xb--$(EXTVERSION).sql: sql/xb.sql
	cp $< $@

# xb_base.so: the settings and the aggregates' row collection, without
# LibTorch (src/pg_base/module.cpp says why); xb.so links it, found beside
# itself. The layout check verifies that it needs no LibTorch.
BASE_LIB = xb_base$(DLSUFFIX)
BASE_OBJS = $(patsubst %.cpp,%.o,$(wildcard src/pg_base/*.cpp)) src/pg/guard.o
EXTRA_CLEAN += $(BASE_LIB) src/pg_base/*.o

-include $(BUILD_DIR)/xb_link.mk
SHLIB_LINK += $(BASE_LIB) -Wl,-rpath,'$$ORIGIN'
SHLIB_LINK += $(XB_CORE_LIB) $(XB_C_LIBS) -Wl,--no-as-needed $(XB_TORCH_LIBS) -Wl,--as-needed \
	-Wl,-rpath,$(XB_TORCH_LIBDIR) -lstdc++

$(BUILD_DIR)/xb_link.mk: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) $(CMAKE_ARGS)

# The core is always handed to CMake, which knows what is up to date.
.PHONY: core unittest
core: $(BUILD_DIR)/xb_link.mk
	cmake --build $(BUILD_DIR) -j$(or $(JOBS),2)

$(shlib): core
$(OBJS) $(BASE_OBJS): $(BUILD_DIR)/xb_link.mk $(wildcard src/pg/*.hpp src/pg_base/*.hpp src/core/*.hpp src/core/*/*.hpp)

$(shlib): $(BASE_LIB)
$(BASE_LIB): $(BASE_OBJS) core
	$(CXX) $(CXXFLAGS) -shared -Wl,-soname,$(BASE_LIB) -o $@ $(BASE_OBJS) $(XB_CORE_LIB) $(LDFLAGS) $(LDFLAGS_SL) -lstdc++
install: install-base
install-base: $(BASE_LIB) installdirs
	$(INSTALL_SHLIB) $(BASE_LIB) '$(DESTDIR)$(pkglibdir)/$(BASE_LIB)'
uninstall: uninstall-base
uninstall-base:
	rm -f '$(DESTDIR)$(pkglibdir)/$(BASE_LIB)'
.PHONY: install-base uninstall-base

unittest: core
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(or $(JOBS),2)

installcheck: | build-regress-dir
build-regress-dir:
	@mkdir -p build/regress
.PHONY: build-regress-dir
