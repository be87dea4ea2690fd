# The appendix's tests (included by tests/CMakeLists.txt, so paths are
# relative to tests/): stage 1's and stage 5's own behaviour tests, rerun
# against stage 5's fetch written in each other event library
# (src/elsewhere/), plus tests/elsewhere/ for what is the appendix's own.
# Labels: elsewhere, behaviour, and perl for the Perl ones (the asan preset
# leaves those out: nothing of ours is compiled there). A library that is
# not installed gives a failing test elsewhere.<library>.missing that says
# how to install it: `./kit test` must not pass by testing less.

# Not under ThreadSanitizer (src/elsewhere/CMakeLists.txt says why).
if(KIT_SANITIZE MATCHES "thread")
  return()
endif()

# kit_add_elsewhere_tests(<name> <program> [PERL] [ENVIRONMENT <VAR=value>...])
function(kit_add_elsewhere_tests library program)
  cmake_parse_arguments(PARSE_ARGV 2 ELSEWHERE "PERL" "" "ENVIRONMENT")
  set(labels elsewhere behaviour)
  if(ELSEWHERE_PERL)
    list(APPEND labels perl)
  endif()
  foreach(stage 01-select 05-timers elsewhere)
    kit_add_pytest(elsewhere.${library}.${stage} ${stage}
                   LABELS ${labels}
                   ENVIRONMENT KIT_FETCH=${program} KIT_ELSEWHERE=${library}
                               KIT_BACKENDS=${library} ${ELSEWHERE_ENVIRONMENT})
  endforeach()
endfunction()

# kit_elsewhere_missing(<library> <labels> <how to get it>)
function(kit_elsewhere_missing library labels how)
  add_test(NAME elsewhere.${library}.missing
           COMMAND ${KIT_PYTHON} -c "import sys; sys.exit(sys.argv[1])"
                   "elsewhere: ${library} is not installed, so its fetch was not built or tested: ${how}")
  set_tests_properties(elsewhere.${library}.missing PROPERTIES LABELS "${labels}")
endfunction()

foreach(library libev libuv asio)
  if(TARGET elsewhere-${library})
    kit_add_elsewhere_tests(${library} $<TARGET_FILE:elsewhere-${library}>)
  endif()
endforeach()
if(NOT TARGET elsewhere-libev)
  kit_elsewhere_missing(libev "elsewhere" "apt-get install libev-dev (tools/setup.sh does), then reconfigure")
endif()
if(NOT TARGET elsewhere-libuv)
  kit_elsewhere_missing(libuv "elsewhere" "apt-get install libuv1-dev pkg-config (tools/setup.sh does), then reconfigure")
endif()
if(NOT TARGET elsewhere-asio)
  kit_elsewhere_missing(asio "elsewhere" "apt-get install libboost-dev (tools/setup.sh does), then reconfigure")
endif()

# The Perl programs run as they are; each needs its module, checked now.
find_program(KIT_PERL perl)
set(perl_modules anyevent=AnyEvent ev=EV event=Event poe=POE)
set(perl_packages anyevent=libanyevent-perl ev=libev-perl event=libevent-perl poe=libpoe-perl)
foreach(entry IN LISTS perl_modules)
  string(REPLACE "=" ";" pair ${entry})
  list(GET pair 0 library)
  list(GET pair 1 module)
  set(status 1)
  if(KIT_PERL)
    execute_process(COMMAND ${KIT_PERL} -M${module} -e 1 RESULT_VARIABLE status
                    OUTPUT_QUIET ERROR_QUIET)
  endif()
  if(status EQUAL 0)
    kit_add_elsewhere_tests(${library} ${PROJECT_SOURCE_DIR}/src/elsewhere/fetch_${library}.pl PERL)
    if(library STREQUAL "anyevent")
      # AnyEvent runs on the first loop it finds (EV here); the same program
      # on AnyEvent's own pure-Perl loop shows it is an interface, not a loop.
      kit_add_elsewhere_tests(anyevent-own-loop
                              ${PROJECT_SOURCE_DIR}/src/elsewhere/fetch_anyevent.pl PERL
                              ENVIRONMENT PERL_ANYEVENT_MODEL=Perl)
    endif()
  else()
    set(package ${perl_packages})
    list(FILTER package INCLUDE REGEX "^${library}=")
    string(REPLACE "${library}=" "" package "${package}")
    kit_elsewhere_missing(${library} "elsewhere;perl"
                          "perl -M${module} fails; apt-get install ${package} (tools/setup.sh does), then reconfigure")
  endif()
endforeach()

# The benchmark (tools/bench_elsewhere/, a command) in a smoke run: 20 URLs,
# every program of this build, so the command cannot rot unseen. It exits
# 1 when a program is not built or any URL is not ok.
add_test(NAME bench-elsewhere.smoke
         COMMAND ${KIT_PYTHON} ${PROJECT_SOURCE_DIR}/tools/bench_elsewhere/bench_elsewhere.py
                 --urls 20 --build-dir ${CMAKE_BINARY_DIR})
set_tests_properties(bench-elsewhere.smoke PROPERTIES
  LABELS "bench;elsewhere;perl" TIMEOUT 300)
