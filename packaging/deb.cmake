# CPack DEB: one package per install COMPONENT (packaging/CMakeLists.txt).
# Included last, so every component of the tree is known here; a component
# that does not exist (the library before client/ installs it) makes no package.

set(LOBBY_DEB_MAINTAINER "The lobby authors <maintainers@lobby.invalid>")
set(LOBBY_DEB_SOURCE lobby)
set(LOBBY_DEB_VERSION ${PROJECT_VERSION}-1)
set(LOBBY_DEB_PACKAGES "server:lobby-server" "tools:lobby-tools"
  "library:liblobby-client0" "dev:liblobby-client-dev")
set(LOBBY_DEB_DIR ${CMAKE_CURRENT_BINARY_DIR}/deb)
# The packages install to /usr, so the configuration is in /etc.
set(LOBBY_CONFIG_FILE /etc/lobby-server/lobby-server.conf)

# The Debian changelog (gzip -9n): the version has a Debian revision (-1),
# so dpkg and lintian look for it as changelog.Debian.gz. Its date is
# SOURCE_DATE_EPOCH's when set, so two builds of one tree give the same bytes.
string(TIMESTAMP LOBBY_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(debian/changelog.in ${LOBBY_DEB_DIR}/changelog @ONLY)
add_custom_command(OUTPUT ${LOBBY_DEB_DIR}/changelog.Debian.gz
  COMMAND sh -c "\"$0\" -9n -c \"$1\" > \"$2\"" ${LOBBY_GZIP} ${LOBBY_DEB_DIR}/changelog
          ${LOBBY_DEB_DIR}/changelog.Debian.gz
  DEPENDS ${LOBBY_DEB_DIR}/changelog VERBATIM)
add_custom_target(lobby_deb_changelog ALL DEPENDS ${LOBBY_DEB_DIR}/changelog.Debian.gz)

get_cmake_property(lobby_components COMPONENTS)
set(CPACK_COMPONENTS_ALL "")
foreach(entry IN LISTS LOBBY_DEB_PACKAGES)
  string(REPLACE ":" ";" entry "${entry}")
  list(GET entry 0 component)
  list(GET entry 1 package)
  if(NOT component IN_LIST lobby_components)
    continue()
  endif()
  list(APPEND CPACK_COMPONENTS_ALL ${component})
  string(TOUPPER ${component} C)
  set(CPACK_DEBIAN_${C}_PACKAGE_NAME ${package})
  # /usr/share/doc/PACKAGE/{copyright,changelog.Debian.gz} in every package.
  install(FILES debian/copyright ${LOBBY_DEB_DIR}/changelog.Debian.gz
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endforeach()

# Maintainer scripts and control files, named as dpkg wants them, one
# folder per package.
set(srv ${LOBBY_DEB_DIR}/server)
configure_file(debian/conffiles.in ${srv}/conffiles @ONLY)
configure_file(debian/server-postinst ${srv}/postinst COPYONLY)
configure_file(debian/server-prerm ${srv}/prerm COPYONLY)
configure_file(debian/server-postrm ${srv}/postrm COPYONLY)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA ${srv}/postinst ${srv}/prerm ${srv}/postrm)
if(EXISTS ${PROJECT_SOURCE_DIR}/server/lobby-server.conf)
  list(APPEND CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA ${srv}/conffiles)
endif()
set(lib ${LOBBY_DEB_DIR}/library)
configure_file(debian/triggers ${lib}/triggers COPYONLY)
configure_file(debian/library-postinst ${lib}/postinst COPYONLY)
configure_file(debian/library-postrm ${lib}/postrm COPYONLY)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_CONTROL_EXTRA ${lib}/triggers ${lib}/postinst ${lib}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${LOBBY_DEB_SOURCE})
set(CPACK_PACKAGE_VENDOR "The lobby authors")
set(CPACK_PACKAGE_CONTACT ${LOBBY_DEB_MAINTAINER})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${LOBBY_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SOURCE ${LOBBY_DEB_SOURCE})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "lobby-server")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "liblobby-client0 (= ${LOBBY_DEB_VERSION}), libenet-dev")

# Synopsis under 80 characters, long description lines under 80 too.
set(CPACK_DEBIAN_SERVER_DESCRIPTION "lobby server for multiplayer games over ENet (UDP)
lobby-server holds lobbies of players over ENet: players join lobbies by
name, chat with acknowledgements and send positions that the server relays
as snapshots. It offers a plain-text chat port over TCP, Prometheus metrics
and a JSON lobby list over HTTP, identity tokens, and clusters of servers
sharing one lobby list through Redis.

This package holds the server, lobby-token (signing keys and identity
tokens), a hardened systemd unit (installed disabled) and the configuration
file /etc/lobby-server/lobby-server.conf.")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "clients and test tools for lobby-server
The programs that talk to a lobby-server: lobby-client, the SDL2 game
window with a lobby browser; lobby-chat, a command-line chat client;
lobby-bench, a latency benchmark with headless bots; and lobby-netsim, a
UDP proxy that delays, drops, duplicates and reorders datagrams.")
set(CPACK_DEBIAN_LIBRARY_DESCRIPTION "client library for lobby-server (shared library)
liblobby-client connects a game to a lobby-server over ENet: it joins
lobbies, chats and sends positions through a small C API with opaque
handles and an event queue.

This package holds the shared library.")
set(CPACK_DEBIAN_DEV_DESCRIPTION "client library for lobby-server (development files)
liblobby-client connects a game to a lobby-server over ENet: it joins
lobbies, chats and sends positions through a small C API with opaque
handles and an event queue.

This package holds the header, the static library, the pkg-config file,
the CMake package and the API documentation.")

include(CPack)
