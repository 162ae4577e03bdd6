# The web dashboard: TypeScript + Vite in web/, built into <build>/web, which `billingfoot serve`
# finds next to the binary (installed: <prefix>/share/billingfoot/web). The npm packages are
# installed by scripts/install-deps.sh (npm ci against web/package-lock.json).
find_program(NPM_EXECUTABLE npm REQUIRED)
file(GLOB_RECURSE BF_WEB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/src/*)
set(BF_WEB_OUT ${CMAKE_BINARY_DIR}/web)
add_custom_command(
  OUTPUT ${BF_WEB_OUT}/index.html
  COMMAND ${NPM_EXECUTABLE} run --silent build -- --outDir ${BF_WEB_OUT} --emptyOutDir
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/web
  DEPENDS ${BF_WEB_SOURCES} ${CMAKE_SOURCE_DIR}/web/index.html
          ${CMAKE_SOURCE_DIR}/web/package-lock.json ${CMAKE_SOURCE_DIR}/web/vite.config.ts
          ${CMAKE_SOURCE_DIR}/web/tsconfig.json
  COMMENT "Building the web dashboard (TypeScript, Vite)"
  VERBATIM)
add_custom_target(web_dashboard ALL DEPENDS ${BF_WEB_OUT}/index.html)
install(DIRECTORY ${BF_WEB_OUT}/ DESTINATION share/billingfoot/web)
