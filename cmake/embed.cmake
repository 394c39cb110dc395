# embed_text(OUT_VAR SYMBOL FILE): generates a .cc defining `extern const char SYMBOL[]` with the
# file's bytes, so data files (sample catalogue, calendar, dashboard page) ship inside the binaries
# and a node works with no files beside it. The file is re-embedded whenever it changes.
function(embed_text out_var symbol file)
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cc)
  add_custom_command(
    OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -DSYMBOL=${symbol} -DINPUT=${file} -DOUTPUT=${_out}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${file}")
  set(${out_var} ${_out} PARENT_SCOPE)
endfunction()
