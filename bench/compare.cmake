# The two programs lobby-server's CPU per relayed position is compared with
# (lobby-bench against each, same bots): lobby-floor sends the same packets in
# the same datagrams and does nothing else; lobby-naive-relay forwards and
# flushes every position as it arrives, as the ENet tutorial leads people to.
add_library(lobby_mini STATIC mini_lobby.c mini_cli.c)
target_include_directories(lobby_mini PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(lobby_mini PUBLIC lobby_proto lobby_clock PkgConfig::ENET)

add_executable(lobby-floor floor_main.c)
target_link_libraries(lobby-floor PRIVATE lobby_mini)
add_executable(lobby-naive-relay naive_relay_main.c)
target_link_libraries(lobby-naive-relay PRIVATE lobby_mini)

# lobby-bench against both on loopback: every bot joins, every chat is acked
# and delivered, positions arrive. The top level enables testing only after
# this directory, so enable it here for these tests to be registered.
if(LOBBY_TESTS)
  enable_testing()
  add_test(NAME bench_compare_servers
    COMMAND sh ${PROJECT_SOURCE_DIR}/tests/bench/compare_servers.sh
            $<TARGET_FILE:lobby-floor> $<TARGET_FILE:lobby-naive-relay>
            $<TARGET_FILE:lobby-bench>)
  set_tests_properties(bench_compare_servers PROPERTIES TIMEOUT 120)
endif()
