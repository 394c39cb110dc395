# Installation layout and the Debian package (CPack DEB). Included from the top-level
# CMakeLists.txt after every add_subdirectory(), so the targets below exist:
#   include(packaging/package.cmake)
# `make package` runs `cpack` in the build directory and leaves casesync_*.deb there;
# tests/package_check.sh inspects it (contents, maintainer scripts, lintian, systemd-analyze).
include(GNUInstallDirs)

set(_pkg_dir ${CMAKE_CURRENT_LIST_DIR})
set(_doc_dir share/doc/casesync)

install(TARGETS casesyncd RUNTIME DESTINATION sbin COMPONENT casesync)
install(TARGETS casesyncctl RUNTIME DESTINATION bin COMPONENT casesync)
# Debian 12 keeps units under /lib even with a merged /usr (dh_installsystemd does the same).
install(FILES ${PROJECT_SOURCE_DIR}/systemd/casesyncd.service
        DESTINATION /lib/systemd/system PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        COMPONENT casesync)
# casesyncd@.service, one more node on this machine per instance (docs/INSTALL.md, "Several nodes
# on one machine"): the same unit, generated from casesyncd.service so the two never drift apart,
# with the instance name as node id: config /etc/casesync/%i.toml, data /var/lib/casesync/%i.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/systemd/casesyncd.service)
file(READ ${PROJECT_SOURCE_DIR}/systemd/casesyncd.service _unit)
string(REGEX REPLACE "^(# [^\n]*\n)+" "" _unit "${_unit}")
set(_template_edits
    "Description=casesync node (" "Description=casesync node %i ("
    "--config /etc/casesync/casesyncd.toml" "--config /etc/casesync/%i.toml"
    "StateDirectory=casesync\n" "StateDirectory=casesync/%i\n")
while(_template_edits)
  list(POP_FRONT _template_edits _from _to)
  string(FIND "${_unit}" "${_from}" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "systemd/casesyncd.service no longer holds \"${_from}\": update "
                        "packaging/package.cmake, which makes casesyncd@.service from it")
  endif()
  string(REPLACE "${_from}" "${_to}" _unit "${_unit}")
endwhile()
file(WRITE ${CMAKE_BINARY_DIR}/packaging/casesyncd@.service
"# casesyncd@NODE: one more casesync node on this machine, NODE being its node id. Its config is
# /etc/casesync/NODE.toml (paths.data_dir /var/lib/casesync/NODE, its own key, data key, admin
# token and api.listen port); docs/INSTALL.md, \"Several nodes on one machine\". Made from
# casesyncd.service by packaging/package.cmake. Type=notify: READY=1 once the node serves.
# Local changes belong in a drop-in (systemctl edit casesyncd@NODE), not in this file.
${_unit}")
install(FILES ${CMAKE_BINARY_DIR}/packaging/casesyncd@.service
        DESTINATION /lib/systemd/system PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        COMPONENT casesync)
# The conffile; postinst makes it root:casesync 0640 (dpkg ships files root-owned).
install(FILES ${_pkg_dir}/casesyncd.toml DESTINATION /etc/casesync COMPONENT casesync)
install(FILES ${PROJECT_SOURCE_DIR}/data/matters.toml ${PROJECT_SOURCE_DIR}/data/calendar.toml
        DESTINATION share/casesync COMPONENT casesync)
install(FILES ${_pkg_dir}/copyright ${PROJECT_SOURCE_DIR}/docs/INSTALL.md
        ${PROJECT_SOURCE_DIR}/docs/SECURITY.md
        DESTINATION ${_doc_dir} COMPONENT casesync)
# The roster's format by example (docs/INSTALL.md, "The roster"); config_test loads it.
install(FILES ${_pkg_dir}/examples/roster.toml DESTINATION ${_doc_dir}/examples COMPONENT casesync)

# Tags that do not apply, each with its reason (the file says why).
install(FILES ${_pkg_dir}/debian/lintian-overrides DESTINATION share/lintian/overrides
        RENAME casesync COMPONENT casesync)

# Man pages and the changelog are gzipped at build time, -n so the archive is reproducible.
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(_gz_outputs)
# The Chinese man pages (man/zh_CN/) go to /usr/share/man/zh_CN/, where man finds them for a
# zh_CN locale; their gzipped copies are named zh_CN.PAGE.gz in the build tree.
foreach(_src man/casesyncd.8 man/casesyncctl.1 man/zh_CN/casesyncd.8 man/zh_CN/casesyncctl.1
    debian/changelog)
  get_filename_component(_name ${_src} NAME)
  if(_name STREQUAL "changelog")
    set(_name changelog.Debian)
  endif()
  if(_src MATCHES "^man/zh_CN/")
    set(_name zh_CN.${_name})
  endif()
  set(_out ${CMAKE_BINARY_DIR}/packaging/${_name}.gz)
  add_custom_command(OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
    COMMAND ${GZIP_EXECUTABLE} -9nc ${_pkg_dir}/${_src} > ${_out}
    DEPENDS ${_pkg_dir}/${_src} VERBATIM)
  list(APPEND _gz_outputs ${_out})
endforeach()
add_custom_target(casesync_package_docs ALL DEPENDS ${_gz_outputs})
install(FILES ${CMAKE_BINARY_DIR}/packaging/casesyncd.8.gz DESTINATION share/man/man8
        COMPONENT casesync)
install(FILES ${CMAKE_BINARY_DIR}/packaging/casesyncctl.1.gz DESTINATION share/man/man1
        COMPONENT casesync)
install(FILES ${CMAKE_BINARY_DIR}/packaging/zh_CN.casesyncd.8.gz DESTINATION share/man/zh_CN/man8
        RENAME casesyncd.8.gz COMPONENT casesync)
install(FILES ${CMAKE_BINARY_DIR}/packaging/zh_CN.casesyncctl.1.gz DESTINATION share/man/zh_CN/man1
        RENAME casesyncctl.1.gz COMPONENT casesync)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz DESTINATION ${_doc_dir}
        COMPONENT casesync)

# --- CPack: one binary package, casesync_<version>-<release>_<arch>.deb ---
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME casesync)
set(CPACK_PACKAGE_VENDOR "casesync maintainers")
set(CPACK_PACKAGE_CONTACT "casesync maintainers <casesync@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "signed case replication for district approval centres")
set(CPACK_PACKAGE_DESCRIPTION
    "casesync keeps a district's approval cases in step across the district\n\
approval centre, its town-street service centres and community terminals.\n\
Every change to a case is an Ed25519-signed event, replicated over ZeroMQ\n\
(CurveZMQ) and stored in SQLite.\n\
.\n\
This package contains the daemon casesyncd (one per node, run by\n\
systemd), the command line casesyncctl, a commented default\n\
configuration and sample data.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Regular expressions; [.] rather than \\. because CPack writes the list into CPackConfig.cmake
# unescaped once more, where "\." is an invalid escape sequence.
set(CPACK_SOURCE_IGNORE_FILES /build/ /[.]git/)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR})
set(CPACK_DEB_COMPONENT_INSTALL OFF)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/casesync")
# Runtime libraries come from dpkg-shlibdeps (libzmq5, libsodium23, libsqlite3-0, libsystemd0,
# libzstd1, libcpp-httplib0.11, libstdc++6...); adduser is for postinst; libssl3 serves the
# optional TLS listener (api.tls_listen) and is named so a changed httplib build cannot drop it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libssl3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_pkg_dir}/debian/conffiles
    ${_pkg_dir}/debian/postinst
    ${_pkg_dir}/debian/prerm
    ${_pkg_dir}/debian/postrm)

include(CPack)
