# kit_embed_file(<target> <file> <symbol>)
#   Compiles the bytes of <file> into <target> as
#
#       namespace kit::embedded { extern const std::string_view <symbol>; }
#
#   declared in the generated header "kit_embedded/<symbol>.hpp". The .cpp
#   holding the bytes is generated at build time (cmake/embed_file.cmake)
#   and regenerated whenever <file> changes, so what the program serves is
#   always the file in the repository, never a copy pasted into a string.
#   Stage 8's server serves its chat page this way (lesson 8).
function(kit_embed_file target file symbol)
  if(NOT symbol MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "kit_embed_file: '${symbol}' is not a C++ identifier")
  endif()
  get_filename_component(input ${file} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/kit_embedded)
  set(source ${dir}/${symbol}.cpp)
  set(header ${dir}/kit_embedded/${symbol}.hpp)
  set(script ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake)
  add_custom_command(
    OUTPUT ${source} ${header}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DSOURCE=${source} -DHEADER=${header}
            -DSYMBOL=${symbol} -P ${script}
    DEPENDS ${input} ${script}
    COMMENT "Embedding ${file} as kit::embedded::${symbol}"
    VERBATIM)
  target_sources(${target} PRIVATE ${source} ${header})
  target_include_directories(${target} PRIVATE ${dir})
endfunction()
