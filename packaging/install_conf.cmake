# Run by `cmake --install` (component server) after install_unit.cmake: the
# example configuration becomes SYSCONFDIR/lobby-server/lobby-server.conf of
# this install's prefix (/etc for /usr), where the unit's --config points.
# Inputs: LOBBY_CONF (the file), LOBBY_SYSCONFDIR.
include(${CMAKE_CURRENT_LIST_DIR}/install_dirs.cmake)
lobby_full(sysconfdir "${LOBBY_SYSCONFDIR}")
file(INSTALL "${LOBBY_CONF}" DESTINATION "${sysconfdir}/lobby-server"
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
