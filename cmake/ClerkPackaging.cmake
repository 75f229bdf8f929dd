# The Debian package (cpack -G DEB in the build folder, or scripts/package.sh): the binary
# in /usr/bin, the hardened systemd unit (not enabled), a `clerk` system user and its
# folders made by postinst, the shipped bots and connectors as starting points in
# /usr/share/clerk, and the docs. Runtime libraries come from dpkg-shlibdeps; what it
# cannot see (Qt's SQL drivers and platform plugin, Tesseract's English data, fonts for
# letters) is listed here.

include(GNUInstallDirs)

# Who builds the package: a council's ICT team building its own sets this.
set(CLERK_DEB_MAINTAINER "clerk maintainers <clerk-maintainers@example.org>" CACHE STRING
    "The Maintainer field of the Debian package")

# The unit as the example documents it, with the packaged binary's path.
file(READ ${PROJECT_SOURCE_DIR}/examples/systemd/clerk.service clerk_unit)
string(REPLACE "/usr/local/bin/clerk" "/usr/bin/clerk" clerk_unit "${clerk_unit}")
string(REPLACE "file:///usr/local/share/doc/clerk/README.md" "file:///usr/share/doc/clerk/README.Debian"
       clerk_unit "${clerk_unit}")
file(WRITE ${CMAKE_BINARY_DIR}/packaging/clerk.service "${clerk_unit}")
install(FILES ${CMAKE_BINARY_DIR}/packaging/clerk.service DESTINATION lib/systemd/system)

file(GLOB clerk_shipped_bots ${PROJECT_SOURCE_DIR}/bots/*.yaml)
file(GLOB clerk_shipped_connectors ${PROJECT_SOURCE_DIR}/connectors/*.yaml)
install(FILES ${clerk_shipped_bots} DESTINATION ${CMAKE_INSTALL_DATADIR}/clerk/bots)
install(FILES ${clerk_shipped_connectors} DESTINATION ${CMAKE_INSTALL_DATADIR}/clerk/connectors)

string(TIMESTAMP clerk_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(CLERK_DEB_VERSION "${PROJECT_VERSION}-1")
set(CLERK_DEB_MAINTAINER_LINE "${CLERK_DEB_MAINTAINER}")
set(CLERK_DEB_DATE "${clerk_deb_date}")
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/changelog ${CMAKE_BINARY_DIR}/packaging/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz
                   COMMAND gzip -9n -c ${CMAKE_BINARY_DIR}/packaging/changelog.Debian > ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz
                   DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.Debian)
add_custom_target(clerk_deb_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz)
set(clerk_docdir ${CMAKE_INSTALL_DATADIR}/doc/clerk)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz ${PROJECT_SOURCE_DIR}/packaging/debian/copyright
              ${PROJECT_SOURCE_DIR}/packaging/debian/README.Debian ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/bot-reference.md ${PROJECT_SOURCE_DIR}/docs/api.md
        DESTINATION ${clerk_docdir})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clerk)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CLERK_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "bot runtime for public-sector back offices")
set(CPACK_PACKAGE_DESCRIPTION "clerk runs bots that clear council casework: it reads scanned
post (OCR), classifies it and extracts fields, matches forms and reports to
case records in a case system over REST, and acts there. Work it is not sure
of goes to a web queue where people decide. This package runs it as a
systemd service.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "adduser, libqt6sql6-sqlite, libqt6sql6-psql, qt6-qpa-plugins, tesseract-ocr-eng, tesseract-ocr-osd, fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
