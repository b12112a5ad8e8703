# lobby_full(VAR DIR): DIR of the prefix being installed to (install time,
# CMAKE_INSTALL_PREFIX is the --prefix of cmake --install), for install_unit.cmake
# and install_conf.cmake.

# GNUInstallDirs' rule: the prefix /usr keeps its configuration in /etc.
function(lobby_full var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  elseif(dir STREQUAL "etc" AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(${var} "/etc" PARENT_SCOPE)
  else()
    set(${var} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
