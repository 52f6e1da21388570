# build_control_ui(<out_var>): builds web/control-ui into ${CMAKE_BINARY_DIR}/control-ui at
# build time (scripts/build-ui.sh: npm ci from the lockfile, then esbuild) and sets
# <out_var> to the built files, for embed_files. The names are fixed by build.mjs.
function(build_control_ui out_var)
  set(src ${PROJECT_SOURCE_DIR}/web/control-ui)
  set(out ${CMAKE_BINARY_DIR}/control-ui)
  file(GLOB_RECURSE inputs CONFIGURE_DEPENDS ${src}/src/* ${src}/public/*)
  set(files "")
  foreach(name index.html favicon.svg assets/app.js assets/app.css)
    list(APPEND files ${out}/${name} ${out}/${name}.gz ${out}/${name}.br)
  endforeach()
  add_custom_command(OUTPUT ${files}
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/build-ui.sh ${out}
    DEPENDS ${inputs} ${src}/package-lock.json ${src}/build.mjs ${src}/index.html
            ${PROJECT_SOURCE_DIR}/scripts/build-ui.sh
    COMMENT "Building the Control UI (esbuild)" VERBATIM)
  set(${out_var} ${files} PARENT_SCOPE)
endfunction()
