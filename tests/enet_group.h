/* ENet started once for a cmocka group of tests that run client cores or
 * ENet hosts in the test process. */
#ifndef LOBBY_TEST_ENET_GROUP_H
#define LOBBY_TEST_ENET_GROUP_H

/* cmocka group setup: enet_initialize; -1 when it fails. */
int enet_group_setup(void **state);
/* cmocka group teardown: enet_deinitialize. */
int enet_group_teardown(void **state);

#endif
