# Run by `cmake --install` (install(SCRIPT), component server): writes
# lobby-server.service for the prefix of this install, not the configure's,
# so `cmake --install build --prefix P` gives a unit that starts P/bin's
# server. Inputs (set by install(CODE) before): LOBBY_UNIT_IN, LOBBY_UNIT_OUT_DIR
# (a scratch folder), LOBBY_BINDIR, LOBBY_SYSCONFDIR, LOBBY_UNIT_DIR (each
# relative to the prefix, or absolute).

include(${CMAKE_CURRENT_LIST_DIR}/install_dirs.cmake)

lobby_full(CMAKE_INSTALL_FULL_BINDIR "${LOBBY_BINDIR}")
lobby_full(sysconfdir "${LOBBY_SYSCONFDIR}")
set(LOBBY_CONFIG_FILE "${sysconfdir}/lobby-server/lobby-server.conf")
# Debian 12's debhelper puts units in /lib/systemd/system; any other prefix
# keeps the unit under it (PREFIX/lib/systemd/system).
if(LOBBY_UNIT_DIR STREQUAL "" AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_dir "/lib/systemd/system")
elseif(LOBBY_UNIT_DIR STREQUAL "")
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
else()
  lobby_full(unit_dir "${LOBBY_UNIT_DIR}")
endif()
configure_file("${LOBBY_UNIT_IN}" "${LOBBY_UNIT_OUT_DIR}/lobby-server.service" @ONLY)
file(INSTALL "${LOBBY_UNIT_OUT_DIR}/lobby-server.service" DESTINATION "${unit_dir}"
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
