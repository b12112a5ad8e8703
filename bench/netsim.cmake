# lobby-netsim: a UDP impairment proxy (delay, jitter, loss, duplication,
# reordering, rate) for testing ENet over bad networks without netem.
# Included from bench/CMakeLists.txt, so paths are relative to bench/.

# The scheduling core: no sockets, no clock, unit-tested by tests/test_netsim.c.
add_library(lobby_netsim STATIC ${CMAKE_CURRENT_LIST_DIR}/netsim.c)
target_include_directories(lobby_netsim PUBLIC ${CMAKE_CURRENT_LIST_DIR})

# lobby_client_core only for addr_parse (HOST:PORT).
add_executable(lobby-netsim
  ${CMAKE_CURRENT_LIST_DIR}/netsim_main.c
  ${CMAKE_CURRENT_LIST_DIR}/netsim_cli.c
  ${CMAKE_CURRENT_LIST_DIR}/netsim_flows.c)
target_link_libraries(lobby-netsim PRIVATE lobby_netsim lobby_clock lobby_client_core)
install(TARGETS lobby-netsim RUNTIME DESTINATION bin)
